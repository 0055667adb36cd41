import { describe, expect, it } from 'vitest';
import { decodeUpload, pageFromText, MAX_TEXT_BYTES } from '../../../src/features/sources/text.js';
import { pageToMarkdown } from '../../../src/features/sources/markdown.js';
import { BUNDLED_ENTRIES, bundledPage, findBundled } from '../../../src/features/sources/bundled/index.js';
import type { SourcePage } from '../../../src/features/sources/types.js';
import { isAppError } from '../../../src/errors.js';

const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    return isAppError(err) ? err.code : String(err);
  }
  return 'no error';
};

describe('text source', () => {
  it('turns Markdown headings into sections and a leading list into the infobox', () => {
    const page = pageFromText('林冲', '林冲是《水浒传》中的人物，绰号豹子头。\n\n- 绰号：豹子头\n- 出处：《水浒传》\n\n## 生平\n\n原为八十万禁军教头。\n\n后被逼上梁山。\n\n### 结局\n\n病逝于六和寺。');
    expect(page).toMatchObject({ source: 'text', title: '林冲', summary: '林冲是《水浒传》中的人物，绰号豹子头。' });
    expect(page.infobox).toEqual([['绰号', '豹子头'], ['出处', '《水浒传》']]);
    expect(page.sections).toEqual([
      { title: '生平', level: 1, paragraphs: ['原为八十万禁军教头。', '后被逼上梁山。'] },
      { title: '结局', level: 2, paragraphs: ['病逝于六和寺。'] },
    ]);
    expect(page.key).toMatch(/^text:[0-9a-f]{16}$/);
  });

  it('splits plain text on blank lines: first paragraph is the summary', () => {
    const page = pageFromText(' 武松 ', '武松，清河县人。\r\n\r\n景阳冈打虎。\n\n血溅鸳鸯楼。');
    expect(page.title).toBe('武松');
    expect(page.summary).toBe('武松，清河县人。');
    expect(page.sections).toEqual([{ title: '正文', level: 1, paragraphs: ['景阳冈打虎。', '血溅鸳鸯楼。'] }]);
  });

  it('refuses empty text, a blank name and more than 200 KB', () => {
    expect(codeOf(() => pageFromText('某人', ' \n\n  '))).toBe('not_found:source_content');
    expect(codeOf(() => pageFromText('  ', '正文'))).toBe('bad_request:name');
    expect(codeOf(() => pageFromText('某人', '字'.repeat(MAX_TEXT_BYTES / 3 + 1)))).toBe('payload_too_large');
  });

  it('validates uploads as UTF-8 of at most 200 KB and drops the BOM', () => {
    expect(decodeUpload(new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from('你好')]))).toBe('你好');
    expect(codeOf(() => decodeUpload(new Uint8Array([0xc3, 0x28])))).toBe('bad_request:encoding');
    expect(codeOf(() => decodeUpload(new Uint8Array(MAX_TEXT_BYTES + 1)))).toBe('payload_too_large');
  });
});

describe('Markdown for the LLM', () => {
  const page: SourcePage = {
    source: 'baike',
    key: '1',
    title: '李白',
    summary: '唐代诗人。\n\n号青莲居士。',
    infobox: [['别名', '太白'], ['朝代', '唐']],
    sections: [
      { title: '生平', level: 1, paragraphs: [] },
      { title: '早年', level: 2, paragraphs: ['生于碎叶。', '# 不是标题'] },
    ],
  };

  it('renders title, summary, infobox list and section headings', () => {
    expect(pageToMarkdown(page)).toBe(
      '# 李白\n\n## 概述\n\n唐代诗人。\n\n号青莲居士。\n\n## 基本信息\n\n- 别名：太白\n- 朝代：唐\n\n## 生平\n\n### 早年\n\n生于碎叶。\n\n\\# 不是标题',
    );
  });

  it('cuts at a paragraph boundary within the cap and leaves no dangling heading', () => {
    const long: SourcePage = { ...page, sections: [{ title: '长文', level: 1, paragraphs: Array.from({ length: 50 }, (_, i) => `第${i}段。` + '文'.repeat(80)) }] };
    const md = pageToMarkdown(long, 1000);
    expect(md.length).toBeLessThanOrEqual(1000);
    expect(md.endsWith('文')).toBe(true);
    expect(md.split('\n\n').slice(-1)[0]).toMatch(/^第\d+段。文+$/);
    const tiny = pageToMarkdown(long, 60);
    expect(tiny.length).toBeLessThanOrEqual(60);
    expect(tiny.endsWith('## 概述')).toBe(false);
  });

  it('round-trips through the text source', () => {
    const again = pageFromText('李白', pageToMarkdown(page));
    expect(again.summary).toBe(page.summary);
    expect(again.infobox).toEqual(page.infobox);
    expect(again.sections.map((s) => s.title)).toEqual(['生平', '早年']);
  });
});

describe('bundled pages', () => {
  it('has the six figures, each 1,500–4,000 characters of Chinese text with an infobox and sections', () => {
    expect(BUNDLED_ENTRIES.map((e) => e.title)).toEqual(['李白', '孙悟空', '诸葛亮', '苏轼', '花木兰', '夏洛克·福尔摩斯']);
    for (const e of BUNDLED_ENTRIES) {
      const page = bundledPage(e, 'baike');
      const chars = (page.summary + page.sections.flatMap((s) => s.paragraphs).join('') + page.infobox.flat().join('')).replace(/[\x00-\x7f\s]/g, '').length;
      expect(chars, e.title).toBeGreaterThanOrEqual(1500);
      expect(chars, e.title).toBeLessThanOrEqual(4000);
      expect(page.infobox.length, e.title).toBeGreaterThanOrEqual(5);
      expect(page.sections.length, e.title).toBeGreaterThanOrEqual(3);
      expect(page.summary.length, e.title).toBeGreaterThan(50);
      expect(page).toMatchObject({ bundled: true, key: `bundled:${e.slug}`, source: 'baike' });
    }
  });

  it('matches titles and aliases ignoring case, spaces and ·', () => {
    expect(findBundled('sherlock holmes')?.slug).toBe('sherlock-holmes');
    expect(findBundled('夏洛克福尔摩斯')?.slug).toBe('sherlock-holmes');
    expect(findBundled('福尔摩斯')?.slug).toBe('sherlock-holmes');
    expect(findBundled('苏东坡')?.slug).toBe('su-shi');
    expect(findBundled('孔明')?.slug).toBe('zhuge-liang');
    expect(findBundled('杜甫')).toBeUndefined();
  });
});
