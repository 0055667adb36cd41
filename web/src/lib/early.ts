/**
 * The conversation in the URL, asked for at start-up by a browser that was signed in last time,
 * beside the session check and the app's own code instead of after both (one round trip less
 * before the first message on a slow phone). `api.get` takes the answer when the app asks for the
 * same path; a refused or failed early request is dropped without a word (a stale hint must not
 * look like an expired session), and the app asks again as usual.
 *
 * @example
 *   fetchEarly(earlyPathFor(location.pathname));   // at start-up
 *   const res = await takeEarly('/api/chats/7/messages?limit=30'); // Response, or null: ask yourself
 */
import { parseRoute } from './router.js';

/** As the conversation's first page is asked for (features/chat/api/messages.ts, groups/api/group-messages.ts). */
export function earlyPathFor(pathname: string): string | null {
  const r = parseRoute(pathname);
  if (r.view === 'character') return r.chatId ? `/api/chats/${encodeURIComponent(r.chatId)}/messages?limit=30` : `/api/characters/${encodeURIComponent(r.id)}/messages?limit=30`;
  if (r.view === 'group') return `/api/groups/${encodeURIComponent(r.id)}/messages?limit=30`;
  return null;
}

/** An answer older than this is not used: the conversation may have moved on. */
const FRESH_MS = 15_000;
const early = new Map<string, { at: number; res: Promise<Response | null> }>();

export function fetchEarly(path: string | null): void {
  if (!path) return;
  const res = fetch(path, { headers: { Accept: 'application/json' }, credentials: 'same-origin' }).then(
    (r) => (r.ok ? r : null),
    () => null,
  );
  early.set(path, { at: Date.now(), res });
}

/** The early answer for `path`, once; `undefined` when there is none to wait for. */
export function takeEarly(path: string): Promise<Response | null> | undefined {
  const e = early.get(path);
  if (!e) return undefined;
  early.delete(path);
  return Date.now() - e.at < FRESH_MS ? e.res : undefined;
}
