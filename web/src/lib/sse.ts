/**
 * Server-sent events over `fetch` (POST bodies and AbortController, which `EventSource` lacks).
 *
 * One async generator reads a response body and yields one `{event, data}` per frame, following
 * the HTML spec's parsing rules: lines end with LF, CR or CRLF; `event:` names the frame (default
 * `message`); several `data:` lines are joined with "\n"; a blank line dispatches; lines starting
 * with `:` are comments (the server's keep-alive pings) and are ignored; a frame with no data is
 * not dispatched. The generator ends when the body ends; aborting the fetch's signal ends it too
 * (the read rejects with AbortError, which the caller handles).
 *
 * @example
 *   const res = await api.stream('POST', `/api/characters/${id}/messages`, { content }, ctrl.signal);
 *   for await (const f of readSse(res)) {
 *     if (f.event === 'token') append(JSON.parse(f.data).text);
 *   }
 */

export interface SseFrame {
  event: string;
  data: string;
  id?: string;
}

export async function* readSse(res: Response | ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const body = res instanceof ReadableStream ? res : res.body;
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
    yield* parser.push(decoder.decode());
    // A final frame without its blank line is dropped, as the spec says.
  } finally {
    reader.releaseLock();
  }
}

/** Incremental parser; exported for tests and for reuse with other transports. */
export class SseParser {
  private buf = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private lastWasCr = false;

  *push(chunk: string): Generator<SseFrame> {
    let text = chunk;
    // A CRLF split across chunks: the LF belongs to the CR we already handled.
    if (this.lastWasCr && text.startsWith('\n')) text = text.slice(1);
    this.lastWasCr = false;
    this.buf += text;
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      if (!m) break;
      // A lone CR at the very end may be the first half of CRLF: wait for more input.
      if (m[0] === '\r' && m.index === this.buf.length - 1) {
        const line = this.buf.slice(0, m.index);
        this.buf = '';
        this.lastWasCr = true;
        const f = this.line(line);
        if (f) yield f;
        break;
      }
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      const f = this.line(line);
      if (f) yield f;
    }
  }

  private line(line: string): SseFrame | undefined {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = '';
        return undefined;
      }
      const frame: SseFrame = { event: this.event || 'message', data: this.data.join('\n') };
      if (this.id !== undefined) frame.id = this.id;
      this.event = '';
      this.data = [];
      return frame;
    }
    if (line.startsWith(':')) return undefined;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? '' : line.slice(i + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    return undefined;
  }
}

/** Parses a frame's JSON data; a malformed frame yields `undefined` rather than throwing mid-stream. */
export function frameJson<T>(f: SseFrame): T | undefined {
  try {
    return JSON.parse(f.data) as T;
  } catch {
    return undefined;
  }
}
