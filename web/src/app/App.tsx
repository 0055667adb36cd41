import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { AuthScreen } from '../features/auth/components/AuthScreen.js';
import { authKeys, useMe, type SessionEnd } from '../features/auth/api/get-me.js';
import { metaKeys } from '../lib/meta.js';
import { useI18n } from '../i18n/index.js';
import { Shell } from './Shell.js';

/** Session gate: restores the session from the cookie (GET /api/auth/me); sign-in only on 401. */
export function App() {
  const { t, errorText } = useI18n();
  const me = useMe();
  const qc = useQueryClient();
  const hadUser = useRef(false);
  if (me.data) hadUser.current = true;
  const signedOut = me.data === null;

  // Signed out (by the button, or a 401 anywhere): once the app is unmounted, forget everything
  // the previous user saw, except the session answer itself and the public server facts.
  useEffect(() => {
    if (!signedOut) return;
    const keep = (key: readonly unknown[]) => key[0] === authKeys.me[0] || key[0] === metaKeys.all[0];
    void qc.cancelQueries({ predicate: (q) => !keep(q.queryKey) });
    qc.removeQueries({ predicate: (q) => !keep(q.queryKey) });
    qc.getMutationCache().clear();
    document.title = 'FastNPC';
  }, [signedOut, qc]);

  if (me.isPending) {
    return (
      <div className="splash" role="status">
        <span className="brand">FastNPC</span>
        <span className="muted">{t('app.loading')}</span>
      </div>
    );
  }
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
  return <Shell user={me.data.user} key={String(me.data.user.id)} />;
}
