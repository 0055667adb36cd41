/**
 * Normalised page → Markdown for the LLM (replaces spec §3.7, whose generic JSON renderer also emitted
 * url/catalog/references as noise). Layout: `# 标题`, `## 概述`, `## 基本信息` as `- 标签：值`, then the
 * sections as headings (level + 1) and paragraphs. Capped at `maxChars`, cut between blocks.
 */
import type { SourcePage } from './types.js';

export const DEFAULT_MARKDOWN_MAX_CHARS = 20_000;

/** Page text must not fake structure: a paragraph starting with `#` is escaped. */
function escapeBlock(text: string): string {
  return text.replace(/^(\s*)(#{1,6}\s)/gm, '$1\\$2');
}

/** Cuts one over-long block at the last sentence end within `max` characters. */
function cutBlock(text: string, max: number): string {
  const slice = text.slice(0, max);
  const ends = [...slice.matchAll(/[。！？!?.；;\n]/g)].map((m) => m.index! + 1);
  const at = ends.length ? ends[ends.length - 1]! : 0;
  return at > max * 0.5 ? slice.slice(0, at) : slice;
}

export function pageToMarkdown(page: SourcePage, maxChars = DEFAULT_MARKDOWN_MAX_CHARS): string {
  type Block = { text: string; heading: boolean };
  const blocks: Block[] = [{ text: `# ${page.title}`, heading: true }];
  if (page.summary.trim()) {
    blocks.push({ text: '## 概述', heading: true });
    for (const p of page.summary.split(/\n\s*\n/)) if (p.trim()) blocks.push({ text: escapeBlock(p.trim()), heading: false });
  }
  if (page.infobox.length) {
    blocks.push({ text: '## 基本信息', heading: true });
    blocks.push({ text: page.infobox.map(([k, v]) => `- ${k}：${v.replace(/\s*\n\s*/g, ' ')}`).join('\n'), heading: false });
  }
  for (const s of page.sections) {
    if (s.title) blocks.push({ text: `${'#'.repeat(Math.min(6, s.level + 1))} ${s.title}`, heading: true });
    for (const p of s.paragraphs) if (p.trim()) blocks.push({ text: escapeBlock(p.trim()), heading: false });
  }

  const out: string[] = [];
  let length = 0;
  for (const b of blocks) {
    const extra = (out.length ? 2 : 0) + b.text.length;
    if (length + extra <= maxChars) {
      out.push(b.text);
      length += extra;
      continue;
    }
    // Only a paragraph is cut, and only when nothing but headings would remain otherwise.
    const room = maxChars - length - (out.length ? 2 : 0);
    if (!b.heading && room > 0 && out.every((t) => t.startsWith('#'))) out.push(cutBlock(b.text, room));
    break;
  }
  while (out.length > 1 && out[out.length - 1]!.startsWith('#') && /^#{1,6} /.test(out[out.length - 1]!)) out.pop();
  return out.join('\n\n');
}
