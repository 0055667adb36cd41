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
