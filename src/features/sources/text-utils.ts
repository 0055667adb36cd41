/** Small text helpers shared by the source parsers. */
import { createHash } from 'node:crypto';
import type { SourcePage } from './types.js';

/** Footnote markers as Baike and Wikipedia print them: [1], [2-3], [4,5], [注 1]. */
const FOOTNOTE = /\[\s*(?:注\s*)?\d+(?:\s*[-–,，、]\s*\d+)*\s*\]/g;

export function stripFootnotes(text: string): string {
  return text.replace(FOOTNOTE, '');
}

/** Collapses whitespace runs (nbsp and ideographic space included) and trims. */
export function collapseSpace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Paragraph text: footnotes removed, whitespace collapsed, no stray space before CJK punctuation. */
export function cleanText(text: string): string {
  return collapseSpace(stripFootnotes(text)).replace(/\s+([，。；：！？、）》」』])/g, '$1');
}

/** Infobox labels: Baike pads two-character labels (`别␣␣␣␣名`); all whitespace goes. */
export function cleanLabel(text: string): string {
  return stripFootnotes(text).replace(/\s+/g, '').replace(/[：:]$/, '');
}

/** Characters of real text in a page (summary and paragraphs), whitespace excluded. */
export function textLength(page: Pick<SourcePage, 'summary' | 'sections'>): number {
  let n = page.summary.replace(/\s+/g, '').length;
  for (const s of page.sections) for (const p of s.paragraphs) n += p.replace(/\s+/g, '').length;
  return n;
}

/** Name comparison key: NFKC, lower case, no whitespace or name punctuation (·•・-_.). */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().replace(/[\s·•・‧\-_.'"“”()（）]/g, '');
}

export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Cuts a description to `max` characters at a word/sentence edge when it can. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const edge = Math.max(cut.lastIndexOf('。'), cut.lastIndexOf('，'), cut.lastIndexOf(' '));
  return (edge > max * 0.6 ? cut.slice(0, edge) : cut).trimEnd() + '…';
}
