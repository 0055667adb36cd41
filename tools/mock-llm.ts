/**
 * An OpenAI-compatible fake LLM for tests, development and the benchmark.
 *
 *   npm run mock-llm -- --port 18080 --ttft-ms 200 --tokens 40 --tps 80 --seed 1
 *   npm run mock-llm -- --profile bench        # 500 ms TTFT, 80 tokens at 50 tokens/s (or MOCK_LLM_PROFILE=bench)
 *
 * POST /v1/chat/completions (streamed SSE or not), GET /v1/models, GET /_mock/stats, POST /_mock/reset.
 * Per request, header `x-mock` (JSON) overrides the defaults and injects failures:
 *   {"ttftMs":0,"tokens":5,"tps":1000,"fail":"500"|"503"|"429"|"cut"|"hang"|"badjson"|"prose",
 *    "failTimes":1,"cutAfter":3,"hangAfter":0,"retryAfter":1,"numbered":true,"gate":"name"}
 * `gate` holds the answer until the test calls `openGate(name)`.
 * `failTimes` N: only the first N requests carrying the same `x-mock-key` header fail.
 * Faults for every request: `--failure-rate 0.2` (that share answers 503 before any token, seeded),
 * or at run time `POST /_mock/faults {"failureRate":0.2,"failStatus":503,"down":false}` (`down`
 * resets every connection, as an unreachable provider does).
 * The same overrides can ride in the last message as `[[mock:{…}]]` / `[[mock-json:{…}]]`.
 * In JSON mode (`response_format` with a json_schema) the answer is shaped like the schema.
 * Built on node:http with one timer per stream, so it holds thousands of concurrent streams.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { hash, seededRandom } from '../src/infra/seeded.js';

export interface MockLlmOptions {
  port?: number;
  host?: string;
  ttftMs?: number;
  tokens?: number;
  tps?: number;
  seed?: number;
  models?: string[];
  /** 0–1: share of chat requests that fail with `failStatus` before any token (seeded, so reproducible). */
  failureRate?: number;
  failStatus?: 500 | 502 | 503;
  /** When set, requests without `Authorization: Bearer <apiKey>` get 401, as a real provider answers a wrong key. */
  apiKey?: string;
}

/** Faults that apply to every request, changeable while running (`setFaults`, `POST /_mock/faults`). */
export interface MockFaults {
  failureRate: number;
  failStatus: 500 | 502 | 503;
  /** Down: every connection is reset at once, as when the provider is unreachable. */
  down: boolean;
}

export interface MockOverrides {
  ttftMs?: number;
  tokens?: number;
  tps?: number;
  fail?: '500' | '502' | '503' | '429' | 'cut' | 'hang' | 'badjson' | 'prose';
  failTimes?: number;
  cutAfter?: number;
  /** With fail "hang": tokens sent before going silent (default 0: not even headers). */
  hangAfter?: number;
  retryAfter?: number;
  /** Tokens "t1 ", "t2 ", … instead of words, so a test can check their order. */
  numbered?: boolean;
  /** Holds the answer until `openGate(name)` is called (a test decides when, instead of a timer). */
  gate?: string;
}

export interface MockStats {
  requests: number;
  streamed: number;
  completed: number;
  failed: number;
  /** The client closed the connection before the response ended. */
  aborted: number;
  openStreams: number;
  /** Chat requests by the model they named, so a test can tell which model a reply came from. */
  models: Record<string, number>;
}

export interface MockLlm {
  /** Base URL for an OpenAI client, ending in /v1. */
  url: string;
  port: number;
  stats(): MockStats;
  reset(): void;
  setFaults(faults: Partial<MockFaults>): void;
  /** Releases requests held by `gate: name`, now and later. */
  openGate(name: string): void;
  close(): Promise<void>;
}

export const BENCH_PROFILE = { ttftMs: 500, tokens: 80, tps: 50 } as const;

const WORDS = ['今天', '我们', '一起', '看看', '山水', '之间', '风', '月', '诗', '酒', '江湖', '朋友', '明天', '故事', '长安', '远方', '心中', '记得', '，', '。', '也许', '正是', '如此'];

interface SchemaLike {
  type?: string | string[];
  properties?: Record<string, SchemaLike>;
  items?: SchemaLike;
  enum?: unknown[];
  const?: unknown;
  anyOf?: SchemaLike[];
  oneOf?: SchemaLike[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  maxLength?: number;
}

/** A value shaped like `schema`: objects → properties, strings mention the property name, arrays → 2 items. */
export function shapedValue(schema: SchemaLike | undefined, name: string, next: () => number): unknown {
  const s = schema ?? {};
  if (s.const !== undefined) return s.const;
  const variants = s.anyOf ?? s.oneOf;
  if (variants?.length) return shapedValue(variants.find((v) => v.type !== 'null') ?? variants[0], name, next);
  if (s.enum?.length) return s.enum[Math.floor(next() * s.enum.length)];
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : (s.type ?? (s.properties ? 'object' : 'string'));
  switch (type) {
    case 'object':
      return Object.fromEntries(Object.entries(s.properties ?? {}).map(([k, sub]) => [k, shapedValue(sub, k, next)]));
    case 'array': {
      const n = Math.min(Math.max(2, s.minItems ?? 0), s.maxItems ?? 2);
      return Array.from({ length: n }, (_, i) => shapedValue(s.items, `${name}${i + 1}`, next));
    }
    case 'number':
    case 'integer': {
      const v = Math.min(s.maximum ?? Infinity, Math.max(s.minimum ?? -Infinity, 0.9));
      return type === 'integer' ? Math.round(v) : v;
    }
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      const text = `${name}：${WORDS[Math.floor(next() * WORDS.length)]}${WORDS[Math.floor(next() * WORDS.length)]}`;
      return s.maxLength !== undefined ? text.slice(0, s.maxLength) : text;
    }
  }
}

/**
 * Overrides written into a message, for tests that drive the mock through our server (which
 * sends no x-mock header): `[[mock:{…}]]` applies to plain and streamed requests,
 * `[[mock-json:{…}]]` only to JSON-mode requests. The newest directive of the right kind wins.
 */
function contentDirective(body: ChatBody): MockOverrides {
  const wanted = body.response_format ? 'mock-json' : 'mock';
  // Newest message first, so a repair re-ask still carries the directive of the prompt it repairs.
  for (const msg of [...(body.messages ?? [])].reverse()) {
    const text = typeof msg.content === 'string' ? msg.content : '';
    let found: MockOverrides | undefined;
    for (const m of text.matchAll(/\[\[(mock|mock-json):(\{[^\]]*\})\]\]/g)) {
      if (m[1] === wanted) found = JSON.parse(m[2]) as MockOverrides;
    }
    if (found) return found;
  }
  return {};
}

interface ChatBody {
  model?: string;
  stream?: boolean;
  max_tokens?: number;
  messages?: { role: string; content: unknown }[];
  response_format?: { type?: string; json_schema?: { schema?: SchemaLike } };
}

export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const defaults = { ttftMs: options.ttftMs ?? 200, tokens: options.tokens ?? 40, tps: options.tps ?? 80 };
  const seed = options.seed ?? 1;
  const models = options.models ?? ['mock-model', 'mock-model-large'];
  let stats: MockStats = zeroStats();
  let failuresByKey = new Map<string, number>();
  const faults: MockFaults = { failureRate: options.failureRate ?? 0, failStatus: options.failStatus ?? 503, down: false };
  const faultRandom = seededRandom(seed + 7);
  const gates = new Map<string, { open: Promise<void>; release: () => void }>();
  const gate = (name: string) => {
    let g = gates.get(name);
    if (!g) {
      let release!: () => void;
      const open = new Promise<void>((r) => (release = r));
      g = { open, release };
      gates.set(name, g);
    }
    return g;
  };

  const server = createServer({ requestTimeout: 0, headersTimeout: 0, keepAliveTimeout: 600_000 }, (req, res) => {
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) json(res, 500, { error: { message: err.message } });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 600_000;
  server.maxRequestsPerSocket = 0;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (options.apiKey && path.startsWith('/v1/') && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      return json(res, 401, { error: { message: 'Incorrect API key provided', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      return json(res, 200, { object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'mock' })) });
    }
    if (req.method === 'GET' && path === '/_mock/stats') return json(res, 200, stats);
    if (req.method === 'POST' && path === '/_mock/faults') {
      Object.assign(faults, JSON.parse((await readBody(req)) || '{}') as Partial<MockFaults>);
      return json(res, 200, faults);
    }
    if (faults.down) {
      stats.requests++;
      stats.failed++;
      req.socket.destroy();
      return;
    }
    if (req.method === 'POST' && path === '/_mock/reset') {
      stats = zeroStats();
      failuresByKey = new Map();
      return json(res, 200, { ok: true });
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') return json(res, 404, { error: { message: 'not found' } });

    stats.requests++;
    let finished = false;
    let cutByUs = false;
    res.on('close', () => {
      if (!finished && !cutByUs && !res.writableFinished) stats.aborted++;
    });
    const raw = await readBody(req);
    let body: ChatBody;
    let o: MockOverrides;
    try {
      body = JSON.parse(raw) as ChatBody;
      o = { ...defaults, ...(req.headers['x-mock'] ? (JSON.parse(String(req.headers['x-mock'])) as MockOverrides) : {}) };
      o = { ...o, ...contentDirective(body) };
    } catch {
      finished = true;
      return json(res, 400, { error: { message: 'invalid JSON body or x-mock header' } });
    }
    if (o.gate) await gate(o.gate).open;
    const key = String(req.headers['x-mock-key'] ?? '');
    const seen = (failuresByKey.get(key) ?? 0) + 1;
    failuresByKey.set(key, seen);
    const injected = faults.failureRate > 0 && faultRandom() < faults.failureRate ? (String(faults.failStatus) as '500' | '502' | '503') : undefined;
    const fail = o.fail && (o.failTimes === undefined || seen <= o.failTimes) ? o.fail : injected;
    const model = body.model ?? models[0];
    stats.models[model] = (stats.models[model] ?? 0) + 1;
    const promptTokens = Math.ceil((body.messages ?? []).reduce((n, m) => n + String(m.content ?? '').length, 0) / 2);

    if (fail === '500' || fail === '502' || fail === '503' || fail === '429') {
      stats.failed++;
      finished = true;
      const headers: Record<string, string> = fail === '429' ? { 'retry-after': String(o.retryAfter ?? 1) } : {};
      return json(res, Number(fail), { error: { message: `mock failure ${fail}`, type: fail === '429' ? 'rate_limit' : 'server_error' } }, headers);
    }
    if (fail === 'hang' && !o.hangAfter) return; // says nothing, holds the connection

    const next = seededRandom(hash(`${seed}\u0000${raw}`));
    const schema = body.response_format?.json_schema?.schema;
    let pieces: string[];
    if (body.response_format) {
      const value = JSON.stringify(shapedValue(schema ?? { type: 'object', properties: { answer: { type: 'string' } } }, 'answer', next));
      const text = fail === 'badjson' ? value.slice(0, Math.max(1, value.length - 3)) + ',,' : fail === 'prose' ? `好的，结果如下：\n${value}\n以上。` : value;
      pieces = text.match(/[\s\S]{1,8}/g) ?? [];
    } else {
      pieces = Array.from({ length: Math.max(0, Math.min(o.tokens ?? defaults.tokens, body.max_tokens ?? Infinity)) }, (_, i) => (o.numbered ? `t${i + 1} ` : WORDS[Math.floor(next() * WORDS.length)]));
    }
    // One piece is one token, so `max_tokens` caps the pieces as a real model caps tokens.
    const finishReason = !body.response_format && body.max_tokens !== undefined && (o.tokens ?? defaults.tokens) > body.max_tokens ? 'length' : 'stop';
    const usage = { prompt_tokens: promptTokens, completion_tokens: pieces.length, total_tokens: promptTokens + pieces.length };
    const interval = 1000 / Math.max(0.001, o.tps ?? defaults.tps);
    const stopAfter = fail === 'cut' ? (o.cutAfter ?? 3) : fail === 'hang' ? o.hangAfter! : Infinity;
    if (fail) stats.failed++;

    if (!body.stream) {
      await wait(res, (o.ttftMs ?? 0) + pieces.length * interval);
      if (res.destroyed) return;
      if (fail === 'cut') {
        cutByUs = true;
        res.destroy();
        return;
      }
      if (fail === 'hang') return;
      finished = true;
      stats.completed++;
      return json(res, 200, {
        id: 'chatcmpl-mock',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: pieces.join('') }, finish_reason: finishReason }],
        usage,
      });
    }

    stats.streamed++;
    stats.openStreams++;
    res.on('close', () => stats.openStreams--);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.flushHeaders();
    const prefix = `data: {"id":"chatcmpl-mock","object":"chat.completion.chunk","created":0,"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":{"content":`;
    const suffix = '},"finish_reason":null}]}\n\n';
    let sent = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (sent >= stopAfter) {
        if (fail === 'cut') {
          cutByUs = true;
          res.destroy();
        }
        return; // hang: keep the connection open and silent
      }
      if (sent < pieces.length) {
        res.write(prefix + JSON.stringify(pieces[sent++]) + suffix);
        timer = setTimeout(tick, interval);
        return;
      }
      finished = true;
      stats.completed++;
      res.write(`data: {"id":"chatcmpl-mock","object":"chat.completion.chunk","created":0,"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":{},"finish_reason":"${finishReason}"}]}\n\n`);
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 0, model, choices: [], usage })}\n\n`);
      res.end('data: [DONE]\n\n');
    };
    let timer = setTimeout(tick, o.ttftMs ?? 0);
    res.on('close', () => clearTimeout(timer));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // A deep accept queue: thousands of streams connect at once in the benchmark.
    server.listen({ port: options.port ?? 18080, host: options.host ?? '127.0.0.1', backlog: 4096 }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1';
  return {
    url: `http://${host}:${port}/v1`,
    port,
    stats: () => ({ ...stats }),
    reset() {
      stats = zeroStats();
      failuresByKey = new Map();
    },
    setFaults(f) {
      Object.assign(faults, f);
    },
    openGate(name) {
      gate(name).release();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function zeroStats(): MockStats {
  return { requests: 0, streamed: 0, completed: 0, failed: 0, aborted: 0, openStreams: 0, models: {} };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Resolves after `ms`, or at once when the client goes away. */
function wait(res: ServerResponse, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    res.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'ttft-ms': { type: 'string' },
      tokens: { type: 'string' },
      tps: { type: 'string' },
      seed: { type: 'string' },
      profile: { type: 'string' },
      'failure-rate': { type: 'string' },
    },
  });
  const profile = (values.profile ?? process.env.MOCK_LLM_PROFILE) === 'bench' ? BENCH_PROFILE : {};
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const mock = await startMockLlm({
    ...profile,
    port: num(values.port) ?? 18080,
    host: values.host,
    ...(values['ttft-ms'] !== undefined ? { ttftMs: num(values['ttft-ms']) } : {}),
    ...(values.tokens !== undefined ? { tokens: num(values.tokens) } : {}),
    ...(values.tps !== undefined ? { tps: num(values.tps) } : {}),
    seed: num(values.seed),
    failureRate: num(values['failure-rate']),
  });
  console.log(`mock-llm listening on ${mock.url}`);
  const stop = () => void mock.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
