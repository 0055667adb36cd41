/** Builds gateways against the in-process mock LLM (real HTTP), one behaviour per gateway. */
import { loadConfig, type Config } from '../../src/config.js';
import { MemoryCache } from '../../src/infra/cache/memory-cache.js';
import { createLlmGateway, type CreateGatewayDeps, type LlmGateway, type LlmPurpose, type LlmUsage } from '../../src/infra/llm/index.js';
import { createOpenAiCompatibleProvider } from '../../src/infra/llm/openai-compatible.js';
import { Metrics } from '../../src/infra/metrics.js';
import type { MockLlm, MockOverrides } from '../../tools/mock-llm.js';

export { startMockLlm } from '../../tools/mock-llm.js';

export function llmConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ FASTNPC_LLM_MODEL: 'mock-model', ...env }, { ensureSecret: false });
}

export interface TestGateway {
  llm: LlmGateway;
  metrics: Metrics;
  cache: MemoryCache;
  usage: { userId: number; purpose: LlmPurpose; model: string; usage: LlmUsage }[];
}

/**
 * A gateway whose every request carries `x-mock: overrides` and a fresh `x-mock-key`, so
 * `failTimes` counts only this gateway's requests.
 */
export function mockGateway(mock: MockLlm, overrides: MockOverrides = {}, env: Record<string, string> = {}, deps: Partial<CreateGatewayDeps> = {}): TestGateway {
  const config = llmConfig({ FASTNPC_LLM_BASE_URL: mock.url, ...env });
  const provider = createOpenAiCompatibleProvider({
    baseUrl: mock.url,
    apiKey: 'test',
    connectTimeoutMs: 2000,
    requestTimeoutMs: 60_000,
    headers: { 'x-mock': JSON.stringify({ ttftMs: 0, tokens: 5, tps: 1000, ...overrides }), 'x-mock-key': `k${Math.random()}` },
  });
  return build(config, { provider, retryBaseMs: 5, ...deps });
}

export function offlineGateway(env: Record<string, string> = {}): TestGateway {
  return build(llmConfig({ FASTNPC_LLM_PROVIDER: 'offline', ...env }), { offlineChunkDelayMs: 0 });
}

function build(config: Config, deps: Partial<CreateGatewayDeps>): TestGateway {
  const metrics = new Metrics({ defaultMetrics: false });
  const cache = new MemoryCache();
  const usage: TestGateway['usage'] = [];
  const llm = createLlmGateway(config, { cache, metrics, onUsage: (u) => usage.push(u), ...deps });
  return { llm, metrics, cache, usage };
}

/** Drains a stream, returning its chunks and usage, or the error it ended with. */
export async function drain(gen: AsyncGenerator<string, LlmUsage, void>): Promise<{ chunks: string[]; usage?: LlmUsage; error?: unknown }> {
  const chunks: string[] = [];
  try {
    for (;;) {
      const r = await gen.next();
      if (r.done) return { chunks, usage: r.value };
      chunks.push(r.value);
    }
  } catch (error) {
    return { chunks, error };
  }
}

/** Polls until `check` passes (the mock learns of a closed connection asynchronously). */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Directives the mock obeys when they are in the conversation (tools/mock-llm.ts): plain and streamed calls… */
export const mock = (o: MockOverrides) => `[[mock:${JSON.stringify(o)}]]`;
/** …and JSON-mode calls (structuring, memory, moderator). */
export const mockJson = (o: MockOverrides) => `[[mock-json:${JSON.stringify(o)}]]`;

/** The environment that points the app at a mock LLM, with short timeouts and no breaker trips. */
export function mockLlmEnv(llm: MockLlm, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    FASTNPC_LLM_BASE_URL: llm.url,
    FASTNPC_LLM_API_KEY: 'test-key',
    FASTNPC_LLM_MODEL: 'mock-model',
    FASTNPC_LLM_MAX_RETRIES: '1',
    FASTNPC_LLM_FIRST_TOKEN_TIMEOUT_MS: '1500',
    FASTNPC_LLM_IDLE_TIMEOUT_MS: '1500',
    FASTNPC_LLM_BREAKER_MIN_CALLS: '100000',
    ...overrides,
  };
}
