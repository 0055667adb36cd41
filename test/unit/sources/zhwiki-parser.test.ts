import { describe, expect, it } from 'vitest';
import { parseDisambiguationHtml, parseWikiHtml } from '../../../src/features/sources/zhwiki.js';
import { readFixture } from '../../support/fixture-server.js';

const html = (id: number) => (JSON.parse(readFixture(`zhwiki/parse-${id}.json`)) as { parse: { text: string } }).parse.text;

describe('zhwiki HTML parser', () => {
  it('splits 李白 by headings, keeps the infobox out of the intro, drops references, navboxes and 参见', () => {
    const a = parseWikiHtml(html(2480));
    expect(a.summary.split('\n\n')).toHaveLength(2);
    expect(a.summary).not.toMatch(/本名|\[1\]|各地常用名称/);
    expect(a.infobox).toContainEqual(['号', '青莲居士、谪仙人']);
    expect(a.infobox).toContainEqual(['逝世', '762年（61岁）']);
    expect(a.sections.map((s) => [s.title, s.level])).toEqual([
      ['生平', 1],
      ['早年', 2],
      ['长安', 2],
      ['作品', 1],
    ]);
    expect(a.sections[2]!.paragraphs).toEqual(['天宝元年，李白被召入长安，供奉翰林，不久被赐金放还。', '742年：奉诏入京。', '744年：离开长安。']);
    const all = JSON.stringify(a);
    expect(all).not.toMatch(/参考文献|旧唐书|杜甫\b.*navbox|编辑|\.mw-parser-output/);
    // Nested sections are not repeated in their parent (spec §10.13).
    expect(a.sections[0]!.paragraphs).toEqual([]);
  });

  it('reads the older heading markup (诸葛亮) and skips 注释', () => {
    const a = parseWikiHtml(html(10294));
    expect(a.sections.map((s) => s.title)).toEqual(['生平', '北伐', '评价']);
    expect(a.infobox[0]).toEqual(['姓', '诸葛']);
  });

  it.each([12347, 2620, 5551234, 600002, 8401])('parses page %i into text', (id) => {
    const a = parseWikiHtml(html(id));
    expect(a.summary.length).toBeGreaterThan(10);
    expect(a.sections.length).toBeGreaterThan(0);
  });

  it('lists disambiguation entries with descriptions, skipping red links, namespaces and repeats', () => {
    expect(parseDisambiguationHtml(html(1234567))).toEqual([
      { title: '李白', description: '唐朝诗人' },
      { title: '李白 (歌曲)', description: '李荣浩演唱的歌曲' },
      { title: '李白 (电视剧)', description: '2013年电视剧' },
    ]);
    expect(parseDisambiguationHtml(html(600001)).map((e) => e.title)).toEqual(['张伟 (演员)', '张伟 (歌手)', '张伟 (足球运动员)']);
  });
});
