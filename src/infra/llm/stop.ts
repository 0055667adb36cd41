/**
 * Stop sequences, enforced on our side too: OpenAI-compatible providers honour `stop` themselves,
 * but the offline model and some local servers do not, and a caller of the OpenAI-compatible API
 * must never see text past a stop sequence. Text that could be the start of a stop sequence is
 * held back until the next chunk decides. After a stop the rest of the stream is dropped, not cut
 * (a provider that honoured `stop` sends nothing more), so usage and metrics stay exact.
 */

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

/**
 * Wraps a chunk callback: `push` chunks as they come, `end` when the stream ends; `emit` sees the
 * text up to the first of `stops` (the stop itself excluded), in order.
 */
export function stopCutter(stops: readonly string[], emit: (text: string) => void): { push(text: string): void; end(): void } {
  const wanted = stops.filter((s) => s.length > 0);
  let pending = '';
  let stopped = false;
  return {
    push(text) {
      if (stopped) return;
      if (!wanted.length) return emit(text);
      pending += text;
      const at = firstStop(pending, wanted);
      if (at >= 0) {
        stopped = true;
        if (at > 0) emit(pending.slice(0, at));
        pending = '';
        return;
      }
      const safe = pending.length - heldTail(pending, wanted);
      if (safe > 0) {
        emit(pending.slice(0, safe));
        pending = pending.slice(safe);
      }
    },
    end() {
      if (pending && !stopped) emit(pending);
      pending = '';
    },
  };
}
