import { useState } from 'react';
import { useI18n, LOCALES, LOCALE_NAMES, type Locale } from '../../../i18n/index.js';
import { useSignIn } from '../api/sign-in.js';

/** Sign in / register on one screen, as two tabs. Errors are shown under the form. */
export function AuthScreen({ notice }: { notice?: string }) {
  const { t, errorText, locale, setLocale } = useI18n();
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const login = useSignIn('login');
  const register = useSignIn('register');
  const m = mode === 'login' ? login : register;

  const tab = (id: 'login' | 'register', label: string) => (
    <button
      type="button"
      role="tab"
      id={`tab-${id}`}
      aria-selected={mode === id}
      aria-controls="auth-panel"
      className={`tab ${mode === id ? 'active' : ''}`}
      onClick={() => {
        setMode(id);
        login.reset();
        register.reset();
      }}
    >
      {label}
    </button>
  );

  return (
    <main className="auth">
      <div className="auth-bg" aria-hidden="true">
        FastNPC
      </div>
      <section className="auth-card">
        <h1 className="brand">FastNPC</h1>
        <p className="muted">{t('app.tagline')}</p>
        <div role="tablist" aria-label={t('auth.tabs')} className="tabs">
          {tab('login', t('auth.signIn'))}
          {tab('register', t('auth.register'))}
        </div>
        <form
          id="auth-panel"
          role="tabpanel"
          aria-labelledby={`tab-${mode}`}
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            m.mutate({ username: username.trim(), password });
          }}
        >
          {notice && !m.error ? <p className="notice">{notice}</p> : null}
          <label className="field">
            <span>{t('auth.username')}</span>
            <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
          </label>
          <label className="field">
            <span>{t('auth.password')}</span>
            <input
              name="password"
              type="password"
              autoComplete={mode === 'login' ? 'current-password' : 'new-password'}
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          {m.error ? (
            <p className="error-text" role="alert">
              {m.error && 'status' in m.error && (m.error as { status: number }).status === 401 ? (m.error as Error).message : errorText(m.error)}
            </p>
          ) : null}
          <button type="submit" className="btn btn-primary btn-block" disabled={m.isPending}>
            {mode === 'login' ? t('auth.submitSignIn') : t('auth.submitRegister')}
          </button>
        </form>
        <label className="field inline small auth-lang">
          <span>{t('nav.language')}</span>
          <select value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
            {LOCALES.map((l) => (
              <option key={l} value={l}>
                {LOCALE_NAMES[l]}
              </option>
            ))}
          </select>
        </label>
      </section>
    </main>
  );
}
