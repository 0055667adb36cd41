/**
 * A conversation's messages with streaming turns, shared by one-to-one and group chat.
 *
 * The caller gives a `load(before)` fetcher; `runTurn(open)` opens an SSE response (a send or a
 * regenerate), feeds its frames through the reducer and resolves when the stream ends. `stop()`
 * aborts the fetch (the server keeps the partial reply, marked interrupted). Switching to another
 * conversation (`key`) aborts a running stream and ignores its late frames.
 *
 * @example
 *   const conv = useConversation(`c${id}`, (before) => getMessages(id, before));
 *   conv.dispatch({ type: 'sent', userKey, assistantKey, content, now });
 *   const err = await conv.runTurn((signal) => sendMessage(id, content, signal));
 *   if (err) toast.error(err);
 */
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';
import { isAbort, isApiError } from './api.js';
import { conversationReducer, frameToAction, initialConversation, type ConversationAction } from './conversation.js';
import { localKey } from './keys.js';
import { frameJson, readSse } from './sse.js';
import type { Id, MessagePage } from './types.js';

export function useConversation(key: string | null, load: (before: Id | null) => Promise<MessagePage>) {
  const [state, rawDispatch] = useReducer(conversationReducer, initialConversation);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [loadError, setLoadError] = useState<unknown>(null);
  /** Seconds until a refused turn (503, LLM busy) is tried again; null when not waiting. */
  const [retryIn, setRetryIn] = useState<number | null>(null);
  const gen = useRef(0);
  const ctrl = useRef<AbortController | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;
  const stateRef = useRef(state);
  stateRef.current = state;

  /** Dispatch for the current conversation only. */
  const dispatchFor = useCallback((g: number) => (a: ConversationAction) => {
    if (g === gen.current) rawDispatch(a);
  }, []);

  const reload = useCallback(
    async (merge = false) => {
      const g = gen.current;
      try {
        const page = await loadRef.current(null);
        dispatchFor(g)({ type: 'loaded', page, merge });
        setLoadError(null);
      } catch (e) {
        if (g === gen.current) setLoadError(e);
      }
    },
    [dispatchFor],
  );

  useEffect(() => {
    gen.current++;
    ctrl.current?.abort();
    ctrl.current = null;
    rawDispatch({ type: 'reset' });
    setLoadingOlder(false);
    setLoadError(null);
    if (key !== null) void reload();
    return () => {
      ctrl.current?.abort();
    };
  }, [key, reload]);

  const loadOlder = useCallback(async () => {
    const s = stateRef.current;
    if (loadingOlder || s.nextBefore === null || !s.loaded) return;
    const g = gen.current;
    setLoadingOlder(true);
    try {
      const page = await loadRef.current(s.nextBefore);
      // Not a transition: the list is virtual, so a page renders only the rows on screen, and the
      // virtualizer keeps the reader's message in place only if it sees the prepend in one commit.
      dispatchFor(g)({ type: 'olderLoaded', page });
    } catch (e) {
      if (g === gen.current) setLoadError(e);
    } finally {
      if (g === gen.current) setLoadingOlder(false);
    }
  }, [loadingOlder, dispatchFor]);

  /**
   * Runs one streamed turn. Resolves to the error when the server refused the turn before streaming
   * (409 busy, 429, 401…: the caller shows it), else `null` — errors during the stream are shown on
   * the reply itself. A 503 with Retry-After (LLM busy or down: nothing was stored) is retried once
   * by itself after that many seconds, counting down in `retryIn`. After an error, a stop or a group
   * turn the list is resynced for ids.
   */
  const runTurn = useCallback(
    async (open: (signal: AbortSignal) => Promise<Response>, opts: { resync?: boolean } = {}): Promise<unknown> => {
      const g = gen.current;
      const d = dispatchFor(g);
      const c = new AbortController();
      ctrl.current = c;
      let ended = false;
      let failed: unknown = null;
      try {
        for (let attempt = 0; ; attempt++) {
          try {
            const res = await open(c.signal);
            for await (const f of readSse(res)) {
              const a = frameToAction(f.event, frameJson(f), localKey('s'), Date.now());
              if (!a) continue;
              d(a);
              if (a.type === 'done' || a.type === 'failed') {
                ended = true;
                if (a.type === 'failed') failed = new Error(a.message);
              }
            }
            if (!ended) {
              // The connection closed without `done` or `error`.
              d({ type: 'failed', message: 'connection closed' });
              failed = new Error('connection closed');
              ended = true;
            }
            break;
          } catch (e) {
            if (attempt === 0 && isApiError(e) && e.status === 503 && e.retryAfter !== undefined && !c.signal.aborted) {
              await countdown(Math.min(60, Math.max(1, e.retryAfter)), c.signal, (n) => g === gen.current && setRetryIn(n));
              if (!c.signal.aborted) continue;
            }
            throw e;
          }
        }
      } catch (e) {
        if (isAbort(e) || c.signal.aborted) {
          d({ type: 'aborted' });
          failed = null;
        } else {
          d({ type: 'failed', message: isApiError(e) ? e.message : String(e) });
          failed = e;
          // Rejected before the stream began (409 busy, 429, 503): nothing was stored; keep the text on screen.
          if (isApiError(e)) return e;
        }
      } finally {
        if (ctrl.current === c) ctrl.current = null;
        if (g === gen.current) setRetryIn(null);
      }
      if (g === gen.current && (opts.resync || failed || c.signal.aborted)) {
        // Give the server a moment to store a stopped reply before asking for ids.
        if (c.signal.aborted) await new Promise((r) => setTimeout(r, 300));
        await reload(true);
      }
      return null;
    },
    [dispatchFor, reload],
  );

  const stop = useCallback(() => ctrl.current?.abort(), []);

  return { state, dispatch: dispatchFor(gen.current), loadOlder, loadingOlder, loadError, reload, runTurn, stop, retryIn };
}

/** Waits `seconds`, reporting the seconds left once a second; ends early when `signal` aborts. */
function countdown(seconds: number, signal: AbortSignal, onTick: (left: number) => void): Promise<void> {
  return new Promise((resolve) => {
    let left = Math.ceil(seconds);
    onTick(left);
    const timer = setInterval(() => {
      left--;
      if (left <= 0) finish();
      else onTick(left);
    }, 1000);
    const finish = () => {
      clearInterval(timer);
      signal.removeEventListener('abort', finish);
      resolve();
    };
    signal.addEventListener('abort', finish, { once: true });
  });
}
