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
  /** The server's whole `error` object (ApiError.details): field, rule, limit for validation. */
  details?: { field?: unknown; rule?: unknown; limit?: unknown; [k: string]: unknown };
}

/** Error codes with a sentence of their own (the server's `message` is English, for API users). */
const CODE_KEYS: Partial<Record<string, MessageKey>> = {
  'conflict:username': 'error.code.conflict:username',
  'unauthorized:credentials': 'error.code.unauthorized:credentials',
  'validation:current_password': 'error.code.validation:current_password',
  'validation:password': 'error.code.validation:password',
  'conflict:name': 'error.code.conflict:name',
  'conflict:member': 'error.code.conflict:member',
  'validation:avatar': 'error.code.validation:image',
  'validation:image': 'error.code.validation:image',
  'validation:png': 'error.code.validation:png',
  'validation:card': 'error.code.validation:card',
  'validation:file': 'error.code.validation:file',
  'validation:text': 'error.code.validation:text',
  'validation:members': 'error.code.validation:members',
  'validation:json': 'error.code.validation',
  'not_found:source_page': 'error.code.not_found:source_page',
  'source_unavailable:unreachable': 'error.code.source_unavailable:unreachable',
  busy_conversation: 'error.busy',
  unsupported_media_type: 'error.code.unsupported_media_type',
  // evaluations (admin)
  'validation:input.messages': 'error.code.validation:input.messages',
  'validation:characterId': 'error.code.validation:characterId',
  'validation:groupId': 'error.code.validation:groupId',
  'validation:input.section': 'error.code.validation:input.section',
  'validation:input.sourceText': 'error.code.validation:input.sourceText',
  'validation:input.shortTerm': 'error.code.validation:input.shortTerm',
  'validation:input.speakerId': 'error.code.validation:input.speakerId',
  'validation:caseIds': 'error.code.validation:caseIds',
  'validation:model': 'error.code.validation:model',
  'validation:promptVersionId': 'error.code.validation:promptVersionId',
  'conflict:job_state': 'error.code.conflict:job_state',
};

/** Which form field a code is about, when the server does not say it in `field`. */
const CODE_FIELDS: Partial<Record<string, string>> = {
  'conflict:username': 'username',
  'unauthorized:credentials': 'password',
  'validation:current_password': 'currentPassword',
  'validation:password': 'password',
  'conflict:name': 'name',
  'validation:text': 'text',
  'validation:name': 'name',
};

const FIELD_KEYS: Partial<Record<string, MessageKey>> = {
  username: 'field.username',
  password: 'field.password',
  newPassword: 'field.newPassword',
  currentPassword: 'field.currentPassword',
  name: 'field.name',
  biography: 'field.biography',
  content: 'field.content',
  profileText: 'field.profileText',
  text: 'field.text',
};

const RULE_KEYS: Partial<Record<string, MessageKey>> = {
  required: 'error.rule.required',
  minLength: 'error.rule.minLength',
  maxLength: 'error.rule.maxLength',
  pattern: 'error.rule.pattern',
  minimum: 'error.rule.minimum',
  maximum: 'error.rule.maximum',
};

const asObj = (e: unknown): ErrorLike => (typeof e === 'object' && e !== null ? e : { message: String(e) }) as ErrorLike;

/**
 * The form field an error belongs to (`password`, `name`…), so a form can show it next to that
 * field; undefined for errors about the whole request.
 * @example errorField({ code: 'validation', details: { field: 'password' } }) // 'password'
 */
export function errorField(e: unknown): string | undefined {
  const err = asObj(e);
  const f = err.details?.field;
  if (typeof f === 'string' && f) return f.split('.').pop();
  return err.code ? CODE_FIELDS[err.code] : undefined;
}

function describeValidation(t: Translate, err: ErrorLike): string {
  const field = errorField(err);
  const rule = typeof err.details?.rule === 'string' ? err.details.rule : undefined;
  const limit = typeof err.details?.limit === 'number' ? err.details.limit : undefined;
  const fieldKey = field ? FIELD_KEYS[field] : undefined;
  const label = fieldKey ? t(fieldKey) : (field ?? '');
  if (field === 'username' && rule === 'pattern') return t('error.rule.usernamePattern');
  const ruleKey = rule ? RULE_KEYS[rule] : undefined;
  if (ruleKey && label && (limit !== undefined || (rule !== 'minLength' && rule !== 'maxLength' && rule !== 'minimum' && rule !== 'maximum'))) {
    return t(ruleKey, { field: label, limit: limit ?? '' });
  }
  return label ? t('error.rule.invalid', { field: label }) : t('error.code.validation');
}

/**
 * An API error in plain words, in the user's language. Known codes and schema failures (code
 * `validation` with field/rule/limit) get a sentence of our own; known statuses next; otherwise
 * the server's message is shown inside a generic sentence.
 */
export function describeError(t: Translate, e: unknown): string {
  const err = asObj(e);
  const status = err.status ?? -1;
  if (err.code === 'network' || status === 0) return t('error.network');
  if (status === 429 || err.code === 'rate_limited') {
    return err.retryAfter ? t('error.rate_limited', { seconds: Math.ceil(err.retryAfter) }) : t('error.rate_limited_plain');
  }
  const codeKey = err.code ? (CODE_KEYS[err.code] ?? (err.code.startsWith('source_unavailable') ? 'error.code.source_unavailable' : undefined)) : undefined;
  if (codeKey) return t(codeKey);
  if (err.code === 'validation' || (err.code?.startsWith('validation') && err.details?.rule)) return describeValidation(t, err);
  if (status === 401) return t('error.unauthorized');
  if (status === 403) return t('error.forbidden');
  if (status === 404) return t('error.not_found');
  if (status === 413) return t('error.too_large');
  if (status === 503) return t('error.unavailable');
  if (status >= 500) return t('error.server');
  return err.message ? t('error.generic', { message: err.message }) : t('error.server');
}
