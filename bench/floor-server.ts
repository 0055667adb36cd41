/**
 * The floor of a streamed turn: what a turn costs with nothing but its unavoidable work, to set
 * beside what our server spends (bench/floor.ts runs it under the same load as bench/run.ts).
 *
 * A bare node:http server answers `POST /api/characters/:id/messages` the way our server does on
 * the wire (SSE `token` frames at most every FRAME ms after the first, then `done`), streaming
 * from the mock LLM through our own provider (undici dispatcher, paced reads, the SSE parser). No
 * framework, no session, no prompt, no memory, no metrics. `--db` adds the turn's three SQLite
 * statements (user message, reply, settle) as prepared better-sqlite3 statements, nothing else.
 *
 *   node --import tsx bench/floor-server.ts --port P --llm http://127.0.0.1:M/v1 [--frame 100] [--db FILE]
 */
import { Agent, createServer, request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import SQLite from 'better-sqlite3';
import { createOpenAiCompatibleProvider } from '../src/infra/llm/openai-compatible.js';
import { ReadPacer } from '../src/infra/llm/read-pacing.js';
import { deltaText, SseDataParser } from '../src/infra/llm/sse-data.js';

const { values: args } = parseArgs({
  options: { port: { type: 'string' }, llm: { type: 'string' }, frame: { type: 'string', default: '100' }, db: { type: 'string' }, upstream: { type: 'string', default: 'undici' }, write: { type: 'string', default: 'response' } },
});
const FRAME_MS = Number(args.frame);
const provider = createOpenAiCompatibleProvider({ baseUrl: args.llm!, apiKey: 'floor', connectTimeoutMs: 10_000, requestTimeoutMs: 120_000 });

/** The same exchange on node:http's client (its C parser) instead of undici, paced the same way: an experiment. */
const nodeAgent = new Agent({ keepAlive: true, maxSockets: Infinity });
const llmUrl = new URL(`${args.llm!.replace(/\/+$/, '')}/chat/completions`);
function nodeStreamChat(content: string, paceMs: number, onText: (text: string) => void): Promise<void> {
  const body = JSON.stringify({ model: 'mock-model', messages: [{ role: 'system', content: '你是李白。' }, { role: 'user', content }], stream: true, stream_options: { include_usage: true } });
  return new Promise((resolve, reject) => {
    const req = request({ host: llmUrl.hostname, port: llmUrl.port, path: llmUrl.pathname, method: 'POST', agent: nodeAgent, headers: { 'content-type': 'application/json', authorization: 'Bearer floor' } }, (res) => {
      const parser = new SseDataParser();
      const pacer = paceMs > 0 ? new ReadPacer(res.socket as Socket, paceMs) : undefined;
      let gathered = '';
      let queued = false;
      const endOfRead = () => {
        queued = false;
        if (!gathered) return;
        onText(gathered);
        gathered = '';
        pacer?.pause();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        for (const data of parser.push(chunk)) {
          if (data === '[DONE]') continue;
          gathered += deltaText(data) ?? '';
        }
        if (!queued) {
          queued = true;
          queueMicrotask(endOfRead);
        }
      });
      res.on('end', () => {
        endOfRead();
        pacer?.release();
        resolve();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const store = args.db ? openStore(args.db) : undefined;
function openStore(file: string) {
  const conn = new SQLite(file);
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = NORMAL');
  conn.exec('create table if not exists messages (id integer primary key autoincrement, conversation_id integer not null, role text not null, content text not null, status text not null, created_at integer not null)');
  conn.exec('create index if not exists messages_conversation on messages (conversation_id, id)');
  const insert = conn.prepare('insert into messages (conversation_id, role, content, status, created_at) values (?, ?, ?, ?, ?) returning id');
  const settle = conn.prepare("update messages set status = 'complete' where id = ?");
  return {
    insert: (conversation: number, role: string, content: string, status: string) => (insert.get(conversation, role, content, status, Date.now()) as { id: number }).id,
    settle: (id: number) => settle.run(id),
  };
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });

const server = createServer(async (req, res) => {
  if (req.url === '/healthz') {
    res.end('ok');
    return;
  }
  const m = /^\/api\/characters\/(\d+)\/messages$/.exec(req.url ?? '');
  if (req.method !== 'POST' || !m) {
    res.writeHead(404).end();
    return;
  }
  const { content } = JSON.parse(await readBody(req)) as { content: string };
  const conversation = Number(m[1]);
  const userMessage = store?.insert(conversation, 'user', content, 'pending');
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  if (args.write === 'raw') res.flushHeaders();
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  let text = '';
  let pending = '';
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (!pending) return;
    const frame = `event: token\ndata: ${JSON.stringify({ text: pending })}\n\n`;
    // raw: the chunk framed by hand and written to the socket in one call (no cork, tick, writev).
    if (args.write === 'raw') res.socket!.write(`${Buffer.byteLength(frame).toString(16)}\r\n${frame}\r\n`);
    else res.write(frame);
    pending = '';
    last = performance.now();
  };
  try {
    const onText = (chunk: string) => {
      text += chunk;
      pending += chunk;
      const wait = last + FRAME_MS - performance.now();
      if (wait <= FRAME_MS / 2) flush();
      else timer ??= setTimeout(flush, wait);
    };
    if (args.upstream === 'node') await nodeStreamChat(content, FRAME_MS, onText);
    else await provider.streamChat({ purpose: 'chat', model: 'mock-model', messages: [{ role: 'system', content: '你是李白。' }, { role: 'user', content }], paceMs: FRAME_MS }, abort.signal, onText);
    clearTimeout(timer);
    flush();
    const reply = store?.insert(conversation, 'assistant', text, 'complete');
    if (userMessage !== undefined) store!.settle(userMessage);
    res.end(`event: done\ndata: ${JSON.stringify({ messageId: reply ?? 0 })}\n\n`);
  } catch (err) {
    clearTimeout(timer);
    res.end(`event: error\ndata: ${JSON.stringify({ code: 'llm_error', message: String(err) })}\n\n`);
  }
});
server.keepAliveTimeout = 60_000;
server.listen(Number(args.port), '127.0.0.1');
