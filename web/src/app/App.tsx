import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { AuthScreen } from '../features/auth/components/AuthScreen.js';
import { authKeys, useMe, type SessionEnd } from '../features/auth/api/get-me.js';
import { metaKeys, useMeta } from '../lib/meta.js';
import { useI18n } from '../i18n/index.js';
import { earlyPathFor, fetchEarly } from '../lib/early.js';
import { chunk } from '../lib/lazy.js';

// The signed-in app is a chunk of its own, so the sign-in page loads only what it shows. A browser
// that was signed in last time most likely still is: it fetches the app beside the session check,
// so a returning user waits for no extra round trip. A visitor starts fetching it when they begin
// to fill in the sign-in form.
// The Markdown renderer does not come with it: most messages render without it
// (components/light-markdown.ts), and evaluating its 170 KB beside the app at 4× CPU held the
// first message's paint back (issue #19); it is fetched when a message needs it or when idle.
// Not React.lazy under <Suspense>: React holds a boundary's content back until 300 ms after its
// fallback showed, and the chat's queries start only when the shell mounts (a 300 ms gap in every
// signed-in load, seen in a Lighthouse trace). The splash is ordinary content until the chunk is in.
const shellChunk = chunk(() => import('./Shell.js'));
type ShellModule = typeof import('./Shell.js');
const loadShell = shellChunk.load;

/** The shell's module once `wanted` and loaded; `retry` after a failed load (e.g. offline). */
function useShell(wanted: boolean): { mod?: ShellModule; failed: unknown; retry: () => void } {
  const [mod, setMod] = useState(shellChunk.loaded);
  const [failed, setFailed] = useState<unknown>(null);
  useEffect(() => {
    if (!wanted || mod || failed) return;
    let live = true;
    loadShell().then(
      (m) => live && setMod(m),
      (e: unknown) => live && setFailed(e ?? new Error('chunk')),
    );
    return () => {
      live = false;
    };
  }, [wanted, mod, failed]);
  return { mod, failed, retry: () => setFailed(null) };
}

const HINT_KEY = 'fastnpc.signedIn';

function signedInHint(): boolean {
  try {
    return localStorage.getItem(HINT_KEY) === '1';
  } catch {
    return false;
  }
}

function setSignedInHint(on: boolean): void {
  try {
    if (on) localStorage.setItem(HINT_KEY, '1');
    else localStorage.removeItem(HINT_KEY);
  } catch {
    // not kept: the next visit loads the app after the session check
  }
}

if (typeof window !== 'undefined' && signedInHint()) {
  void loadShell().catch(() => undefined);
  fetchEarly(earlyPathFor(window.location.pathname));
}

/** Session gate: restores the session from the cookie (GET /api/auth/me); sign-in only on 401. */
export function App() {
  const { t, errorText } = useI18n();
  const me = useMe();
  // Asked beside the session, and waited for: the offline banner is then in the first frame of the
  // app instead of pushing it down later (a layout shift).
  const meta = useMeta();
  const qc = useQueryClient();
  const hadUser = useRef(false);
  if (me.data) hadUser.current = true;
  // After signing in, focus goes to the conversation (the form that had it is gone); a page load
  // keeps the browser's own start, where the first Tab reaches the skip link.
  const showedSignIn = useRef(false);
  if (me.data === null) showedSignIn.current = true;
  const signedOut = me.data === null;
  const shell = useShell(!!me.data);

  // Signed out (by the button, or a 401 anywhere): once the app is unmounted, forget everything
  // the previous user saw, except the session answer itself and the public server facts.
  const signedIn = !!me.data;
  useEffect(() => {
    if (me.isPending) return;
    setSignedInHint(signedIn);
    if (signedIn) return;
    const early = () => void loadShell().catch(() => undefined);
    document.addEventListener('focusin', early, { once: true });
    return () => document.removeEventListener('focusin', early);
  }, [signedIn, me.isPending]);

  useEffect(() => {
    if (!signedOut) return;
    const keep = (key: readonly unknown[]) => key[0] === authKeys.me[0] || key[0] === metaKeys.all[0];
    void qc.cancelQueries({ predicate: (q) => !keep(q.queryKey) });
    qc.removeQueries({ predicate: (q) => !keep(q.queryKey) });
    qc.getMutationCache().clear();
    document.title = 'FastNPC';
  }, [signedOut, qc]);

  const splash = (
    <div className="splash" role="status">
      <span className="brand">FastNPC</span>
      <span className="muted">{t('app.loading')}</span>
    </div>
  );
  if (me.isPending || (meta.isPending && meta.fetchStatus !== 'idle')) return splash;
  if (me.error || (me.data && shell.failed)) {
    return (
      <div className="splash" role="alert">
        <span className="brand">FastNPC</span>
        <p className="error-text">{errorText(me.error ?? shell.failed)}</p>
        <button type="button" className="btn btn-primary" onClick={() => (me.error ? void me.refetch() : shell.retry())}>
          {t('common.retry')}
        </button>
      </div>
    );
  }
  if (!me.data) {
    const ended = hadUser.current ? qc.getQueryData<SessionEnd>(authKeys.ended) : undefined;
    return <AuthScreen notice={ended === 'expired' ? t('auth.sessionExpired') : ended === 'signed-out' ? t('auth.signedOut') : undefined} />;
  }
  if (!shell.mod) return splash;
  return <shell.mod.Shell user={me.data.user} key={String(me.data.user.id)} focusOnMount={showedSignIn.current} />;
}
