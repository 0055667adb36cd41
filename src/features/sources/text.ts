/**
 * Pasted text or an uploaded .txt/.md file → a normalised page.
 * Markdown headings become sections; without headings, blank-line paragraphs do (the first one is the
 * summary). A leading list of `- 标签：值` lines becomes the infobox, so our own Markdown reads back.
 */
import { AppError } from '../../errors.js';
import type { SourcePage, SourceSection } from './types.js';
import { cleanLabel, collapseSpace, shortHash, textLength } from './text-utils.js';

export const MAX_TEXT_BYTES = 200 * 1024;

/** Decodes an uploaded file: at most 200 KB, valid UTF-8 (BOM dropped). */
export function decodeUpload(bytes: Uint8Array): string {
  if (bytes.byteLength > MAX_TEXT_BYTES) throw new AppError('payload_too_large', `文本不能超过 ${MAX_TEXT_BYTES / 1024} KB`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new AppError('bad_request:encoding', '文件不是有效的 UTF-8 文本');
  }
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const INFO_LINE = /^\s*[-*]\s*([^：:\n]{1,20})[：:]\s*(.+)$/;

function paragraphs(block: string): string[] {
  return block
    .split(/\n\s*\n/)
    .map((p) => p.split('\n').map((l) => l.trim()).filter(Boolean).join('\n'))
    .filter(Boolean);
}

export function pageFromText(name: string, text: string, options: { source?: SourcePage['source']; key?: string } = {}): SourcePage {
  const title = collapseSpace(name);
  if (!title) throw new AppError('bad_request:name', '名字不能为空');
  if (Buffer.byteLength(text, 'utf8') > MAX_TEXT_BYTES) throw new AppError('payload_too_large', `文本不能超过 ${MAX_TEXT_BYTES / 1024} KB`);
  const normalized = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');

  // Split into a preamble and heading-led blocks.
  const blocks: { heading?: { level: number; title: string }; lines: string[] }[] = [{ lines: [] }];
  let inFence = false;
  for (const line of normalized.split('\n')) {
    if (/^\s*```/.test(line)) inFence = !inFence;
    const m = inFence ? null : HEADING.exec(line);
    if (m) blocks.push({ heading: { level: m[1]!.length, title: collapseSpace(m[2]!) }, lines: [] });
    else blocks[blocks.length - 1]!.lines.push(line);
  }

  const infobox: [string, string][] = [];
  let summaryParas: string[] = [];
  const sections: SourceSection[] = [];
  const headed = blocks.slice(1);
  // A single top `# Title` is the document's title, not a section.
  if (headed.length && headed[0]!.heading!.level === 1 && !headed.slice(1).some((b) => b.heading!.level === 1) && !paragraphs(blocks[0]!.lines.join('\n')).length) {
    blocks[0]!.lines.push(...headed.shift()!.lines);
  }
  for (const para of paragraphs(blocks[0]!.lines.join('\n'))) {
    const lines = para.split('\n');
    const info = lines.map((l) => INFO_LINE.exec(l));
    if (info.every(Boolean)) {
      for (const m of info) infobox.push([cleanLabel(m![1]!), m![2]!.trim()]);
    } else summaryParas.push(para);
  }
  if (headed.length) {
    const minLevel = Math.min(...headed.map((b) => b.heading!.level));
    for (const b of headed) {
      const title = b.heading!.title;
      if (title === '概述' && !summaryParas.length) {
        summaryParas = paragraphs(b.lines.join('\n'));
        continue;
      }
      if ((title === '基本信息' || title === '信息框') && !infobox.length) {
        const lines = b.lines.map((l) => INFO_LINE.exec(l)).filter(Boolean);
        for (const m of lines) infobox.push([cleanLabel(m![1]!), m![2]!.trim()]);
        continue;
      }
      sections.push({ title, level: b.heading!.level - minLevel + 1, paragraphs: paragraphs(b.lines.join('\n')) });
    }
  } else if (summaryParas.length > 1) {
    sections.push({ title: '正文', level: 1, paragraphs: summaryParas.slice(1) });
    summaryParas = summaryParas.slice(0, 1);
  }

  const page: SourcePage = {
    source: options.source ?? 'text',
    key: options.key ?? `text:${shortHash(normalized)}`,
    title,
    summary: summaryParas.join('\n\n'),
    infobox,
    sections: sections.filter((s, i) => s.paragraphs.length || (sections[i + 1]?.level ?? 0) > s.level),
  };
  if (textLength(page) === 0) throw new AppError('not_found:source_content', '文本是空的，无法创建角色');
  return page;
}
