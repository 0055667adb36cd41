import { describe, expect, it } from 'vitest';
import { baikeItemUrl, parseBaikeDocument, parseBaikeSearch, parseItemHref } from '../../../src/features/sources/baike.js';
import { readFixture } from '../../support/fixture-server.js';

const URL_BASE = 'https://baike.baidu.com';
const article = (file: string, url = `${URL_BASE}/item/x`) => {
  const doc = parseBaikeDocument(readFixture(`baike/${file}`), url);
  if (doc.kind !== 'article') throw new Error(`${file} parsed as ${doc.kind}`);
  return doc;
};
const allText = (doc: ReturnType<typeof article>) => [doc.page.summary, ...doc.page.sections.flatMap((s) => [s.title, ...s.paragraphs])].join('\n');

describe('Baike article parser', () => {
  it('reads 孙悟空: title, summary without footnotes, padded labels collapsed, headings with their paragraphs', () => {
    const { page, candidates } = article('sun-wukong.html');
    expect(page.title).toBe('孙悟空');
    expect(page.key).toBe('7099');
    expect(page.summary.startsWith('孙悟空，是中国古典神魔小说《西游记》')).toBe(true);
    expect(page.infobox).toContainEqual(['别名', '美猴王、齐天大圣、孙行者、斗战胜佛']);
    expect(page.infobox).toContainEqual(['兵器', '如意金箍棒']);
    expect(page.infobox.every(([k]) => !/\s/.test(k))).toBe(true);
    expect(page.sections.map((s) => [s.title, s.level])).toEqual([
      ['角色经历', 1],
      ['石猴出世', 2],
      ['大闹天宫', 2],
      ['保护唐僧取经', 2],
      ['人物评价', 1],
    ]);
    expect(page.sections[1]!.paragraphs).toHaveLength(2);
    const text = allText({ page, candidates, kind: 'article' });
    expect(text).not.toMatch(/\[\d+(-\d+)?\]/);
    expect(text).not.toMatch(/编辑|播报|使用百度前必读|京ICP/);
    // A paragraph that mentions 登录 is content, not noise (spec §10.12).
    expect(page.sections[3]!.paragraphs[0]).toContain('登录在灵山的功德簿上');
    expect(candidates).toEqual([{ id: '7099', title: '孙悟空', description: '《西游记》中的主要角色' }]);
  });

  it('lists 李白 same-name candidates without inline links, 更多 or duplicates', () => {
    const { page, candidates } = article('li-bai.html');
    expect(page.title).toBe('李白');
    expect(candidates.map((c) => c.id)).toEqual(['1043', '20395283', '10950812']);
    expect(candidates[0]).toEqual({ id: '1043', title: '李白', description: '唐代著名浪漫主义诗人' });
    expect(candidates[1]!.description).toBe('李荣浩演唱歌曲');
  });

  it('does not repeat the summary in sections (林黛玉 repeats it in the body)', () => {
    const { page } = article('lin-daiyu.html');
    const first = page.summary.split('\n\n')[0]!;
    expect(page.sections.flatMap((s) => s.paragraphs)).not.toContain(first);
    expect(page.sections[0]!.paragraphs).toHaveLength(2);
  });

  it('reads the legacy layout (诸葛亮)', () => {
    const { page } = article('zhuge-liang-legacy.html');
    expect(page.title).toBe('诸葛亮');
    expect(page.key).toBe('21048');
    expect(page.infobox).toEqual([
      ['本名', '诸葛亮'],
      ['字', '孔明'],
      ['别称', '卧龙、伏龙'],
      ['所处时代', '东汉末年、三国时期'],
      ['主要成就', '辅佐刘备建立蜀汉、五次北伐'],
    ]);
    expect(page.sections.map((s) => s.title)).toEqual(['人物生平', '主要成就']);
    expect(page.sections[0]!.paragraphs[1]).toMatch(/隆中对”。$/);
    expect(page.summary).not.toContain('[1]');
  });

  it.each(['li-bai-song.html', 'su-shi.html', 'hua-mulan.html', 'zhang-wei-actor.html', 'sherlock-holmes.html'])('parses %s into a page with text', (file) => {
    const { page } = article(file);
    expect(page.title.length).toBeGreaterThan(0);
    expect(page.summary.length).toBeGreaterThan(20);
    expect(page.infobox.length).toBeGreaterThan(1);
    expect(page.sections.length).toBeGreaterThan(0);
    expect(page.sections.every((s) => s.paragraphs.length > 0)).toBe(true);
  });

  it('recognises the 多义词 page of 张伟 as a list of candidates', () => {
    const doc = parseBaikeDocument(readFixture('baike/zhang-wei-polysemant.html'), `${URL_BASE}/item/张伟`);
    expect(doc.kind).toBe('polysemant');
    if (doc.kind !== 'polysemant') return;
    expect(doc.candidates).toHaveLength(6);
    expect(doc.candidates[0]).toEqual({ id: '16927', title: '张伟', description: '中国内地男演员' });
    expect(new Set(doc.candidates.map((c) => c.id)).size).toBe(6);
  });

  it('treats the not-found page and an empty article as such', () => {
    expect(parseBaikeDocument(readFixture('baike/not-found.html'), `${URL_BASE}/search/none`).kind).toBe('not_found');
    const empty = article('empty.html');
    expect(empty.page.summary).toBe('');
    expect(empty.page.sections).toEqual([]);
  });

  it('reads search results with ids, once each', () => {
    const list = parseBaikeSearch(readFixture('baike/search-fuermosi.html'));
    expect(list.map((c) => [c.id, c.title])).toEqual([
      ['5977', '夏洛克·福尔摩斯'],
      ['2543221', '大侦探福尔摩斯'],
    ]);
    expect(parseBaikeSearch(readFixture('baike/search-empty.html'))).toEqual([]);
  });
});

describe('Baike URLs', () => {
  it('builds item URLs on the base only, with the name encoded as one path segment', () => {
    expect(baikeItemUrl('https://baike.baidu.com', '李白', '1043')).toBe('https://baike.baidu.com/item/%E6%9D%8E%E7%99%BD/1043');
    expect(baikeItemUrl('http://127.0.0.1:9', '../../admin?x=1#y')).toBe('http://127.0.0.1:9/item/..%2F..%2Fadmin%3Fx%3D1%23y');
    expect(() => baikeItemUrl('https://baike.baidu.com', '李白', '1043/../../x')).toThrowError(/number/);
    expect(() => baikeItemUrl('https://baike.baidu.com', '李白', 'http://evil.example/')).toThrowError(/number/);
  });

  it('parses item hrefs and ignores other paths', () => {
    expect(parseItemHref('/item/%E5%AD%99%E6%82%9F%E7%A9%BA/7099?fromModule=disambiguation')).toMatchObject({ name: '孙悟空', lemmaId: '7099' });
    expect(parseItemHref('/search?word=x')).toBeUndefined();
  });
});
