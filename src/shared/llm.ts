/**
 * What the server's providers-and-models API sends and accepts, shared with the web app so the
 * two cannot drift: purposes, bounds of a character's or group's own settings, the views of
 * providers and models, the test-connection result. Types and constants only.
 */
export type JsonMode = 'json_schema' | 'json_object' | 'none';

/** What a model supports, as data (the models table), never as `model.includes(...)` checks. */
export interface ModelCapabilities {
  jsonMode?: JsonMode;
  /** Honours `stream_options.include_usage`; some servers reject the field, so it is only sent when true. */
  streamUsage?: boolean;
}

export const LLM_PURPOSES = ['chat', 'structure', 'memory', 'moderator', 'evaluation'] as const;
export type LlmPurpose = (typeof LLM_PURPOSES)[number];

/** Bounds of a character's or group's own sampling (null = the owner's default). */
export const CHAT_LLM_RANGES = {
  temperature: { min: 0, max: 2 },
  maxTokens: { min: 16, max: 8192 },
  // The range of the user's own session budget (features/users/settings.ts).
  contextTokens: { min: 200, max: 32_000 },
} as const;

/** A character's or group's own model and sampling; null = the owner's default. */
export interface ChatLlmSettings {
  model: string | null;
  temperature: number | null;
  maxTokens: number | null;
  contextTokens: number | null;
}

/** A model users may choose. */
export interface ModelChoice {
  key: string;
  displayName: string;
  provider: string;
  contextLength: number | null;
}

export interface ModelView {
  id: number;
  /** What settings and defaults refer to: `p<providerId>:<name>`, or an environment model's name. */
  key: string;
  providerId: number;
  name: string;
  displayName: string;
  offered: boolean;
  contextLength: number | null;
  inputPerMillion: number | null;
  outputPerMillion: number | null;
  capabilities: Required<ModelCapabilities>;
  createdAt: number;
  updatedAt: number;
}

export interface ProviderView {
  id: number | 'env';
  name: string;
  kind: string;
  baseUrl: string | null;
  /** Configured by environment variables: shown, not editable. */
  readOnly: boolean;
  hasKey: boolean;
  apiKeyHint: string | null;
  headerNames: string[];
  connectTimeoutMs: number | null;
  timeoutMs: number | null;
  concurrency: number | null;
  enabled: boolean;
  userKeys: boolean;
  models: ModelView[];
}

/** What an admin sends to connect or change a provider. */
export interface ProviderInput {
  name: string;
  /** A preset (openrouter, deepseek, …) or `custom`. */
  kind: string;
  baseUrl: string;
  /** Omitted keeps the stored key; null removes it. */
  apiKey?: string | null;
  /** Omitted keeps the stored headers; {} removes them. */
  headers?: Record<string, string>;
  connectTimeoutMs: number;
  timeoutMs: number;
  concurrency: number;
  enabled: boolean;
  userKeys: boolean;
}

export type ProbeErrorKind = 'auth' | 'http' | 'dns' | 'tls' | 'refused' | 'timeout' | 'network' | 'bad_response';

export interface ProbeError {
  kind: ProbeErrorKind;
  message: string;
  status?: number;
}

export interface ProbeResult {
  ok: boolean;
  models: { ok: boolean; latencyMs: number; ids: string[]; error?: ProbeError };
  completion: { ok: boolean; latencyMs: number; model: string | null; text?: string; error?: ProbeError };
}
