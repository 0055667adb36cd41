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
