/**
 * The one fetch wrapper of the web app.
 *
 * - Same-origin cookie session (`credentials: 'same-origin'`), JSON in and out.
 * - Every failure becomes an {@link ApiError} `{status, code, message}` — the server's
 *   `{"error":{"code","message"}}` body when there is one, `network` when the request never got an
 *   answer, `aborted` when the caller aborted it. It never shows UI: callers decide (toast or inline).
 *
 * @example
 *   const { items } = await api.get<Page<CharacterSummary>>('/api/characters?limit=50');
 *   try { await api.post('/api/auth/login', { username, password }); }
 *   catch (e) { if (isApiError(e) && e.status === 401) showInline(e.message); }
 */

import { takeEarly } from './early.js';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  /** Seconds from a Retry-After header (429, 503), when present. */
  readonly retryAfter?: number;
  /** The whole `error` object, for extra fields such as `candidates` on a 409 `ambiguous`. */
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
    this.retryAfter = retryAfter;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

export function isAbort(e: unknown): boolean {
  return (isApiError(e) && e.code === 'aborted') || (e instanceof DOMException && e.name === 'AbortError');
}

/** Builds an ApiError from a non-2xx response (reads the body once). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  let code = `http_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let details: Record<string, unknown> = {};
  try {
    const body = (await res.json()) as { error?: Record<string, unknown> };
    if (body && typeof body.error === 'object' && body.error) {
      details = body.error;
      if (typeof body.error.code === 'string') code = body.error.code;
      if (typeof body.error.message === 'string') message = body.error.message;
    }
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): keep the status text.
  }
  const ra = res.headers.get('retry-after');
  const retryAfter = ra != null && ra !== '' && Number.isFinite(Number(ra)) ? Number(ra) : undefined;
  return new ApiError(res.status, code, message, details, retryAfter);
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/**
 * Calls `listener` whenever a request is answered 401 (the session expired or was revoked
 * elsewhere), from any caller: queries, mutations and streams alike. The sign-in calls themselves
 * (`/api/auth/*`) do not count: a 401 there is a wrong password, not a lost session.
 * Returns the unsubscribe function.
 */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

async function send(method: string, path: string, body: unknown, opts: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) {
    payload = body; // the browser sets the multipart boundary
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin', signal: opts.signal });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw new ApiError(0, 'aborted', 'aborted');
    throw new ApiError(0, 'network', e instanceof Error ? e.message : String(e));
  }
  if (res.status === 401 && !path.startsWith('/api/auth/')) for (const l of unauthorizedListeners) l();
  if (!res.ok) throw await errorFromResponse(res);
  return res;
}

async function json<T>(res: Response): Promise<T> {
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export const api = {
  get: async <T>(path: string, opts?: RequestOptions) => {
    const early = await takeEarly(path);
    return json<T>(early ?? (await send('GET', path, undefined, opts)));
  },
  post: async <T = void>(path: string, body?: unknown, opts?: RequestOptions) => json<T>(await send('POST', path, body ?? {}, opts)),
  put: async <T = void>(path: string, body?: unknown, opts?: RequestOptions) => json<T>(await send('PUT', path, body ?? {}, opts)),
  patch: async <T = void>(path: string, body?: unknown, opts?: RequestOptions) => json<T>(await send('PATCH', path, body ?? {}, opts)),
  del: async <T = void>(path: string, body?: unknown, opts?: RequestOptions) => json<T>(await send('DELETE', path, body, opts)),
  /**
   * Opens a streaming request (SSE over a POST or GET) and returns the Response once the status is OK;
   * read it with `readSse` from `./sse`. Errors before the stream starts (401, 409, 429…) throw ApiError.
   */
  stream: (method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal) =>
    send(method, path, method === 'GET' ? undefined : (body ?? {}), { signal, headers: { Accept: 'text/event-stream' } }),
};

/** Query string from an object, skipping empty values. */
export function qs(params: Record<string, string | number | null | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** Export query: the format, and this browser's time zone so Markdown timestamps read locally. */
export function exportQuery(format: 'md' | 'json'): string {
  let tz: string | undefined;
  try {
    tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    tz = undefined;
  }
  return qs({ format, tz: format === 'md' ? tz : undefined });
}

/** Path segment encoder for ids. */
export const seg = (id: string | number) => encodeURIComponent(String(id));
