/**
 * Typed application errors. Services throw `AppError(code)`; the code fixes the HTTP status, and
 * one error handler (src/http/errors.ts) turns it into `{ error: { code, message } }`.
 * A code is `kind` or `kind:detail` (e.g. `not_found:character`); the kind decides the status.
 */
const STATUS_BY_KIND = {
  bad_request: 400,
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  ambiguous: 409,
  busy_conversation: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  source_blocked: 502,
  source_unavailable: 502,
  llm_error: 502,
  llm_bad_output: 502,
  db_busy: 503,
  llm_busy: 503,
  llm_unavailable: 503,
  unavailable: 503,
  llm_timeout: 504,
  internal: 500,
} as const;

export type ErrorKind = keyof typeof STATUS_BY_KIND;

export interface AppErrorOptions {
  /** Seconds; sent as Retry-After with 429/503. */
  retryAfter?: number;
  /** Extra JSON the client may use (e.g. the candidates of an ambiguous name). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly retryAfter?: number;
  readonly details?: Record<string, unknown>;

  constructor(readonly code: `${ErrorKind}` | `${ErrorKind}:${string}`, message: string, options: AppErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.kind = code.split(':')[0] as ErrorKind;
    this.status = STATUS_BY_KIND[this.kind] ?? 500;
    this.retryAfter = options.retryAfter;
    this.details = options.details;
  }
}

export const notFound = (what: string) => new AppError(`not_found:${what}`, `${what.replace(/_/g, ' ')} not found`);

export function isAppError(err: unknown, kind?: ErrorKind): err is AppError {
  return err instanceof AppError && (kind === undefined || err.kind === kind);
}
