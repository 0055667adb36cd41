/**
 * "Test connection": list the provider's models (GET {base}/models, where the server has it) and
 * make one tiny completion, each timed, each failure reported exactly (401, DNS, TLS, refused,
 * timeout) so an admin can fix the right thing. Outbound: the admin chose the URL (http/https only).
 */
import { Agent, request } from 'undici';
import { createOpenAiCompatibleProvider } from '../../infra/llm/openai-compatible.js';
import { ProviderError } from '../../infra/llm/index.js';
import type { ProbeError, ProbeErrorKind, ProbeResult } from '../../shared/llm.js';

export interface ProbeTarget {
  baseUrl: string;
  apiKey: string | undefined;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  /** Bound of each step. */
  timeoutMs: number;
  /** The model to complete with; else the first listed one. */
  model?: string;
}

export async function probeProvider(t: ProbeTarget): Promise<ProbeResult> {
  const models = await listModels(t);
  const model = t.model ?? models.ids[0] ?? null;
  const completion: ProbeResult['completion'] = model
    ? await tinyCompletion(t, model)
    : { ok: false, latencyMs: 0, model: null, error: { kind: 'bad_response', message: 'No model to try: the provider listed none and none is configured' } };
  return { ok: completion.ok, models, completion };
}

async function listModels(t: ProbeTarget): Promise<ProbeResult['models']> {
  const started = performance.now();
  const agent = new Agent({ connect: { timeout: t.connectTimeoutMs } });
  try {
    const res = await request(`${t.baseUrl}/models`, {
      method: 'GET',
      headers: { ...t.headers, ...(t.apiKey ? { authorization: `Bearer ${t.apiKey}` } : {}), accept: 'application/json' },
      signal: AbortSignal.timeout(t.timeoutMs),
      dispatcher: agent,
    });
    const text = await res.body.text();
    const latencyMs = Math.round(performance.now() - started);
    if (res.statusCode >= 400) return { ok: false, latencyMs, ids: [], error: statusError(res.statusCode, text) };
    let ids: string[] = [];
    try {
      const body = JSON.parse(text) as { data?: { id?: unknown }[]; models?: { name?: unknown }[] };
      ids = (body.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
    } catch {
      return { ok: false, latencyMs, ids: [], error: { kind: 'bad_response', message: 'GET /models did not answer JSON' } };
    }
    return { ok: true, latencyMs, ids: ids.slice(0, 500) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), ids: [], error: classify(err, t.timeoutMs) };
  } finally {
    void agent.destroy().catch(() => {});
  }
}

async function tinyCompletion(t: ProbeTarget, model: string): Promise<ProbeResult['completion']> {
  const transport = createOpenAiCompatibleProvider({ baseUrl: t.baseUrl, apiKey: t.apiKey ?? 'none', connectTimeoutMs: t.connectTimeoutMs, requestTimeoutMs: t.timeoutMs, headers: t.headers });
  const started = performance.now();
  let text = '';
  try {
    await transport.streamChat({ purpose: 'chat', model, messages: [{ role: 'user', content: 'Reply with the single word: OK' }], maxTokens: 8, temperature: 0 }, AbortSignal.timeout(t.timeoutMs), (chunk) => {
      text += chunk;
    });
    return { ok: true, latencyMs: Math.round(performance.now() - started), model, text: text.slice(0, 200) };
  } catch (err) {
    return { ok: false, latencyMs: Math.round(performance.now() - started), model, error: classify(err, t.timeoutMs) };
  } finally {
    await transport.close().catch(() => {});
  }
}

function statusError(status: number, body: string): ProbeError {
  let detail = '';
  try {
    detail = String((JSON.parse(body) as { error?: { message?: unknown } }).error?.message ?? '');
  } catch {
    /* not JSON */
  }
  const kind: ProbeErrorKind = status === 401 || status === 403 ? 'auth' : 'http';
  return { kind, status, message: `HTTP ${status}${detail ? `: ${detail.slice(0, 200)}` : ''}` };
}

/** The most specific cause: a status, a DNS/TLS/socket code, or a timeout. */
function classify(err: unknown, timeoutMs: number): ProbeError {
  if (err instanceof ProviderError && err.info.status) {
    return { kind: err.info.status === 401 || err.info.status === 403 ? 'auth' : 'http', status: err.info.status, message: err.message };
  }
  for (let e: any = err, depth = 0; e && depth < 6; e = e.cause, depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    const name = typeof e.name === 'string' ? e.name : '';
    if (name === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') return { kind: 'timeout', message: `No answer within ${timeoutMs} ms` };
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { kind: 'dns', message: `The host name does not resolve (${code})` };
    if (code === 'ECONNREFUSED') return { kind: 'refused', message: 'Connection refused: nothing listens at that address and port' };
    if (/CERT|TLS|SSL/i.test(code) || /certificate|tls|ssl/i.test(String(e.message ?? ''))) return { kind: 'tls', message: `TLS failed: ${String(e.message ?? code)}` };
    if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return { kind: 'network', message: `Connection failed (${code})` };
  }
  return { kind: 'network', message: err instanceof Error ? err.message.slice(0, 300) : String(err) };
}
