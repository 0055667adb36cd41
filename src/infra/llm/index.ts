/**
 * The LLM gateway, built once from config at start-up.
 *
 * @example
 *   const llm = createLlmGateway(config, { cache, metrics, logger, onUsage: (u) => usageStore.add(u) });
 *   const usage = await llm.stream({ purpose: 'chat', messages, model: user.model, userId }, (text) => send(text), req.signal);
 *   const section = await llm.completeJson<Labelled>({ purpose: 'structure', messages, temperature: 0 }, labelledSectionSchema('identity'));
 */
import type { Config } from '../../config.js';
import { Gateway, type GatewayDeps } from './gateway.js';
import { createOfflineProvider } from './offline/provider.js';
import { OPENROUTER_BASE_URL, createOpenAiCompatibleProvider } from './openai-compatible.js';
import type { LlmGateway, LlmProvider, LlmPurpose, LlmRouter } from './types.js';

export * from './types.js';
export type { GatewayDeps } from './gateway.js';

export interface CreateGatewayDeps extends GatewayDeps {
  /** The offline model's pause between streamed chunks; default 15 ms so the UI shows streaming; tests use 0. */
  offlineChunkDelayMs?: number;
  /** Use this transport instead of the one config selects (tests, custom transports). */
  provider?: LlmProvider;
}

export function createLlmGateway(config: Config, deps: CreateGatewayDeps & { router?: LlmRouter }): LlmGateway {
  return new Gateway(deps.router ?? createEnvRouter(config, deps), config, deps);
}

/** The models and provider the environment configures: read-only, the registry's fallback. */
export function createEnvRouter(config: Config, deps: { offlineChunkDelayMs?: number; provider?: LlmProvider } = {}): LlmRouter {
  const transport = deps.provider ?? createProvider(config, deps);
  const baseUrl = remoteLlmBaseUrl(config);
  const provider = { id: 'env', name: transport.name === 'offline' ? 'offline' : baseUrl ? new URL(baseUrl).host : transport.name };
  const perPurpose: Record<LlmPurpose, string | undefined> = {
    chat: config.llmModelChat,
    structure: config.llmModelStructure,
    memory: config.llmModelMemory,
    moderator: config.llmModelModerator,
    evaluation: undefined,
  };
  return {
    providerName: transport.name,
    keyFor: (purpose, requested) => transport.fixedModel ?? requested ?? perPurpose[purpose] ?? config.llmModel,
    route: (key) => ({ key, model: transport.fixedModel ?? key, transport, provider }),
    models: () => (transport.fixedModel ? [transport.fixedModel] : config.llmModels.length ? [...config.llmModels] : [config.llmModel]),
    close: () => transport.close(),
  };
}

/**
 * The OpenAI-compatible endpoint config selects, or undefined for the built-in offline model.
 * auto: a key or base URL selects the OpenAI-compatible transport, otherwise the offline model.
 */
export function remoteLlmBaseUrl(config: Pick<Config, 'llmProvider' | 'llmBaseUrl' | 'openrouterApiKey'>): string | undefined {
  const remote = config.llmProvider === 'openai-compatible' || (config.llmProvider === 'auto' && (config.llmBaseUrl || config.openrouterApiKey));
  if (!remote) return undefined;
  return config.llmBaseUrl ?? (config.openrouterApiKey ? OPENROUTER_BASE_URL : 'https://api.openai.com/v1');
}

export function createProvider(config: Config, options: { offlineChunkDelayMs?: number } = {}): LlmProvider {
  const baseUrl = remoteLlmBaseUrl(config);
  if (!baseUrl) return createOfflineProvider({ chunkDelayMs: options.offlineChunkDelayMs ?? 15 });
  const isOpenRouter = baseUrl === OPENROUTER_BASE_URL;
  // Local servers (Ollama, vLLM, llama.cpp) need no key, but the SDK insists on a non-empty one.
  const apiKey = (isOpenRouter ? config.openrouterApiKey : config.llmApiKey) ?? config.llmApiKey ?? 'none';
  return createOpenAiCompatibleProvider({
    baseUrl,
    apiKey,
    connectTimeoutMs: config.llmConnectTimeoutMs,
    requestTimeoutMs: config.llmTotalTimeoutMs + 1000,
    // https://openrouter.ai/docs/api-reference/overview#headers — attribution, optional.
    headers: isOpenRouter ? { 'X-Title': 'FastNPC' } : undefined,
  });
}
