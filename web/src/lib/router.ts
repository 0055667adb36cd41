/**
 * A URL per view, on the history API (no router library needed for five routes):
 *   /                      home (opens the first character)
 *   /characters/:id        a character's current chat
 *   /characters/:id/chats/:chatId   one of its chats
 *   /groups/:id            a group chat
 *   /settings              the settings dialog (over the last chat)
 *   /admin                 the admin page
 *   /lorebooks[/:id]       the lorebooks page (a book's entries with an id)
 * The server answers any GET path without a file extension with index.html, so these deep-link.
 */
import { useCallback, useSyncExternalStore } from 'react';

export type Route =
  | { view: 'home' }
  | { view: 'character'; id: string; chatId?: string }
  | { view: 'group'; id: string }
  | { view: 'settings' }
  | { view: 'admin' }
  | { view: 'lorebooks'; id: string | null };

/** @example parseRoute('/characters/12') // { view: 'character', id: '12' } */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (parts[0] === 'characters' && parts[1] && parts.length === 2) return { view: 'character', id: parts[1] };
  if (parts[0] === 'characters' && parts[1] && parts[2] === 'chats' && parts[3] && parts.length === 4) return { view: 'character', id: parts[1], chatId: parts[3] };
  if (parts[0] === 'groups' && parts[1] && parts.length === 2) return { view: 'group', id: parts[1] };
  if (parts[0] === 'settings' && parts.length === 1) return { view: 'settings' };
  if (parts[0] === 'admin' && parts.length === 1) return { view: 'admin' };
  if (parts[0] === 'lorebooks' && parts.length <= 2) return { view: 'lorebooks', id: parts[1] ?? null };
  return { view: 'home' };
}

/** @example routePath({ view: 'group', id: '3' }) // '/groups/3' */
export function routePath(r: Route): string {
  switch (r.view) {
    case 'character':
      return `/characters/${encodeURIComponent(r.id)}${r.chatId ? `/chats/${encodeURIComponent(r.chatId)}` : ''}`;
    case 'group':
      return `/groups/${encodeURIComponent(r.id)}`;
    case 'settings':
      return '/settings';
    case 'admin':
      return '/admin';
    case 'lorebooks':
      return r.id === null ? '/lorebooks' : `/lorebooks/${encodeURIComponent(r.id)}`;
    default:
      return '/';
  }
}

const listeners = new Set<() => void>();
const notify = () => listeners.forEach((l) => l());
if (typeof window !== 'undefined') window.addEventListener('popstate', notify);

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const snapshot = () => window.location.pathname;

/** Goes to a view: a new history entry, or `replace` for corrections (a gone id, the default chat). */
export function navigate(r: Route, opts: { replace?: boolean } = {}): void {
  const path = routePath(r);
  if (path === window.location.pathname) return;
  if (opts.replace) window.history.replaceState(window.history.state, '', path);
  else window.history.pushState({ inApp: true }, '', path);
  notify();
}

/** The current route, re-rendering on navigation and on the back/forward buttons. */
export function useRoute(): [Route, typeof navigate] {
  const pathname = useSyncExternalStore(subscribe, snapshot, () => '/');
  const go = useCallback(navigate, []);
  return [parseRoute(pathname), go];
}
