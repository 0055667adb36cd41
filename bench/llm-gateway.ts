/**
 * The gateway's own overhead: N concurrent streams through `LlmGateway` (OpenAI-compatible
 * transport) vs. the same streams read directly with undici, both against the mock LLM running
 * in a separate process (500 ms TTFT, 80 tokens at 50 tokens/s). Then each failure mode once,
 * with how it ended.
 *
 *   npx tsx bench/llm-gateway.ts [--streams 1000]
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { Agent, fetch } from 'undici';
import { Type } from '@sinclair/typebox';
import { loadConfig } from '../src/config.js';
import { isAppError } from '../src/errors.js';
import { MemoryCache } from '../src/infra/cache/memory-cache.js';
import { createLlmGateway, type LlmProvider, type LlmRequest } from '../src/infra/llm/index.js';
import { createOpenAiCompatibleProvider } from '../src/infra/llm/openai-compatible.js';
import { Metrics } from '../src/infra/metrics.js';

const { values } = parseArgs({ options: { streams: { type: 'string', default: '1000' } } });
const N = Number(values.streams);
const REQ: LlmRequest = { purpose: 'chat', messages: [{ role: 'system', content: '你是李白。' }, { role: 'user', content: '你好，今晚月色如何？' }] };

interface Sample {
  ttft: number;
  total: number;
  tokens: number;
}

async function startMock(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tools/mock-llm.ts', '--port', '0', '--profile', 'bench'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    const m = /listening on (\S+)/.exec(out);
    if (m) return { url: m[1], stop: () => child.kill('SIGTERM') };
  }
  throw new Error('mock did not start');
}

async function direct(url: string, agent: Agent): Promise<Sample> {
  const start = performance.now();
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
    body: JSON.stringify({ model: 'mock-model', messages: REQ.messages, stream: true, stream_options: { include_usage: true } }),
    dispatcher: agent,
  });
  let ttft = 0;
  let tokens = 0;
  let buf = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body!) {
    buf += decoder.decode(chunk as Uint8Array, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const frame = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (!frame.startsWith('data: ') || frame === 'data: [DONE]') continue;
      const content = (JSON.parse(frame.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content;
      if (content) {
        if (!tokens) ttft = performance.now() - start;
        tokens++;
      }
    }
  }
  return { ttft, total: performance.now() - start, tokens };
}

async function viaGateway(llm: ReturnType<typeof createLlmGateway>): Promise<Sample> {
  const start = performance.now();
  let ttft = 0;
  let tokens = 0;
  await llm.stream(REQ, () => {
    if (!tokens) ttft = performance.now() - start;
    tokens++;
  });
  return { ttft, total: performance.now() - start, tokens };
}

/** The provider alone (undici + the SSE parser), without the gateway's limits, timers and metrics. */
async function viaProvider(provider: LlmProvider): Promise<Sample> {
  const start = performance.now();
  let ttft = 0;
  let tokens = 0;
  await provider.streamChat({ purpose: 'chat', model: 'mock-model', messages: REQ.messages }, new AbortController().signal, () => {
    if (!tokens) ttft = performance.now() - start;
    tokens++;
  });
  return { ttft, total: performance.now() - start, tokens };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function run(label: string, one: () => Promise<Sample>): Promise<{ ttft50: number; ttft99: number; total50: number; total99: number }> {
  const started = performance.now();
  const samples = await Promise.all(Array.from({ length: N }, one));
  const wall = performance.now() - started;
  const r = { ttft50: pct(samples.map((s) => s.ttft), 50), ttft99: pct(samples.map((s) => s.ttft), 99), total50: pct(samples.map((s) => s.total), 50), total99: pct(samples.map((s) => s.total), 99) };
  const tokens = samples.reduce((n, s) => n + s.tokens, 0);
  console.log(`${label.padEnd(8)} ${N} streams, ${tokens} tokens, wall ${wall.toFixed(0)} ms | TTFT p50 ${r.ttft50.toFixed(1)} p99 ${r.ttft99.toFixed(1)} | total p50 ${r.total50.toFixed(1)} p99 ${r.total99.toFixed(1)} ms`);
  return r;
}

function gatewayFor(url: string, env: Record<string, string> = {}, mockHeader?: object) {
  const config = loadConfig({ FASTNPC_LLM_BASE_URL: url, FASTNPC_LLM_MODEL: 'mock-model', FASTNPC_LLM_CONCURRENCY: String(N * 2), FASTNPC_LLM_QUEUE_MAX: String(N), ...env }, { ensureSecret: false });
  const provider: LlmProvider | undefined = mockHeader
    ? createOpenAiCompatibleProvider({ baseUrl: url, apiKey: 'x', connectTimeoutMs: 5000, requestTimeoutMs: 60_000, headers: { 'x-mock': JSON.stringify(mockHeader), 'x-mock-key': String(Math.random()) } })
    : undefined;
  return createLlmGateway(config, { cache: new MemoryCache(), metrics: new Metrics({ defaultMetrics: false }), provider });
}

async function outcome(label: string, work: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  let result: string;
  try {
    await work();
    result = 'ok';
  } catch (err) {
    result = isAppError(err) ? `${err.status} ${err.code}${err.retryAfter ? ` (Retry-After ${err.retryAfter})` : ''}` : `${(err as Error).name}: ${(err as Error).message}`;
  }
  console.log(`  ${label.padEnd(44)} → ${result} after ${(performance.now() - start).toFixed(0)} ms`);
}

async function drainStream(llm: ReturnType<typeof createLlmGateway>, signal?: AbortSignal): Promise<number> {
  let n = 0;
  for await (const _ of llm.streamChat(REQ, signal)) n++;
  return n;
}

async function main(): Promise<void> {
  const mock = await startMock();
  const stats = async () => (await (await fetch(mock.url.replace(/\/v1$/, '/_mock/stats'))).json()) as { aborted: number; requests: number };
  try {
    const agent = new Agent({ keepAliveTimeout: 60_000, bodyTimeout: 0, headersTimeout: 0 });
    const llm = gatewayFor(mock.url);
    // Warm-up: open the keep-alive connections and JIT the code paths on both sides.
    await Promise.all(Array.from({ length: N }, () => direct(mock.url, agent)));
    await Promise.all(Array.from({ length: N }, () => viaGateway(llm)));
    const transport = createOpenAiCompatibleProvider({ baseUrl: mock.url, apiKey: 'x', connectTimeoutMs: 5000, requestTimeoutMs: 60_000 });
    await Promise.all(Array.from({ length: N }, () => viaProvider(transport)));
    const d = await run('direct', () => direct(mock.url, agent));
    const p = await run('sdk only', () => viaProvider(transport));
    const g = await run('gateway', () => viaGateway(llm));
    console.log(`of which the SDK transport alone: TTFT p50 ${(p.ttft50 - d.ttft50).toFixed(1)} ms, p99 ${(p.ttft99 - d.ttft99).toFixed(1)} ms; total p50 ${(p.total50 - d.total50).toFixed(1)} ms`);
    await transport.close();
    console.log(
      `added by the gateway: TTFT p50 ${(g.ttft50 - d.ttft50).toFixed(1)} ms, p99 ${(g.ttft99 - d.ttft99).toFixed(1)} ms; total p50 ${(g.total50 - d.total50).toFixed(1)} ms, p99 ${(g.total99 - d.total99).toFixed(1)} ms`,
    );
    await llm.close();
    await agent.close();

    console.log('\nfailure modes (through the gateway; defaults: 2 retries, backoff 250 ms base):');
    const fast = { ttftMs: 0, tokens: 10, tps: 1000 };
    await outcome('500 on every attempt', () => gatewayFor(mock.url, {}, { ...fast, fail: '500' }).completeText(REQ));
    await outcome('503 twice, then fine (retried)', () => gatewayFor(mock.url, {}, { ...fast, fail: '503', failTimes: 2 }).completeText(REQ));
    await outcome('429 Retry-After 1 once, then fine', () => gatewayFor(mock.url, {}, { ...fast, fail: '429', failTimes: 1, retryAfter: 1 }).completeText(REQ));
    await outcome('429 Retry-After 1 always', () => gatewayFor(mock.url, {}, { ...fast, fail: '429', retryAfter: 1 }).completeText(REQ));
    await outcome('stream cut after 3 tokens (no retry)', () => drainStream(gatewayFor(mock.url, {}, { ...fast, fail: 'cut', cutAfter: 3 })));
    await outcome('hang before the first token (1 s timeout)', () =>
      drainStream(gatewayFor(mock.url, { FASTNPC_LLM_FIRST_TOKEN_TIMEOUT_MS: '1000', FASTNPC_LLM_MAX_RETRIES: '0' }, { fail: 'hang' })),
    );
    await outcome('silence after 5 tokens (1 s idle timeout)', () => drainStream(gatewayFor(mock.url, { FASTNPC_LLM_IDLE_TIMEOUT_MS: '1000' }, { ...fast, fail: 'hang', hangAfter: 5 })));
    await outcome('slow stream past the 1.5 s total timeout', () => drainStream(gatewayFor(mock.url, { FASTNPC_LLM_TOTAL_TIMEOUT_MS: '1500' }, { ttftMs: 0, tokens: 100, tps: 20 })));
    const json = Type.Object({ next_speaker: Type.String(), confidence: Type.Number({ minimum: 0, maximum: 1 }) });
    await outcome('JSON broken once (re-asked)', () => gatewayFor(mock.url, {}, { ...fast, fail: 'badjson', failTimes: 1 }).completeJson({ ...REQ, purpose: 'moderator' }, json));
    await outcome('JSON broken always', () => gatewayFor(mock.url, {}, { ...fast, fail: 'badjson' }).completeJson({ ...REQ, purpose: 'moderator' }, json));
    {
      const busy = gatewayFor(mock.url, { FASTNPC_LLM_CONCURRENCY: '1', FASTNPC_LLM_QUEUE_MAX: '0' }, { ttftMs: 0, tokens: 1000, tps: 100 });
      const ctrl = new AbortController();
      const first = drainStream(busy, ctrl.signal).catch(() => 0);
      await new Promise((r) => setTimeout(r, 50));
      await outcome('concurrency 1, queue 0, second call', () => busy.completeText(REQ));
      ctrl.abort();
      await first;
    }
    {
      const env = { FASTNPC_LLM_BREAKER_THRESHOLD: '3', FASTNPC_LLM_MAX_RETRIES: '0', FASTNPC_LLM_BREAKER_COOLDOWN_MS: '1000' };
      const broken = gatewayFor(mock.url, env, { ...fast, fail: '500', failTimes: 3 });
      for (let i = 0; i < 3; i++) await broken.completeText(REQ).catch(() => {});
      await outcome('breaker after 3 failures (open)', () => broken.completeText(REQ));
      await new Promise((r) => setTimeout(r, 1000));
      await outcome('breaker after the cooldown (half-open probe)', () => broken.completeText(REQ));
    }
    {
      const before = (await stats()).aborted;
      const ctrl = new AbortController();
      const work = drainStream(gatewayFor(mock.url, {}, { ttftMs: 0, tokens: 1000, tps: 100 }), ctrl.signal);
      setTimeout(() => ctrl.abort(), 100);
      await outcome('caller aborts mid-stream', () => work);
      await new Promise((r) => setTimeout(r, 100));
      console.log(`  ${''.padEnd(44)}   mock saw ${(await stats()).aborted - before} aborted connection(s)`);
    }
  } finally {
    mock.stop();
  }
}

main().then(() => process.exit(0)).catch((err) => {
  console.error(err);
  process.exit(1);
});
