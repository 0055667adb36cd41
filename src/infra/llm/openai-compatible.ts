/**
 * Transport for any OpenAI-compatible Chat Completions endpoint (OpenRouter, OpenAI, DeepSeek, GLM,
 * Qwen, Ollama, vLLM, llama.cpp). One SDK client per process over an undici keep-alive Agent, so
 * connections are reused; the SDK's own retries are off because the gateway owns retries.
 */
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { ProviderError, estimateTokens, type LlmProvider, type LlmUsage, type ProviderRequest } from './types.js';

export const OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';

export interface OpenAiCompatibleOptions {
  baseUrl: string;
  apiKey: string;
  connectTimeoutMs: number;
  /** Hard ceiling for one HTTP request; the gateway's own timeouts are shorter. */
  requestTimeoutMs: number;
  headers?: Record<string, string>;
}

/**
 * Vendor quirks, by host. Each is a pure payload transform; capabilities live here, not in
 * `model.includes(...)` checks scattered through the code.
 */
const VENDOR_QUIRKS: { host: RegExp; jsonMode: 'json_schema' | 'json_object'; note: string }[] = [
  // https://api-docs.deepseek.com/guides/json_mode — only {type:'json_object'} is accepted.
  { host: /(^|\.)deepseek\.com$/, jsonMode: 'json_object', note: 'DeepSeek JSON output' },
  // https://docs.bigmodel.cn/cn/guide/capabilities/struct-output — GLM takes json_object.
  { host: /(^|\.)bigmodel\.cn$/, jsonMode: 'json_object', note: 'Zhipu GLM structured output' },
  // https://help.aliyun.com/zh/model-studio/json-mode — Qwen compatible mode: json_object.
  { host: /(^|\.)dashscope(-intl)?\.aliyuncs\.com$/, jsonMode: 'json_object', note: 'Qwen JSON mode' },
];

type ChatParams = OpenAI.Chat.ChatCompletionCreateParamsStreaming;

export function createOpenAiCompatibleProvider(options: OpenAiCompatibleOptions): LlmProvider {
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs },
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    // Streams can be silent for a long time; the gateway's idle timeout decides, not undici's.
    bodyTimeout: 0,
    headersTimeout: 0,
  });
  const client = new OpenAI({
    baseURL: options.baseUrl,
    apiKey: options.apiKey,
    maxRetries: 0,
    timeout: options.requestTimeoutMs,
    defaultHeaders: options.headers,
    fetch: ((url: string, init: RequestInit) => undiciFetch(url, { ...(init as object), dispatcher: agent } as Parameters<typeof undiciFetch>[1])) as never,
  });
  const host = new URL(options.baseUrl).hostname;
  const jsonMode = VENDOR_QUIRKS.find((q) => q.host.test(host))?.jsonMode ?? 'json_schema';

  function payload(req: ProviderRequest): ChatParams {
    const params: ChatParams = {
      model: req.model,
      messages: req.messages,
      stream: true,
      stream_options: { include_usage: true },
    };
    if (req.temperature !== undefined) params.temperature = req.temperature;
    if (req.maxTokens !== undefined) params.max_tokens = req.maxTokens;
    if (req.json) {
      params.response_format =
        jsonMode === 'json_schema'
          ? { type: 'json_schema', json_schema: { name: req.json.name, schema: req.json.schema as Record<string, unknown>, strict: false } }
          : { type: 'json_object' };
    }
    return params;
  }

  return {
    name: 'openai-compatible',
    async *streamChat(req: ProviderRequest, signal: AbortSignal): AsyncGenerator<string, LlmUsage, void> {
      let usage: LlmUsage | undefined;
      let completionChars = '';
      try {
        const stream = await client.chat.completions.create(payload(req), { signal });
        for await (const chunk of stream) {
          const text = chunk.choices[0]?.delta?.content;
          if (text) {
            completionChars += text;
            yield text;
          }
          if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
        }
        // The SDK's stream ends quietly when aborted; an aborted answer is not a finished one.
        signal.throwIfAborted();
      } catch (err) {
        throw toProviderError(err, signal);
      }
      // Some servers ignore stream_options.include_usage; estimate rather than report zero.
      return usage ?? { promptTokens: estimateTokens(req.messages.map((m) => m.content).join('\n')), completionTokens: estimateTokens(completionChars) };
    },
    async close() {
      // Shutdown has already let open streams finish (server grace); don't wait on stragglers.
      await agent.destroy();
    },
  };
}

function toProviderError(err: unknown, signal: AbortSignal): unknown {
  // Our own abort (caller gone or a gateway timeout): let the gateway read the signal's reason.
  if (signal.aborted) return err;
  if (err instanceof OpenAI.APIError && err.status !== undefined) {
    const status = err.status;
    return new ProviderError(`upstream answered ${status}`, {
      status,
      retryable: status === 429 || status === 408 || status >= 500,
      retryAfterMs: parseRetryAfter(err.headers?.get('retry-after') ?? null),
      cause: err,
    });
  }
  // No status: connection refused/reset, DNS, a stream cut mid-way ("terminated"), a bad SSE frame.
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError(`upstream connection failed: ${message}`, { retryable: true, cause: err });
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
