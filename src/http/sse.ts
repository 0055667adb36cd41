/**
 * Server-sent events with a guaranteed last word: every stream ends with `done` or `error`.
 * The caller gets an AbortSignal that fires when the client goes away, to abort upstream work.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimiter } from '../infra/rate-limit/rate-limiter.js';
import { silentSink, type TurnEventData, type TurnSink } from '../features/conversations/engine.js';
import { currentUser } from './auth.js';
import { toAppError } from './errors.js';
import { enforceRateLimit } from './rate-limit.js';

export interface SseStream {
  /** Aborted when the client disconnects. */
  readonly signal: AbortSignal;
  send(event: string, data: unknown): void;
  /** Writes text that is already one or more frames. */
  write(frames: string): void;
  /** Ends the stream with a final frame (`done` or `error`); later calls do nothing. */
  end(event: 'done' | 'error' | string, data: unknown): void;
  /** Ends the stream with a final frame that is already text. */
  endRaw(frames: string): void;
  readonly closed: boolean;
}

const PING_MS = 15_000;
/**
 * Tokens after the first are sent in frames of this many ms: ten updates a second read as a smooth
 * stream, and each frame is a socket write whose kernel work (the peer's wake-up) was the largest
 * single share of a streamed turn's CPU at 40 ms (bench/RESULTS.md: 2.5× fewer writes).
 */
export const FRAME_MS = 100;

export function wantsEventStream(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('text/event-stream');
}

/**
 * Opens the stream. `flushHeaders: false` holds the headers back until the first frame, so they
 * share its socket write (a turn's first token): on loopback every write costs a syscall and the
 * peer's wake-up, a measurable share of a turn's CPU.
 */
export function openSse(request: FastifyRequest, reply: FastifyReply, extraHeaders: Record<string, string> = {}, options: { flushHeaders?: boolean } = {}): SseStream {
  const res = reply.raw;
  const abort = new AbortController();
  let ended = false;
  reply.hijack();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    ...extraHeaders,
  });
  if (options.flushHeaders !== false) res.flushHeaders();
  const ping = setInterval(() => res.write(': ping\n\n'), PING_MS);
  ping.unref();
  const onClose = () => {
    clearInterval(ping);
    if (!ended) abort.abort(new Error('client disconnected'));
    ended = true;
  };
  // `close` on the response fires both on normal end and on a dropped connection.
  res.on('close', onClose);

  const writeRaw = (frames: string) => {
    if (ended || res.destroyed) return;
    res.write(frames);
  };
  const endRaw = (frames: string) => {
    if (ended) return;
    ended = true;
    clearInterval(ping);
    // The last frame and the end of the chunked body in one write.
    if (res.destroyed) res.end();
    else res.end(frames);
  };
  return {
    signal: abort.signal,
    get closed() {
      return ended || res.destroyed;
    },
    send: (event, data) => writeRaw(frame(event, JSON.stringify(data))),
    write: writeRaw,
    end: (event, data) => endRaw(frame(event, JSON.stringify(data))),
    endRaw,
  };
}

/** Ends a stream with an `error` frame built from any thrown value. */
export function endWithError(sse: SseStream, err: unknown): void {
  sse.end('error', errorData(err));
}

/**
 * A stream that is not a turn (e.g. a job's progress): opens on the first frame, so an error
 * before any (404, 409) is still a plain HTTP error; ends with `finalFrame`, or `error` if `work` throws.
 */
export async function runStreamed<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  work: (io: { send(event: string, data: unknown): void; begin(): void; signal: AbortSignal }) => Promise<T>,
  finalFrame: (result: T) => { event: string; data: unknown },
): Promise<void> {
  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.abort(new Error('client disconnected'));
  };
  reply.raw.on('close', onClose);
  let sse: SseStream | undefined;
  const open = () => {
    if (!sse) {
      sse = openSse(request, reply);
      sse.signal.addEventListener('abort', () => abort.abort(new Error('client disconnected')));
    }
    return sse;
  };
  try {
    const result = await work({ send: (event, data) => open().send(event, data), begin: () => void open(), signal: abort.signal });
    const f = finalFrame(result);
    open().end(f.event, f.data);
  } catch (err) {
    if (!sse) throw err;
    endWithError(sse, err);
  } finally {
    reply.raw.off('close', onClose);
  }
}

/** An `error` event's data: internal details never reach the client. */
function errorData(err: unknown): TurnEventData['error'] {
  const e = toAppError(err);
  return { code: e.code, message: e.status >= 500 && e.kind === 'internal' ? 'Internal server error' : e.message };
}

/** One event as an SSE frame; `data` is already JSON. */
const frame = (event: string, json: string) => `event: ${event}\ndata: ${json}\n\n`;

/** How streamed turns are written, the same for every streaming route (app.ts builds it from the config). */
export interface TurnStreaming {
  /** Request received → first token written, as the server sees it. */
  observeFirstToken?: (seconds: number) => void;
  /** How long tokens are gathered into one frame after the first (which goes out at once); default FRAME_MS. */
  coalesceMs?: number;
}

export interface TurnRouteOptions extends TurnStreaming {
  limiter: RateLimiter;
  /** Per-user budget of turns a minute (0 = unlimited). */
  ratePerMin: number;
}

/**
 * Serves one streamed turn, for every streaming route (chat, regenerate, groups): the per-user
 * rate limit (429), then the engine's work. With `Accept: text/event-stream` the stream opens when
 * the turn begins (its user message is stored); admission refusals, 404, 409 and 429 before that are
 * plain HTTP errors with Retry-After. Tokens are joined into one frame per `coalesceMs` (the first
 * goes out at once, time to first token); every stream ends with `done` or `error`. Without the
 * header the answer is JSON once the turn ends. Closing the connection aborts the turn.
 */
export async function serveTurn<T, J = T>(
  request: FastifyRequest,
  reply: FastifyReply,
  options: TurnRouteOptions,
  run: (sink: TurnSink) => Promise<T>,
  finish: { done: (result: T) => TurnEventData['done']; json?: (result: T) => J },
): Promise<J | T | FastifyReply> {
  await enforceRateLimit(options.limiter, `chat:${currentUser(request).id}`, options.ratePerMin, 'messages');
  const abort = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) abort.abort(new Error('client disconnected'));
  };
  reply.raw.on('close', onClose);
  try {
    if (!wantsEventStream(request)) {
      const result = await run(answerSink(options, abort.signal));
      return finish.json ? finish.json(result) : result;
    }
    const streamed = streamedSink(request, reply, options, abort);
    try {
      const result = await run(streamed.sink);
      streamed.end(frame('done', JSON.stringify(finish.done(result))));
    } catch (err) {
      if (!streamed.opened) throw err;
      streamed.end(frame('error', JSON.stringify(errorData(err))));
    }
    return reply;
  } finally {
    reply.raw.off('close', onClose);
  }
}

/** How a transport writes a turn's events as SSE text: our frames, or OpenAI's chunks (features/openai-api). */
export interface TurnFrames {
  token(text: string): string;
  speaker(data: TurnEventData['speaker']): string;
  messageDone(data: TurnEventData['message_done']): string;
}

const OUR_FRAMES: TurnFrames = {
  token: (text) => frame('token', JSON.stringify({ text })),
  speaker: (data) => frame('speaker', JSON.stringify(data)),
  messageDone: (data) => frame('message_done', JSON.stringify(data)),
};

/** The frame window of these options, and the pace it sets for upstream reads (undefined when frames are off: 0). */
const frameWindow = (options: TurnStreaming) => options.coalesceMs ?? FRAME_MS;
const paceOf = (windowMs: number) => windowMs || undefined;

/**
 * The sink of a turn answered as one JSON body: no events, but the upstream is read at the frame
 * pace all the same (nobody sees the text before the end, and each read costs a wake-up).
 */
export function answerSink(options: TurnStreaming, signal: AbortSignal): TurnSink {
  return silentSink(signal, paceOf(frameWindow(options)));
}

/**
 * The SSE side of a turn: opens on `begin` (or the first event), coalesces tokens, writes frames;
 * `end(last)` writes the last frames and closes. `abort` fires when the client goes away.
 */
export function streamedSink(request: FastifyRequest, reply: FastifyReply, options: TurnStreaming, abort: AbortController, frames: TurnFrames = OUR_FRAMES) {
  const windowMs = frameWindow(options);
  let sse: SseStream | undefined;
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  let firstToken = true;
  // When the last token frame went out: text arriving a window later goes out at once (the
  // transport reads the upstream at this pace, so in steady state no timer is needed).
  let lastFrameAt = 0;
  const open = () => {
    if (!sse) {
      sse = openSse(request, reply, {}, { flushHeaders: false });
      sse.signal.addEventListener('abort', () => abort.abort(new Error('client disconnected')));
    }
    return sse;
  };
  /** The gathered tokens as a frame ('' when none), and the window reset. */
  const take = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const text = pending ? frames.token(pending) : '';
    pending = '';
    return text;
  };
  const flush = () => {
    const text = take();
    lastFrameAt = performance.now();
    if (text) open().write(text);
  };
  const sink: TurnSink = {
    signal: abort.signal,
    paceMs: paceOf(windowMs),
    begin: () => void open(),
    token(text) {
      if (firstToken) {
        firstToken = false;
        lastFrameAt = performance.now();
        open().write(frames.token(text));
        options.observeFirstToken?.(reply.elapsedTime / 1000);
        return;
      }
      pending += text;
      if (timer) return;
      // Paced reads come on the pace clock's ticks, at least half a window after the last frame
      // (infra/llm/read-pacing.ts): text due within half a window goes out now, not behind a
      // timer of its own (a wake-up per stream, where the tick woke all of them at once).
      const wait = windowMs - (performance.now() - lastFrameAt);
      if (wait <= windowMs / 2) flush();
      else timer = setTimeout(flush, wait);
    },
    speaker(data) {
      firstToken = true;
      open().write(take() + frames.speaker(data));
    },
    messageDone(data) {
      open().write(take() + frames.messageDone(data));
    },
  };
  return {
    sink,
    get opened() {
      return sse !== undefined;
    },
    end(last: string) {
      open().endRaw(take() + last);
    },
  };
}
