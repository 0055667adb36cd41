/**
 * The LLM contract shared by the gateway and its providers.
 *
 * Callers speak to `LlmGateway` only. A provider (`LlmProvider`) is pure transport: it streams one
 * attempt and reports failures as `ProviderError`; limits, retries, timeouts, the breaker, JSON
 * validation, the cache and metrics are the gateway's job (STYLE.md §6).
 */
import type { TSchema } from '@sinclair/typebox';
import type { LlmPurpose, ModelCapabilities } from '../../shared/llm.js';

export type { JsonMode, LlmPurpose, ModelCapabilities } from '../../shared/llm.js';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmHints {
  characterName?: string;
  /** Stored profile with English section keys (src/features/characters/profile.ts). */
  profile?: Record<string, unknown>;
  /** Structuring: which of the nine sections. */
  sectionKey?: string;
  /** Structuring: the source page as Markdown. */
  sourceMarkdown?: string;
  /** Moderator: the characters who may speak. */
  members?: { id: number; name: string; aliases?: string[] }[];
  /** Moderator: who spoke last (name or member id); the offline model never picks them. */
  lastSpeaker?: string | number;
  /** Memory and moderator: the conversation, oldest first. */
  transcript?: { speaker: string; text: string }[];
  /** memory.integrate: the short-term memories to integrate. */
  memories?: string[];
  /** memory.integrate: the existing long-term memories. */
  existingMemories?: string[];
  /** Structuring: a text other than the biography (a new chat's greeting). */
  writing?: 'greeting';
}

export interface LlmRequest {
  purpose: LlmPurpose;
  messages: ChatMessage[];
  /** The user's chosen model (chat); otherwise the per-purpose config, then FASTNPC_LLM_MODEL. */
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** Stop sequences (at most 4, as OpenAI allows): the reply ends before the first one. */
  stop?: string[];
  /** For per-user token accounting (the gateway's onUsage hook). */
  userId?: number;
  /** Structured context the offline model uses instead of parsing prompts; remote providers ignore it. */
  hints?: LlmHints;
  /** A slot the caller already holds (a turn admitted before it stored anything); the call does not queue again. */
  slot?: LlmSlot;
  /**
   * A person watches this stream in frames of this many ms: after the first text the transport
   * reads the upstream no more often, and tells each read's text in one call (./read-pacing.ts).
   * Unset: read as it comes.
   */
  paceMs?: number;
  /** completeJson: told each answer's text as the model wrote it, before repair (the group moderator keeps it for inspection). */
  onAnswerText?: (text: string) => void;
}

/** A concurrency slot granted by `LlmGateway.admit`; a turn's calls run in it one after another. */
export interface LlmSlot {
  /** Idempotent. */
  release(): void;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface LlmGateway {
  readonly provider: ProviderName;
  /**
   * Admission for a turn, decided before anything is stored: throws 503 `llm_unavailable` while the
   * model's breaker is open, 503 `llm_busy` when the queue is full or the wait expires (both with
   * Retry-After); else a slot to pass in `LlmRequest.slot`.
   */
  admit(req: Pick<LlmRequest, 'purpose' | 'model'>, signal?: AbortSignal): Promise<LlmSlot>;
  /**
   * The hot path of every turn: `onText` is called with each chunk as it arrives (no iterator or
   * promise per chunk); resolves with the usage. Aborting `signal` aborts upstream at once.
   */
  stream(req: LlmRequest, onText: (text: string) => void, signal?: AbortSignal): Promise<LlmUsage>;
  /** The same as an async generator (scripts, tests): the return value is the usage; stopping early aborts upstream. */
  streamChat(req: LlmRequest, signal?: AbortSignal): AsyncGenerator<string, LlmUsage, void>;
  completeText(req: LlmRequest, signal?: AbortSignal): Promise<{ text: string; usage: LlmUsage }>;
  /** Validated against the TypeBox schema; repaired once; then typed error llm_bad_output. Never `{}` silently. */
  completeJson<T>(req: LlmRequest, schema: TSchema, signal?: AbortSignal): Promise<T>;
  /** Models a user may pick (FASTNPC_LLM_MODELS or the default model; `offline` for the offline model). */
  models(): string[];
  close(): Promise<void>;
}

export type ProviderName = 'offline' | 'openai-compatible';

/** Where a model key leads: the transport to use, the name it is sent upstream under, who provides it. */
export interface LlmRoute {
  /** The key callers, breakers and metrics use (a registry key like `p3:deepseek-chat`, or an environment model name). */
  key: string;
  /** The model name sent upstream. */
  model: string;
  transport: LlmProvider;
  provider: { id: string; name: string };
  capabilities?: ModelCapabilities;
}

/**
 * Resolves a request to a route: the request's model key or the purpose's default, then the
 * provider that serves it. Environment configuration is one router (index.ts); the providers
 * feature puts the admin-managed registry in front of it.
 */
export interface LlmRouter {
  readonly providerName: ProviderName;
  /** The key a request uses: its own model, else the purpose's default. Synchronous: it runs on every call. */
  keyFor(purpose: LlmPurpose, requested?: string): string;
  /** Throws an AppError naming the provider when the key is not served (deleted, disabled). */
  route(key: string, ctx: { purpose: LlmPurpose; userId?: number }): LlmRoute | Promise<LlmRoute>;
  /** Keys users may choose. */
  models(): string[];
  close(): Promise<void>;
}

/** One attempt as the provider sees it: the model is resolved, JSON mode is explicit. */
export interface ProviderRequest {
  purpose: LlmPurpose;
  model: string;
  messages: ChatMessage[];
  temperature?: number;
  maxTokens?: number;
  stop?: string[];
  /** JSON mode: the schema the answer must match. */
  json?: { name: string; schema: TSchema };
  hints?: LlmHints;
  /** The model's capabilities from the registry; the transport's own defaults otherwise. */
  capabilities?: ModelCapabilities;
  /** LlmRequest.paceMs. */
  paceMs?: number;
}

export interface LlmProvider {
  readonly name: ProviderName;
  /**
   * Streams one attempt, calling `onText` per chunk; resolves with the usage. Must stop (and close
   * its connection) as soon as `signal` aborts, and reject with `ProviderError` for upstream
   * failures so the gateway can decide on retries.
   */
  streamChat(req: ProviderRequest, signal: AbortSignal, onText: (text: string) => void): Promise<LlmUsage>;
  /** The model used when neither the request nor the config names one; `undefined` = config decides. */
  readonly fixedModel?: string;
  close(): Promise<void>;
}

/** A transport failure, normalised so the gateway never sees SDK types. */
export class ProviderError extends Error {
  constructor(
    message: string,
    readonly info: {
      /** HTTP status, when the upstream answered. */
      status?: number;
      /** 429, 5xx and connection errors are worth another attempt. */
      retryable: boolean;
      /** Parsed Retry-After, in milliseconds. */
      retryAfterMs?: number;
      cause?: unknown;
    },
  ) {
    super(message, { cause: info.cause });
    this.name = 'ProviderError';
  }
}

/** Rough token count for providers that report no usage: one per CJK character, one per ~4 other characters. */
export function estimateTokens(text: string): number {
  // Called over every prompt part and history message of every turn: a plain char-code loop
  // (a per-character RegExp over a string iterator cost ~20× more).
  let cjk = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x3000 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff00 && c <= 0xffef)) cjk++;
  }
  return cjk + Math.ceil((text.length - cjk) / 4);
}
