/**
 * A person-readable line saying where a page came from, for the profile's 来源 section (the raw
 * `baike:bundled:li-bai` id means nothing to a user).
 */
import type { SourcePage } from './types.js';

const SITE_LABELS: Record<SourcePage['source'], string> = { baike: '百度百科', zhwiki: '中文维基百科', text: '粘贴的文本' };

export function describeSource(page: Pick<SourcePage, 'source' | 'title' | 'bundled'>): string {
  if (page.bundled) return `「${page.title}」内置离线资料（未联网获取${page.source === 'text' ? '' : `${SITE_LABELS[page.source]}`}）`;
  return `${SITE_LABELS[page.source]}「${page.title}」`;
}
