/**
 * i18n for React: `useI18n()` gives `t`, the locale and a setter. The default comes from
 * `navigator.languages`; a choice is kept in localStorage.
 *
 * @example
 *   const { t } = useI18n();
 *   <button>{t('chat.send')}</button>
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { describeError, detectLocale, LOCALE_STORAGE_KEY, makeTranslate, type Locale, type Translate } from './core.js';

export * from './core.js';

interface I18nValue {
  locale: Locale;
  setLocale: (l: Locale) => void;
  t: Translate;
  /** An error in plain words (see describeError). */
  errorText: (e: unknown) => string;
  formatDate: (iso: string, withTime?: boolean) => string;
}

const I18nContext = createContext<I18nValue | null>(null);

function initialLocale(): Locale {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(LOCALE_STORAGE_KEY);
  } catch {
    // storage may be blocked (private mode); fall back to the browser language
  }
  return detectLocale(stored, navigator.languages ?? [navigator.language]);
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const setLocale = useCallback((l: Locale) => {
    setLocaleState(l);
    try {
      localStorage.setItem(LOCALE_STORAGE_KEY, l);
    } catch {
      // not persisted; still switched for this page
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const value = useMemo<I18nValue>(() => {
    const t = makeTranslate(locale);
    // Made on first use: building an Intl formatter loads locale data, a measurable part of the
    // first render on a slow phone, and the sign-in screen shows no date.
    let dtf: Intl.DateTimeFormat | undefined;
    let dtft: Intl.DateTimeFormat | undefined;
    const format = (withTime: boolean | undefined) =>
      withTime ? (dtft ??= new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' })) : (dtf ??= new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }));
    return {
      locale,
      setLocale,
      t,
      errorText: (e) => describeError(t, e),
      formatDate: (iso, withTime) => {
        const d = new Date(iso);
        return Number.isNaN(d.getTime()) ? '' : format(withTime).format(d);
      },
    };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const v = useContext(I18nContext);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
