/**
 * Locale choice, interpolation and error wording — pure functions (tested in node), used by the
 * React provider in ./index.tsx.
 */
import { en } from './en.js';
import { zhCN, type MessageKey } from './zh-CN.js';

export type Locale = 'zh-CN' | 'en';
export const LOCALES: readonly Locale[] = ['zh-CN', 'en'];
export const LOCALE_NAMES: Record<Locale, string> = { 'zh-CN': '简体中文', en: 'English' };
export const DICTIONARIES: Record<Locale, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
export const LOCALE_STORAGE_KEY = 'fastnpc.locale';

export type { MessageKey };
export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

/**
 * The stored choice wins; else the browser's languages: any `zh*` → zh-CN, else English.
 * @example detectLocale(null, ['zh-TW', 'en']) // 'zh-CN'
 */
export function detectLocale(stored: string | null, languages: readonly string[]): Locale {
  if (stored && (LOCALES as readonly string[]).includes(stored)) return stored as Locale;
  for (const l of languages) {
    const low = l.toLowerCase();
    if (low.startsWith('zh')) return 'zh-CN';
    if (low.startsWith('en')) return 'en';
  }
  return 'en';
}

/** `{name}` placeholders are replaced; a missing parameter stays visible as `{name}`. */
export function interpolate(template: string, params?: Params): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in params ? String(params[k]) : m));
}

export function makeTranslate(locale: Locale): Translate {
  const dict = DICTIONARIES[locale];
  return (key, params) => interpolate(dict[key] ?? zhCN[key] ?? key, params);
}

interface ErrorLike {
  status?: number;
  code?: string;
  message?: string;
  retryAfter?: number;
}

/**
 * An API error in plain words. Known statuses get a sentence of our own; otherwise the server's
 * message (which is written for people) is shown inside a generic sentence.
 */
export function describeError(t: Translate, e: unknown): string {
  const err = (typeof e === 'object' && e !== null ? e : { message: String(e) }) as ErrorLike;
  const status = err.status ?? -1;
  if (err.code === 'network' || status === 0) return t('error.network');
  if (status === 429 || err.code === 'rate_limited') {
    return err.retryAfter ? t('error.rate_limited', { seconds: Math.ceil(err.retryAfter) }) : t('error.rate_limited_plain');
  }
  if (status === 401) return t('error.unauthorized');
  if (status === 403) return t('error.forbidden');
  if (status === 404) return t('error.not_found');
  if (status === 413) return t('error.too_large');
  if (status === 503) return t('error.unavailable');
  if (status >= 500) return t('error.server');
  return err.message ? t('error.generic', { message: err.message }) : t('error.server');
}
