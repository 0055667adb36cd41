import { useEffect, useState } from 'react';
import { Modal } from '../../../components/Modal.js';
import { useToast } from '../../../components/Toast.js';
import { LOCALE_NAMES, LOCALES, useI18n, type Locale } from '../../../i18n/index.js';
import { useMeta } from '../../../lib/meta.js';
import { useTheme, type ThemeChoice } from '../../../lib/theme.js';
import type { Range, Settings } from '../../../lib/types.js';
import { LIMITS } from '../../../../../src/shared/limits.js';
import { useFieldErrors } from '../../../components/FieldErrors.js';
import { useChangePassword, useDeleteAccount, useSaveSettings, useSettings } from '../api/settings.js';
import { MyUsage } from './MyUsage.js';
import { ModelSelect } from '../../../components/ModelSelect.js';
import { ProviderKeys } from './ProviderKeys.js';
import { PersonasSection } from './PersonasSection.js';
import { ApiKeys } from './ApiKeys.js';

/** Preferences (model, memory budgets, about-me, group rounds), appearance, password, account deletion. */
export function SettingsDialog({ onClose, onAccountDeleted }: { onClose: () => void; onAccountDeleted: () => void }) {
  const { t, errorText, locale, setLocale } = useI18n();
  const { choice, setChoice } = useTheme();
  const toast = useToast();
  const meta = useMeta();
  const q = useSettings();
  const save = useSaveSettings();
  const [form, setForm] = useState<Settings | null>(null);
  useEffect(() => {
    if (q.data && !form) setForm(q.data);
  }, [q.data, form]);
  const ranges = meta.data?.settingsRanges;

  const num = (key: 'budgetSession' | 'budgetShortTerm' | 'budgetLongTerm' | 'groupRounds', labelKey: Parameters<typeof t>[0], r: Range | undefined) =>
    form ? (
      <label className="field">
        <span>
          {t(labelKey)} {r ? <span className="muted small">({t('settings.range', { min: r.min, max: r.max })})</span> : null}
        </span>
        <input type="number" name={key} min={r?.min} max={r?.max} value={form[key]} onChange={(e) => setForm({ ...form, [key]: Number(e.target.value) })} />
      </label>
    ) : null;

  return (
    <Modal title={t('settings.title')} onClose={onClose} variant="wide" dismissable={false}>
      <div className="settings">
        <section className="settings-sec">
          <h3>{t('settings.appearance')}</h3>
          <div className="grid2">
            <label className="field">
              <span>{t('settings.language')}</span>
              <select name="language" value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
                {LOCALES.map((l) => (
                  <option key={l} value={l}>
                    {LOCALE_NAMES[l]}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t('settings.theme')}</span>
              <select name="theme" value={choice} onChange={(e) => setChoice(e.target.value as ThemeChoice)}>
                {(['system', 'light', 'dark'] as const).map((c) => (
                  <option key={c} value={c}>
                    {t(`settings.theme.${c}`)}
                  </option>
                ))}
              </select>
            </label>
          </div>
        </section>

        <form
          className="settings-sec"
          onSubmit={(e) => {
            e.preventDefault();
            if (form) save.mutate(form, { onSuccess: () => toast.success((tr) => tr('common.saved')) });
          }}
        >
          <h3>{t('settings.preferences')}</h3>
          {q.error ? <p className="error-text">{errorText(q.error)}</p> : null}
          {form ? (
            <>
              <ModelSelect name="chatModel" label={t('settings.chatModel')} defaultLabel={t('settings.serverDefault')} value={form.chatModel} onChange={(chatModel) => setForm({ ...form, chatModel })} />
              <fieldset className="field">
                <legend>{t('settings.budgets')}</legend>
                <div className="grid3">
                  {num('budgetSession', 'settings.budgetSession', ranges?.budgetSession)}
                  {num('budgetShortTerm', 'settings.budgetShortTerm', ranges?.budgetShortTerm)}
                  {num('budgetLongTerm', 'settings.budgetLongTerm', ranges?.budgetLongTerm)}
                </div>
              </fieldset>
              {num('groupRounds', 'settings.groupRounds', ranges?.groupRounds)}
              <label className="field">
                <span>
                  {t('settings.profileText')} <span className="muted small">{t('settings.profileHint')}</span>
                </span>
                <textarea name="profileText" rows={3} maxLength={LIMITS.profileText.max} value={form.profileText} onChange={(e) => setForm({ ...form, profileText: e.target.value })} />
              </label>
              <div className="row end">
                <button type="submit" className="btn btn-primary" disabled={save.isPending}>
                  {t('common.save')}
                </button>
              </div>
            </>
          ) : (
            <p className="muted">{t('app.loading')}</p>
          )}
        </form>

        <ProviderKeys />
        <PersonasSection />
        <MyUsage />
        <ApiKeys />
        <PasswordForm />
        <DeleteAccount onDeleted={onAccountDeleted} />
      </div>
    </Modal>
  );
}

function PasswordForm() {
  const { t } = useI18n();
  const toast = useToast();
  const m = useChangePassword();
  const [cur, setCur] = useState('');
  const [next, setNext] = useState('');
  const errs = useFieldErrors(m.error, ['currentPassword', 'newPassword'], 'pw-err');
  return (
    <form
      className="settings-sec"
      onSubmit={(e) => {
        e.preventDefault();
        m.mutate(
          { currentPassword: cur, newPassword: next },
          {
            onSuccess: () => {
              setCur('');
              setNext('');
              toast.success(t('settings.passwordChanged'));
            },
          },
        );
      }}
    >
      <h3>{t('settings.password')}</h3>
      <div className="grid2">
        <label className="field">
          <span>{t('settings.currentPassword')}</span>
          <input
            type="password"
            autoComplete="current-password"
            required
            maxLength={LIMITS.password.max}
            aria-invalid={errs.invalid('currentPassword')}
            aria-describedby={errs.id('currentPassword')}
            value={cur}
            onChange={(e) => setCur(e.target.value)}
          />
          {errs.at('currentPassword')}
        </label>
        <label className="field">
          <span>{t('settings.newPassword')}</span>
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={LIMITS.password.min}
            maxLength={LIMITS.password.max}
            aria-invalid={errs.invalid('newPassword')}
            aria-describedby={errs.id('newPassword') ?? 'pw-rule'}
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
          {errs.invalid('newPassword') ? null : (
            <span className="muted small" id="pw-rule">
              {t('auth.passwordRule', { min: LIMITS.password.min })}
            </span>
          )}
          {errs.at('newPassword')}
        </label>
      </div>
      {errs.rest}
      <div className="row end">
        <button type="submit" className="btn" disabled={m.isPending || !cur || !next}>
          {t('settings.password')}
        </button>
      </div>
    </form>
  );
}

function DeleteAccount({ onDeleted }: { onDeleted: () => void }) {
  const { t, errorText } = useI18n();
  const m = useDeleteAccount();
  const [pw, setPw] = useState('');
  return (
    <form
      className="settings-sec danger-zone"
      onSubmit={(e) => {
        e.preventDefault();
        m.mutate(pw, { onSuccess: onDeleted });
      }}
    >
      <h3>{t('settings.deleteAccount')}</h3>
      <p className="muted small">{t('settings.deleteHint')}</p>
      <label className="field">
        <span>{t('settings.confirmPassword')}</span>
        <input type="password" autoComplete="current-password" required value={pw} onChange={(e) => setPw(e.target.value)} />
      </label>
      {m.error ? (
        <p className="error-text" role="alert">
          {errorText(m.error)}
        </p>
      ) : null}
      <div className="row end">
        <button type="submit" className="btn btn-danger" disabled={!pw || m.isPending}>
          {t('settings.deleteConfirm')}
        </button>
      </div>
    </form>
  );
}
