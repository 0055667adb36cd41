/**
 * Pieces of the benchmark: child processes, process CPU/RSS sampling, percentiles, a lean SSE
 * reader for the load generator, and the API calls that set up users and characters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Agent, request } from 'undici';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A user's pause between turns: 1 s on average, spread over 0.5–1.5 s. With a fixed pause the
 * closed loop marched in step with the server's pace clock (500 ms to the first token + 1 s pause
 * are whole ticks), so every first token arrived during a tick's burst: people don't do that.
 */
export const thinkTime = () => sleep(500 + Math.random() * 1000);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export function startProcess(cmd: string, args: string[], env: Record<string, string | undefined>, name: string): ChildProcess {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (chunk: Buffer) => chunk.toString().split('\n').filter((l) => l.trim() && !/"level":(30|20)/.test(l)).forEach((l) => process.stderr.write(`[${name}] ${l.slice(0, 400)}\n`));
  child.stdout!.on('data', prefix);
  child.stderr!.on('data', prefix);
  return child;
}

/**
 * The server's environment for a benchmark: local mock LLM, its own data folder, limits that would
 * throttle synthetic users off (admission is measured by the gateway's own limits instead).
 */
export function benchServerEnv(port: number, mockPort: number, dataDir: string): Record<string, string> {
  return {
    FASTNPC_HOST: '127.0.0.1',
    FASTNPC_PORT: String(port),
    FASTNPC_DATA_DIR: dataDir,
    FASTNPC_LOG_LEVEL: 'warn',
    FASTNPC_LLM_BASE_URL: `http://127.0.0.1:${mockPort}/v1`,
    FASTNPC_LLM_API_KEY: 'bench',
    FASTNPC_LLM_MODEL: 'mock-model',
    FASTNPC_AUTH_RATE_PER_MIN: '0',
    FASTNPC_CHAT_RATE_PER_MIN: '0',
    FASTNPC_API_RATE_PER_MIN: '0',
    FASTNPC_CREATION_RATE_PER_MIN: '0',
    FASTNPC_LLM_CONCURRENCY: '4096',
  };
}

export async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > end) throw new Error(`${url} did not come up`);
    await sleep(200);
  }
}

export async function stopProcess(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(t);
}

/** A process and all its descendants (cluster workers). */
function processTree(pid: number): number[] {
  const out = [pid];
  try {
    for (const tid of readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) out.push(...processTree(Number(tid)));
  } catch {
    /* gone */
  }
  return out;
}

const TICKS = 100;
/** CPU seconds used (of which in the kernel: `systemSeconds`) and resident memory of a process tree. */
export function sampleProcess(pid: number): { cpuSeconds: number; systemSeconds: number; rssBytes: number } {
  let cpu = 0;
  let system = 0;
  let rss = 0;
  for (const p of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpu += (Number(fields[11]) + Number(fields[12])) / TICKS;
      system += Number(fields[12]) / TICKS;
      rss += Number(fields[21]) * 4096;
    } catch {
      /* gone */
    }
  }
  return { cpuSeconds: cpu, systemSeconds: system, rssBytes: rss };
}

export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const round = (n: number, d = 0) => (Number.isFinite(n) ? Number(n.toFixed(d)) : n);

export interface Api {
  base: string;
  agent: Agent;
  json(method: string, path: string, body?: unknown, cookie?: string): Promise<{ status: number; body: any; cookie?: string }>;
}

export function api(base: string, connections = 4096): Api {
  const agent = new Agent({ connections, pipelining: 1, keepAliveTimeout: 60_000, headersTimeout: 120_000, bodyTimeout: 120_000 });
  return {
    base,
    agent,
    async json(method, path, body, cookie) {
      const res = await request(base + path, {
        method: method as 'GET',
        dispatcher: agent,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(cookie ? { cookie } : {}) },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.body.text();
      const sc = res.headers['set-cookie'];
      const m = /fastnpc_session=([^;]+)/.exec(Array.isArray(sc) ? sc.join(';') : (sc ?? ''));
      return { status: res.statusCode, body: text && res.headers['content-type']?.toString().includes('json') ? JSON.parse(text) : text, cookie: m ? `fastnpc_session=${m[1]}` : undefined };
    },
  };
}

/** Imports the bench's character, a small Character Card V2 of a Tang poet named `name`, for the user of `cookie`; answers its id. */
export async function importBenchCard(a: Api, cookie: string, name: string): Promise<number> {
  const card = { spec: 'chara_card_v2', spec_version: '2.0', data: { name, description: `${name}，一位唐代诗人，豪放不羁。`, personality: '豪放、好酒、重义', scenario: '盛唐', first_mes: '幸会！', mes_example: '', creator_notes: '', system_prompt: '', post_history_instructions: '', alternate_greetings: [], tags: [], creator: 'bench', character_version: '1', extensions: {} } };
  const form = new FormData();
  form.append('file', new Blob([JSON.stringify(card)], { type: 'application/json' }), 'card.json');
  const r = await fetch(`${a.base}/api/characters/import`, { method: 'POST', headers: { cookie }, body: form });
  if (r.status !== 201) throw new Error(`import failed: ${r.status} ${await r.text()}`);
  return ((await r.json()) as { id: number }).id;
}

/** One streamed chat turn: time to the first token frame, to the final frame, and how it ended. */
export type TurnOutcome = { ok: boolean; kind: string; ttftMs: number; totalMs: number };

/** How a streamed turn's wire format marks its first token, its end and a failure. */
interface StreamMarkers {
  token: string;
  done: string;
  /** Captures the error object's JSON. */
  error: RegExp;
}

const OUR_SSE: StreamMarkers = { token: 'event: token', done: 'event: done', error: /event: error\ndata: (\{[^\n]*\})/ };
const OPENAI_SSE: StreamMarkers = { token: '"delta":{"role":"assistant","content"', done: 'data: [DONE]', error: /data: \{"error":(\{[^\n]*\})\}/ };

/** A turn through the web route (our SSE frames). */
export function chatTurn(a: Api, cookie: string, characterId: number, content: string): Promise<TurnOutcome> {
  return streamedTurn(a, `/api/characters/${characterId}/messages`, { cookie }, { content }, OUR_SSE);
}

/** A turn through the OpenAI-compatible API (streamed chunks), as a chat app sends it: stateful, the new message only. */
export function openAiTurn(a: Api, apiKey: string, model: string, content: string): Promise<TurnOutcome> {
  return streamedTurn(a, '/v1/chat/completions', { authorization: `Bearer ${apiKey}` }, { model, stream: true, messages: [{ role: 'user', content }] }, OPENAI_SSE);
}

async function streamedTurn(a: Api, path: string, headers: Record<string, string>, body: unknown, markers: StreamMarkers): Promise<TurnOutcome> {
  const t0 = performance.now();
  let ttft = NaN;
  try {
    const res = await request(`${a.base}${path}`, {
      method: 'POST',
      dispatcher: a.agent,
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: JSON.stringify(body),
    });
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      let code = `http_${res.statusCode}`;
      try {
        code = `${res.statusCode}:${JSON.parse(text).error.code}`;
      } catch {
        /* not JSON */
      }
      return { ok: false, kind: code, ttftMs: NaN, totalMs: performance.now() - t0 };
    }
    // Scan for markers only: parsing every token's JSON would load the generator, not the
    // server. Read to the end even after the final frame, so the connection is reused.
    let tail = '';
    let result: TurnOutcome | undefined;
    for await (const chunk of res.body) {
      if (result) continue;
      const text = tail + chunk.toString();
      if (Number.isNaN(ttft) && text.includes(markers.token)) ttft = performance.now() - t0;
      if (text.includes(markers.done)) result = { ok: true, kind: 'ok', ttftMs: ttft, totalMs: performance.now() - t0 };
      const err = markers.error.exec(text);
      if (!result && err) result = { ok: false, kind: `stream:${JSON.parse(err[1]).code}`, ttftMs: ttft, totalMs: performance.now() - t0 };
      tail = text.slice(-64);
    }
    return result ?? { ok: false, kind: 'stream_ended_without_final_frame', ttftMs: ttft, totalMs: performance.now() - t0 };
  } catch (err) {
    return { ok: false, kind: `client:${(err as { code?: string }).code ?? (err as Error).name}`, ttftMs: ttft, totalMs: performance.now() - t0 };
  }
}

/** Reads a Prometheus gauge's value from /metrics text. */
export function metricValue(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Cumulative bucket counts of a Prometheus histogram (no labels), by upper bound. */
export function histogramBuckets(text: string, name: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} ([0-9.eE+-]+)$`, 'gm'))) out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  return out;
}

/** The bucket bound holding percentile `p` of the observations between two scrapes (an upper bound). */
export function histogramPercentile(before: Map<number, number>, after: Map<number, number>, p: number): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
  if (total <= 0) return NaN;
  for (const b of bounds) if ((after.get(b) ?? 0) - (before.get(b) ?? 0) >= (p / 100) * total) return b;
  return Infinity;
}
