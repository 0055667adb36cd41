import { StringDecoder } from 'node:string_decoder';

/**
 * The `data:` payloads of a server-sent-event stream, fed in text chunks as they arrive: the hot
 * path of every streamed LLM reply, so it returns a plain array per chunk (no generator, no event
 * objects) and keeps only the unfinished line between calls. Follows the HTML spec's line rules
 * that matter to OpenAI-compatible streams: LF, CRLF or CR end a line; a blank line dispatches the
 * event's data (several `data:` lines joined by "\n"); `:` comments (keep-alives such as
 * OpenRouter's "OPENROUTER PROCESSING") and other fields are skipped.
 */
export class SseDataParser {
  private rest = '';
  private data: string[] = [];
  private afterCr = false;

  /** Nothing unfinished is held: the next chunk starts a new line of a new event. */
  get idle(): boolean {
    return this.rest === '' && this.data.length === 0 && !this.afterCr;
  }

  /** Payloads completed by this chunk, in order. */
  push(chunk: string): string[] {
    const out: string[] = [];
    let text = chunk;
    // A CRLF split across chunks: the LF belongs to the CR already handled.
    if (this.afterCr && text.charCodeAt(0) === 10) text = text.slice(1);
    this.afterCr = false;
    if (this.rest) {
      text = this.rest + text;
      this.rest = '';
    }
    let start = 0;
    const n = text.length;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(text.slice(start, i), out);
      if (c === 13) {
        if (i + 1 < n) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else {
          this.afterCr = true;
        }
      }
      start = i + 1;
    }
    if (start < n) this.rest = text.slice(start);
    return out;
  }

  private line(line: string, out: string[]): void {
    if (line.length === 0) {
      if (this.data.length) {
        out.push(this.data.length === 1 ? this.data[0] : this.data.join('\n'));
        this.data = [];
      }
      return;
    }
    if (line.startsWith('data:')) this.data.push(line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5));
    // `event:`, `id:`, `retry:` and `:` comments carry nothing an LLM stream needs.
  }
}

const DELTA_CONTENT = '"delta":{"content":"';

/**
 * The text of the chunk nearly every streamed token arrives in — compact JSON with
 * `"delta":{"content":"…"` and no usage or error — read without parsing the whole chunk (a full
 * JSON.parse per token was half of a chunk's cost). `undefined` means "parse it": any other shape
 * (a role-only delta, usage, an error, spaces after the colons, a `null` content) goes the slow way,
 * so a provider's unusual chunk is never misread, only read more slowly.
 */
export function deltaText(data: string): string | undefined {
  const at = data.indexOf(DELTA_CONTENT);
  if (at < 0 || data.includes('"usage":{') || data.includes('"error"')) return undefined;
  const from = at + DELTA_CONTENT.length;
  let escaped = false;
  for (let i = from; i < data.length; i++) {
    const c = data.charCodeAt(i);
    if (c === 92) {
      // An escape: the character after it is never the closing quote.
      escaped = true;
      i++;
      continue;
    }
    if (c === 34) {
      const raw = data.slice(from, i);
      if (!escaped) return raw;
      try {
        return JSON.parse(`"${raw}"`) as string;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

const DATA_PREFIX = Buffer.from('data: ');
const DELTA_BYTES = Buffer.from(DELTA_CONTENT);
const USAGE_BYTES = Buffer.from('"usage":{');
const ERROR_BYTES = Buffer.from('"error"');
const LF = 10;
const CR = 13;
const QUOTE = 34;
const BACKSLASH = 92;

/** `needle` in `buf` between `from` and `to`. */
const within = (buf: Buffer, needle: Buffer | number, from: number, to: number) => {
  const at = buf.indexOf(needle, from);
  return at >= 0 && at < to ? at : -1;
};

/**
 * The token text of a network chunk that is nothing but whole compact token events
 * (`data: {…"delta":{"content":"…"…}\n\n`, once or more), read from the bytes: only the text
 * itself is decoded. `undefined` for anything else (a split event, CR line ends, comments, other
 * fields, `[DONE]`, usage, errors, any shape `deltaText` would not read): the caller parses that
 * chunk the ordinary way. The same answer as `SseDataParser` + `deltaText` for every chunk it
 * accepts (tested); UTF-8 never puts `"` or `\` inside a multi-byte character, so the scan is safe.
 */
export function compactDeltaText(buf: Buffer): string | undefined {
  let text = '';
  let at = 0;
  const n = buf.length;
  if (n === 0) return undefined;
  while (at < n) {
    if (at + DATA_PREFIX.length > n || buf.compare(DATA_PREFIX, 0, DATA_PREFIX.length, at, at + DATA_PREFIX.length) !== 0) return undefined;
    // One line, then the blank line that ends the event.
    const end = buf.indexOf(LF, at);
    if (end < 0 || end + 1 >= n || buf[end + 1] !== LF || within(buf, CR, at, end) >= 0) return undefined;
    const delta = within(buf, DELTA_BYTES, at, end);
    if (delta < 0 || within(buf, USAGE_BYTES, at, end) >= 0 || within(buf, ERROR_BYTES, at, end) >= 0) return undefined;
    const from = delta + DELTA_BYTES.length;
    let escaped = false;
    let close = -1;
    for (let i = from; i < end; i++) {
      const c = buf[i];
      if (c === BACKSLASH) {
        escaped = true;
        i++;
      } else if (c === QUOTE) {
        close = i;
        break;
      }
    }
    if (close < 0) return undefined;
    const raw = buf.toString('utf8', from, close);
    if (escaped) {
      try {
        text += JSON.parse(`"${raw}"`) as string;
      } catch {
        return undefined;
      }
    } else {
      text += raw;
    }
    at = end + 2;
  }
  return text;
}

/**
 * An OpenAI-compatible stream's network chunks, in order: token text to `onText`, every other
 * event's `data:` payload to `onData`. A chunk of whole compact token events (nearly all of them)
 * is read from its bytes; anything else, or anything while an event is unfinished, goes through
 * the decoder and `SseDataParser`, exactly as before (a token event that reaches `onData` is
 * still read by the caller with `deltaText`).
 */
export class SseChunkReader {
  private readonly parser = new SseDataParser();
  private readonly decoder = new StringDecoder('utf8');
  // The decoder can only hold part of a character when the last chunk it saw ended in a non-ASCII byte.
  private decoderIdle = true;

  constructor(
    private readonly onText: (text: string) => void,
    private readonly onData: (data: string) => void,
  ) {}

  push(chunk: Buffer): void {
    const text = this.decoderIdle && this.parser.idle ? compactDeltaText(chunk) : undefined;
    if (text !== undefined) {
      if (text) this.onText(text);
      return;
    }
    for (const data of this.parser.push(this.decoder.write(chunk))) this.onData(data);
    this.decoderIdle = chunk.length === 0 || chunk[chunk.length - 1] < 0x80;
  }
}
