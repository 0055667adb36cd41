import { useRef } from 'react';
import { AuthScreen } from '../features/auth/components/AuthScreen.js';
import { useMe } from '../features/auth/api/get-me.js';
import { useI18n } from '../i18n/index.js';
import { Shell } from './Shell.js';

/** Session gate: restores the session from the cookie (GET /api/auth/me); sign-in only on 401. */
export function App() {
  const { t, errorText } = useI18n();
  const me = useMe();
  const hadUser = useRef(false);
  if (me.data) hadUser.current = true;

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
  if (!me.data) return <AuthScreen notice={hadUser.current ? t('auth.sessionExpired') : undefined} />;
  return <Shell user={me.data.user} key={String(me.data.user.id)} />;
}
