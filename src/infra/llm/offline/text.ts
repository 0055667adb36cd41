/** Small deterministic text tools for the offline model. */

export { hash } from '../../seeded.js';

export function pick<T>(items: readonly T[], seed: number): T {
  return items[seed % items.length];
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

/** True when at least 30 % of the letters are CJK: answer in Chinese. */
export function isMostlyCjk(text: string): boolean {
  let cjk = 0;
  let letters = 0;
  for (const ch of text) {
    if (CJK.test(ch)) cjk++, letters++;
    else if (/\p{L}/u.test(ch)) letters++;
  }
  return letters > 0 && cjk / letters >= 0.3;
}

/** Sentences of a text, without Markdown headings, list markers or bare links. */
export function sentences(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .map((line) => line.replace(/^\s*[-*]\s+/, ''))
    .join('\n')
    .split(/(?<=[。！？!?；])|\n+/)
    .map((s) => s.replace(/\[\d+(?:-\d+)?\]/g, '').trim())
    .filter((s) => s.length >= 6 && s.length <= 300 && !/^https?:\/\//.test(s));
}

/** Drops trailing sentence punctuation so a fact can be embedded in a new sentence. */
export function bare(text: string): string {
  return text.trim().replace(/[。！？!?.；;，,\s]+$/u, '');
}

/** One text from a profile value: a string, or one item of a list. */
export function asText(value: unknown, seed = 0): string {
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value)) {
    const items = value.filter((v): v is string => typeof v === 'string' && v.trim() !== '');
    return items.length ? items[seed % items.length].trim() : '';
  }
  return '';
}

/** Cuts to `max` characters at a natural boundary where possible. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const at = Math.max(cut.lastIndexOf('，'), cut.lastIndexOf(','), cut.lastIndexOf(' '));
  return (at > max / 2 ? cut.slice(0, at) : cut) + '…';
}

/** `speaker: text` lines (either colon) from a rendered transcript. */
export function transcriptLines(text: string): { speaker: string; text: string }[] {
  const out: { speaker: string; text: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:-\s*)?([^:：\s][^:：]{0,30})[:：]\s*(.+)$/.exec(line);
    if (m && !/^(请|注意|要求|输出|示例|规则|格式)/.test(m[1])) out.push({ speaker: m[1].trim(), text: m[2].trim() });
  }
  return out;
}

/**
 * The offline model reads at most this many characters of any one input text (the tail of a
 * message, the head of a page): its work and output stay bounded whatever the input length.
 */
export const SCAN_LIMIT = 2_000;

/** The last `SCAN_LIMIT` characters: the newest words of a message are the ones to answer. */
export function scanTail(text: string, limit = SCAN_LIMIT): string {
  return text.length > limit ? text.slice(text.length - limit) : text;
}

/** The first `SCAN_LIMIT` characters. */
export function scanHead(text: string, limit = SCAN_LIMIT): string {
  return text.length > limit ? text.slice(0, limit) : text;
}

/** A connective that opens a clause; glued to a preceding noun it makes 「其性格然而…」. */
const LEADING_CONNECTIVE = /^(然而|但是|但|不过|因此|所以|于是|而且|并且|同时|此外|另外|而|可是|只是|因而|从而)[，,、\s]*/u;

export function stripConnective(text: string): string {
  return text.replace(LEADING_CONNECTIVE, '');
}

/** 「其性格然而」-like joins: a clause connective right after a noun or particle with no punctuation. */
export function misjoined(text: string): boolean {
  return /[\p{Script=Han}A-Za-z](然而|但是|不过|可是)/u.test(text) || /(其|性格|的)(因此|所以|于是)/u.test(text);
}

/** Characters after which a first-person 我 reads naturally (verbs, prepositions, particles). */
const BEFORE_ME = new Set([...'是和与让使给对把被叫称替为向跟同助请召邀将令要劝带说问见当着了过爱恨帮陪送随等像比于从由在誉视因以待及并而且也都就才又曾便还仍即乃则亦终自教唤骂夸赞喜欢念想望求逼护救据令称凭']);

/** True when a sentence reads as first person about the character: no 「少年我」, 「“我”」 or 「我（701年」. */
export function readsFirstPerson(text: string): boolean {
  const chars = [...text];
  for (let i = 1; i < chars.length; i++) {
    if (chars[i] !== '我') continue;
    const before = chars[i - 1];
    if (/\p{Script=Han}/u.test(before) && !BEFORE_ME.has(before)) return false;
  }
  return !/我我|[“「"『]我[”」"』]|《[^》]*我[^》]*》|我[（(]|我[，,]\s*(字|号|又名|原名|本名)|他们我|她们我/u.test(text);
}

/**
 * A third-person sentence about the character turned into the first person: the names become 我,
 * 他/她 become 我. Answers '' when the result would not read well (the caller skips it).
 */
export function firstPerson(text: string, names: readonly string[]): string {
  let t = stripConnective(bare(text));
  // A name inside quotes or a title (“李白捉月”, 《花木兰》) is a title, not the speaker: skip the sentence.
  const quoted = t.match(/[“「『《"][^”」』》"]*[”」』》"]/gu) ?? [];
  if (quoted.some((q) => names.some((n) => n && q.includes(n)))) return '';
  for (const n of names) if (n) t = t.split(n).join('我');
  t = t.replace(/(^|[^其吉])[他她](?!们)/gu, '$1我');
  t = stripConnective(t).replace(/^我的?[，,]\s*/u, '我');
  if (!t.includes('我') || !readsFirstPerson(t) || misjoined(t)) return '';
  return t;
}

/** Ends a clause as a Chinese sentence (。) unless it already ends with sentence punctuation. */
export function endZh(text: string): string {
  const t = text.trim().replace(/[，,、；;：:\s]+$/u, '');
  return /[。！？!?…]$|[。！？!?][”」）)]$/u.test(t) ? t : `${t}。`;
}

/** Ends a clause as an English sentence. */
export function endEn(text: string): string {
  const t = text.trim().replace(/[,;:\s]+$/u, '');
  return /[.!?]["')]?$/u.test(t) ? t : `${t}.`;
}
