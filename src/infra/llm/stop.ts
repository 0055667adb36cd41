/**
 * Stop sequences, enforced on our side too: OpenAI-compatible providers honour `stop` themselves,
 * but the offline model and some local servers do not, and a caller of the OpenAI-compatible API
 * must never see text past a stop sequence. Text that could be the start of a stop sequence is
 * held back until the next chunk decides. After a stop the rest of the stream is read and
 * dropped (a provider that honoured `stop` has nothing left), so usage and metrics stay exact.
 */
import type { LlmUsage } from './types.js';

/** The index of the earliest stop sequence in `text`, or -1. */
export function firstStop(text: string, stops: readonly string[]): number {
  let at = -1;
  for (const s of stops) {
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at;
}

/** How many trailing characters of `text` could begin a stop sequence (to hold back). */
function heldTail(text: string, stops: readonly string[]): number {
  let hold = 0;
  for (const s of stops) {
    for (let n = Math.min(s.length - 1, text.length); n > hold; n--) {
      if (text.endsWith(s.slice(0, n))) {
        hold = n;
        break;
      }
    }
  }
  return hold;
}

/** `gen` cut at the first of `stops` (the stop itself is not yielded). */
export async function* cutAtStop(gen: AsyncGenerator<string, LlmUsage, void>, stops: readonly string[]): AsyncGenerator<string, LlmUsage, void> {
  const wanted = stops.filter((s) => s.length > 0);
  if (!wanted.length) return yield* gen;
  let pending = '';
  let stopped = false;
  for (;;) {
    const r = await gen.next();
    if (r.done) {
      if (pending && !stopped) yield pending;
      return r.value;
    }
    if (stopped) continue;
    pending += r.value;
    const at = firstStop(pending, wanted);
    if (at >= 0) {
      stopped = true;
      if (at > 0) yield pending.slice(0, at);
      pending = '';
      continue;
    }
    const safe = pending.length - heldTail(pending, wanted);
    if (safe > 0) {
      yield pending.slice(0, safe);
      pending = pending.slice(safe);
    }
  }
}
