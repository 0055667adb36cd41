import { useQueryClient } from '@tanstack/react-query';
import { Suspense, useEffect, useRef } from 'react';
import { AuthScreen } from '../features/auth/components/AuthScreen.js';
import { authKeys, useMe, type SessionEnd } from '../features/auth/api/get-me.js';
import { metaKeys, useMeta } from '../lib/meta.js';
import { useI18n } from '../i18n/index.js';
import { earlyPathFor, fetchEarly } from '../lib/early.js';
import { lazyNamed } from '../lib/lazy.js';

// The signed-in app is a chunk of its own, so the sign-in page loads only what it shows. A browser
// that was signed in last time most likely still is: it fetches the app beside the session check,
// so a returning user waits for no extra round trip. A visitor starts fetching it when they begin
// to fill in the sign-in form.
// The Markdown renderer does not come with it: most messages render without it
// (components/light-markdown.ts), and evaluating its 170 KB beside the app at 4× CPU held the
// first message's paint back (issue #19); it is fetched when a message needs it or when idle.
const loadShell = () => import('./Shell.js');
const Shell = lazyNamed(loadShell, 'Shell');
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
  void loadShell();
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

  // Signed out (by the button, or a 401 anywhere): once the app is unmounted, forget everything
  // the previous user saw, except the session answer itself and the public server facts.
  const signedIn = !!me.data;
  useEffect(() => {
    if (me.isPending) return;
    setSignedInHint(signedIn);
    if (signedIn) return;
    const early = () => void loadShell();
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
  if (me.error) {
    return (
      <div className="splash" role="alert">
        <span className="brand">FastNPC</span>
        <p className="error-text">{errorText(me.error)}</p>
        <button type="button" className="btn btn-primary" onClick={() => void me.refetch()}>
          {t('common.retry')}
        </button>
      </div>
    );
  }
  if (!me.data) {
    const ended = hadUser.current ? qc.getQueryData<SessionEnd>(authKeys.ended) : undefined;
    return <AuthScreen notice={ended === 'expired' ? t('auth.sessionExpired') : ended === 'signed-out' ? t('auth.signedOut') : undefined} />;
  }
  return (
    <Suspense fallback={splash}>
      <Shell user={me.data.user} key={String(me.data.user.id)} focusOnMount={showedSignIn.current} />
    </Suspense>
  );
}
