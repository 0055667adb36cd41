/**
 * Transport for any OpenAI-compatible Chat Completions endpoint (OpenRouter, OpenAI, DeepSeek, GLM,
 * Qwen, Ollama, vLLM, llama.cpp): one streamed POST per attempt through undici over a
 * keep-alive Agent (its dispatcher API: the body's chunks go straight to a handler), parsed by a small SSE parser (./sse-data.ts). Every call streams
 * (the gateway collects non-streamed answers), so the hot path is this file alone: the openai
 * SDK's fetch, web streams and per-chunk iterator layers cost a measurable share of a turn's CPU
 * (bench/RESULTS.md) and bought nothing a streamed POST needs. Retries are the gateway's.
 */
import { StringDecoder } from 'node:string_decoder';
import { Agent, buildConnector, errors as undiciErrors } from 'undici';
import { ReadPacer, socketBeingRead, trackingConnector } from './read-pacing.js';
import { SseDataParser, deltaText } from './sse-data.js';
import { ProviderError, estimateTokens, type JsonMode, type LlmProvider, type LlmUsage, type ProviderRequest } from './types.js';

export const OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';

export interface OpenAiCompatibleOptions {
  baseUrl: string;
  apiKey: string;
  connectTimeoutMs: number;
  /** Hard ceiling for one HTTP request; the gateway's own timeouts are shorter. */
  requestTimeoutMs: number;
  headers?: Record<string, string>;
  /** Connections to the endpoint (a provider's concurrency limit); further requests wait in undici's queue. */
  connections?: number;
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
  // https://platform.moonshot.cn/docs/guide/use-json-mode-feature-of-kimi-api — json_object only.
  { host: /(^|\.)moonshot\.(cn|ai)$/, jsonMode: 'json_object', note: 'Moonshot JSON mode' },
  // https://docs.siliconflow.cn/cn/userguide/guides/json-mode — json_object.
  { host: /(^|\.)siliconflow\.(cn|com)$/, jsonMode: 'json_object', note: 'SiliconFlow JSON mode' },
];

/** The JSON mode a vendor's endpoint accepts, from its host; `json_schema` when unknown. */
export function jsonModeForHost(host: string): JsonMode {
  return VENDOR_QUIRKS.find((q) => q.host.test(host))?.jsonMode ?? 'json_schema';
}

/** The request body (https://platform.openai.com/docs/api-reference/chat/create), as far as we use it. */
interface ChatParams {
  model: string;
  messages: { role: string; content: string }[];
  stream: true;
  stream_options?: { include_usage: true };
  temperature?: number;
  max_tokens?: number;
  stop?: string[];
  response_format?: { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict: false } } | { type: 'json_object' };
}

/** One streamed chunk, as far as we read it; `error` is how some gateways (OpenRouter) report a failure mid-stream. */
interface ChatChunk {
  choices?: { delta?: { content?: string | null } }[];
  usage?: { prompt_tokens: number; completion_tokens: number } | null;
  error?: { message?: string; code?: number | string };
}

export function createOpenAiCompatibleProvider(options: OpenAiCompatibleOptions): LlmProvider {
  const agent = new Agent({
    connect: trackingConnector(buildConnector({ timeout: options.connectTimeoutMs })),
    ...(options.connections ? { connections: options.connections } : {}),
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    // Streams can be silent for a long time; the gateway's idle timeout decides, not undici's.
    bodyTimeout: 0,
    headersTimeout: 0,
  });
  const endpoint = new URL(`${options.baseUrl.replace(/\/+$/, '')}/chat/completions`);
  const origin = endpoint.origin;
  const path = endpoint.pathname + endpoint.search;
  const headers = {
    ...options.headers,
    authorization: `Bearer ${options.apiKey}`,
    'content-type': 'application/json',
    accept: 'text/event-stream',
  };
  const host = new URL(options.baseUrl).hostname;
  const jsonMode = jsonModeForHost(host);

  function payload(req: ProviderRequest): ChatParams {
    const params: ChatParams = { model: req.model, messages: req.messages, stream: true };
    if (req.capabilities?.streamUsage !== false) params.stream_options = { include_usage: true };
    if (req.temperature !== undefined) params.temperature = req.temperature;
    if (req.maxTokens !== undefined) params.max_tokens = req.maxTokens;
    if (req.stop?.length) params.stop = req.stop;
    const mode = req.capabilities?.jsonMode ?? jsonMode;
    if (req.json && mode !== 'none') {
      params.response_format =
        mode === 'json_schema'
          ? { type: 'json_schema', json_schema: { name: req.json.name, schema: req.json.schema as Record<string, unknown>, strict: false } }
          : { type: 'json_object' };
    }
    return params;
  }

  /**
   * One streamed POST on undici's dispatcher, its handler fed the body's chunks directly: no body
   * stream, no promise per chunk (per network chunk a turn paid for a Readable's buffering, events
   * and ticks: bench/RESULTS.md). Each SSE `data:` payload goes to `onData` synchronously;
   * `afterRead` runs once what one socket read brought has been parsed (undici hands it over as
   * many HTTP chunks, one per upstream write), and answering true pauses reading for `paceMs`
   * (./read-pacing.ts). A throw in either aborts the exchange with that error. A 4xx/5xx answer
   * rejects with its ProviderError.
   */
  function exchange(body: string, signal: AbortSignal, paceMs: number, onData: (data: string) => void, afterRead: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let status = 0;
      let retryAfter: string | undefined;
      let errorBody = '';
      const parser = new SseDataParser();
      // A character may span two network chunks.
      const decoder = new StringDecoder('utf8');
      let controller: { abort(reason: Error): void } | undefined;
      let pacer: ReadPacer | undefined;
      let readQueued = false;
      // The gateway's own timeouts are shorter; this is the ceiling of one HTTP exchange.
      const ceiling = setTimeout(() => stop(new undiciErrors.RequestAbortedError('request timed out')), options.requestTimeoutMs);
      const onAbort = () => stop(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const finish = (err?: unknown) => {
        if (settled) return;
        // What was read but not yet told goes out first, also before an error (a cut stream keeps it).
        if (readQueued) {
          readQueued = false;
          try {
            afterRead();
          } catch (e) {
            err ??= e;
          }
        }
        settled = true;
        // Always read again before the socket goes back to the pool (or away).
        pacer?.release();
        clearTimeout(ceiling);
        signal.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      function stop(err: Error) {
        if (settled) return;
        controller?.abort(err);
        finish(err);
      }
      // Runs as a microtask after the socket read that queued it (its data callbacks are synchronous).
      const endOfRead = () => {
        if (!readQueued || settled) return;
        readQueued = false;
        try {
          if (afterRead() && !settled) pacer?.pause();
        } catch (err) {
          stop(err as Error);
        }
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      agent.dispatch(
        { origin, path, method: 'POST', headers, body },
        {
          onRequestStart(c) {
            controller = c;
            if (settled) c.abort(new Error('aborted'));
          },
          onResponseStart(_c, statusCode, responseHeaders) {
            status = statusCode;
            const ra = responseHeaders['retry-after'];
            retryAfter = Array.isArray(ra) ? ra[0] : ra;
            if (paceMs > 0 && status < 400) pacer = new ReadPacer(socketBeingRead(), paceMs);
          },
          onResponseData(_c, chunk) {
            if (settled) return;
            if (status >= 400) {
              if (errorBody.length < 64 * 1024) errorBody += decoder.write(chunk);
              return;
            }
            try {
              for (const data of parser.push(decoder.write(chunk))) onData(data);
            } catch (err) {
              stop(err as Error);
              return;
            }
            if (!readQueued) {
              readQueued = true;
              queueMicrotask(endOfRead);
            }
          },
          onResponseEnd() {
            if (status >= 400) finish(upstreamError(status, retryAfter, errorBody));
            else finish();
          },
          onResponseError(_c, err) {
            finish(err);
          },
        },
      );
    });
  }

  return {
    name: 'openai-compatible',
    async streamChat(req: ProviderRequest, signal: AbortSignal, onText: (text: string) => void): Promise<LlmUsage> {
      let usage: LlmUsage | undefined;
      let completion = '';
      // The text of one socket read, told in one call (a frame's worth when reads are paced).
      let gathered = '';
      const onData = (data: string) => {
        if (data === '[DONE]') return;
        const fast = deltaText(data);
        if (fast !== undefined) {
          gathered += fast;
          return;
        }
        const c = JSON.parse(data) as ChatChunk;
        if (c.error) throw new ProviderError(`upstream stream error: ${c.error.message ?? c.error.code ?? 'unknown'}`, { retryable: true });
        const text = c.choices?.[0]?.delta?.content;
        if (text) gathered += text;
        if (c.usage) usage = { promptTokens: c.usage.prompt_tokens, completionTokens: c.usage.completion_tokens };
      };
      // Reads are paced only once text has flowed: the first token is never held back.
      const afterRead = () => {
        if (!gathered) return completion !== '';
        const text = gathered;
        gathered = '';
        completion += text;
        onText(text);
        return true;
      };
      try {
        await exchange(JSON.stringify(payload(req)), signal, req.paceMs ?? 0, onData, afterRead);
        // An aborted exchange may just end; an aborted answer is not a finished one.
        signal.throwIfAborted();
      } catch (err) {
        throw toProviderError(err, signal);
      }
      // Some servers ignore stream_options.include_usage; estimate rather than report zero.
      return usage ?? { promptTokens: estimateTokens(req.messages.map((m) => m.content).join('\n')), completionTokens: estimateTokens(completion) };
    },
    async close() {
      // Shutdown has already let open streams finish (server grace); don't wait on stragglers.
      await agent.destroy();
    },
  };
}

/** A 4xx/5xx answer as a ProviderError: 408, 429 and 5xx are worth another attempt. */
function upstreamError(status: number, retryAfter: string | undefined, text: string): ProviderError {
  let detail = '';
  try {
    detail = (JSON.parse(text) as ChatChunk).error?.message ?? '';
  } catch {
    /* not JSON */
  }
  return new ProviderError(`upstream answered ${status}${detail ? `: ${detail.slice(0, 200)}` : ''}`, {
    status,
    retryable: status === 429 || status === 408 || status >= 500,
    retryAfterMs: parseRetryAfter(retryAfter ?? null),
  });
}

function toProviderError(err: unknown, signal: AbortSignal): unknown {
  // Our own abort (caller gone or a gateway timeout): let the gateway read the signal's reason.
  if (signal.aborted) return err;
  if (err instanceof ProviderError) return err;
  if (err instanceof undiciErrors.RequestAbortedError || (err instanceof DOMException && err.name === 'TimeoutError')) {
    return new ProviderError('upstream request timed out', { retryable: true, cause: err });
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
