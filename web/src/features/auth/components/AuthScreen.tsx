import { useState, type KeyboardEvent } from 'react';
import { useFieldErrors } from '../../../components/FieldErrors.js';
import { useI18n, LOCALES, LOCALE_NAMES, type Locale } from '../../../i18n/index.js';
import { useMeta } from '../../../lib/meta.js';
import { LIMITS } from '../../../../../src/shared/limits.js';
import { useSignIn } from '../api/sign-in.js';

type Mode = 'login' | 'register';

/**
 * Sign in / register on one screen, as two tabs; a fresh install (no account yet) opens on
 * "register". The rules of each field are shown before submitting; an error is shown once, next
 * to the field it is about.
 */
export function AuthScreen({ notice }: { notice?: string }) {
  const { t, locale, setLocale } = useI18n();
  const meta = useMeta();
  const [chosen, setChosen] = useState<Mode | null>(null);
  const mode: Mode = chosen ?? (meta.data?.hasUsers === false ? 'register' : 'login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const login = useSignIn('login');
  const register = useSignIn('register');
  const m = mode === 'login' ? login : register;
  const errs = useFieldErrors(m.error, ['username', 'password'], 'auth-err');
  const registering = mode === 'register';

  const choose = (id: Mode) => {
    setChosen(id);
    login.reset();
    register.reset();
  };
  // A tablist is one Tab stop; the arrow keys (and Home/End) move between the tabs and select them.
  const onTabKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const arrows = ['ArrowRight', 'ArrowLeft', 'ArrowDown', 'ArrowUp'];
    const next: Mode | null = arrows.includes(e.key) ? (mode === 'login' ? 'register' : 'login') : e.key === 'Home' ? 'login' : e.key === 'End' ? 'register' : null;
    if (!next) return;
    e.preventDefault();
    choose(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  const tab = (id: Mode, label: string) => (
    <button
      type="button"
      role="tab"
      id={`tab-${id}`}
      aria-selected={mode === id}
      aria-controls="auth-panel"
      tabIndex={mode === id ? 0 : -1}
      className={`tab ${mode === id ? 'active' : ''}`}
      onClick={() => choose(id)}
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
        {meta.data?.hasUsers === false ? <p className="notice">{t('auth.firstUser')}</p> : null}
        <div role="tablist" aria-label={t('auth.tabs')} className="tabs" onKeyDown={onTabKey}>
          {tab('login', t('auth.signIn'))}
          {tab('register', t('auth.register'))}
        </div>
        <div id="auth-panel" role="tabpanel" aria-labelledby={`tab-${mode}`}>
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              m.mutate({ username: username.trim(), password });
            }}
          >
            {notice && !m.error ? <p className="notice">{notice}</p> : null}
            <label className="field">
              <span>{t('auth.username')}</span>
              <input
                name="username"
                autoComplete="username"
                required
                minLength={registering ? LIMITS.username.min : undefined}
                maxLength={LIMITS.username.max}
                aria-invalid={errs.invalid('username')}
                aria-describedby={errs.id('username') ?? (registering ? 'auth-username-rule' : undefined)}
                value={username}
                onChange={(e) => setUsername(e.target.value)}
              />
              {registering && !errs.invalid('username') ? (
                <span className="muted small" id="auth-username-rule">
                  {t('auth.usernameRule', { min: LIMITS.username.min, max: LIMITS.username.max })}
                </span>
              ) : null}
              {errs.at('username')}
            </label>
            <label className="field">
              <span>{t('auth.password')}</span>
              <input
                name="password"
                type="password"
                autoComplete={registering ? 'new-password' : 'current-password'}
                required
                maxLength={LIMITS.password.max}
                aria-invalid={errs.invalid('password')}
                aria-describedby={errs.id('password') ?? (registering ? 'auth-password-rule' : undefined)}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
              {registering && !errs.invalid('password') ? (
                <span className="muted small" id="auth-password-rule">
                  {t('auth.passwordRule', { min: LIMITS.password.min })}
                </span>
              ) : null}
              {errs.at('password')}
            </label>
            {errs.rest}
            <button type="submit" className="btn btn-primary btn-block" disabled={m.isPending}>
              {registering ? t('auth.submitRegister') : t('auth.submitSignIn')}
            </button>
          </form>
        </div>
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
