import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSourceService, type SourceConfig, type SourceService } from '../../../src/features/sources/service.js';
import { AppError, isAppError } from '../../../src/errors.js';
import { startFixtureServer, type FixtureServer } from '../../support/fixture-server.js';

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (isAppError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

/** A base URL whose port nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

describe('source service over the fixture server', () => {
  let fx: FixtureServer;
  let svc: SourceService;

  beforeAll(async () => {
    fx = await startFixtureServer();
    const config: SourceConfig = { baikeBaseUrl: fx.baikeBaseUrl, zhwikiBaseUrl: fx.zhwikiBaseUrl, fetchTimeoutMs: 3000, fetchMaxBytes: 5_000_000, bundledSources: 'off' };
    svc = createSourceService(config, { backoffMs: 10 });
  });
  afterAll(async () => {
    await svc.close();
    await fx.close();
  });

  describe('Baike', () => {
    it('candidate flow: 李白 is ambiguous, the chosen id fetches that page', async () => {
      const list = await svc.candidates('baike', '李白');
      expect(list.map((c) => c.id)).toEqual(['1043', '20395283', '10950812']);
      const err = await failure(svc.fetchPage('baike', { name: '李白' }));
      expect(err.code).toBe('ambiguous');
      expect(err.status).toBe(409);
      expect(err.details?.candidates).toEqual(list);
      const song = await svc.fetchPage('baike', { name: '李白', candidateId: '20395283' });
      expect(song.key).toBe('20395283');
      expect(song.summary).toContain('李荣浩');
      const poet = await svc.fetchPage('baike', { name: '李白', candidateId: '1043' });
      expect(poet.infobox).toContainEqual(['别名', '李太白、青莲居士、谪仙人']);
      expect(fx.requests).toContain('baike GET /item/李白/20395283');
    });

    it('a 多义词 page (张伟) is ambiguous; a candidate fetches the person', async () => {
      const err = await failure(svc.fetchPage('baike', { name: '张伟' }));
      expect(err.code).toBe('ambiguous');
      expect((err.details?.candidates as unknown[]).length).toBe(6);
      const actor = await svc.fetchPage('baike', { name: '张伟', candidateId: '16927' });
      expect(actor.summary).toContain('男演员');
    });

    it('a single page is fetched directly, following a same-host redirect (花木兰)', async () => {
      const page = await svc.fetchPage('baike', { name: '花木兰' });
      expect(page.key).toBe('5757');
      expect(page.url).toBe(`${fx.baikeBaseUrl}/item/%E8%8A%B1%E6%9C%A8%E5%85%B0/5757`);
      expect(await svc.candidates('baike', '花木兰')).toEqual([{ id: '5757', title: '花木兰', description: '中国古代巾帼英雄' }]);
    });

    it('an unknown name falls back to search: candidates, and ambiguity even for fetchPage', async () => {
      const list = await svc.candidates('baike', '福尔摩斯');
      expect(list[0]).toMatchObject({ id: '5977', title: '夏洛克·福尔摩斯' });
      expect((await failure(svc.fetchPage('baike', { name: '福尔摩斯' }))).code).toBe('ambiguous');
      const page = await svc.fetchPage('baike', { name: '福尔摩斯', candidateId: '5977' });
      expect(page.title).toBe('夏洛克·福尔摩斯');
    });

    it('not found, empty and blocked pages fail with their codes', async () => {
      expect((await failure(svc.candidates('baike', '查无此人'))).code).toBe('not_found:source_page');
      expect((await failure(svc.fetchPage('baike', { name: '查无此人' }))).code).toBe('not_found:source_page');
      expect((await failure(svc.fetchPage('baike', { name: '李白', candidateId: '999999' }))).code).toBe('not_found:source_page');
      expect((await failure(svc.fetchPage('baike', { name: '空条目' }))).code).toBe('not_found:source_content');
      expect((await failure(svc.fetchPage('baike', { name: '验证码' }))).code).toBe('source_blocked:captcha');
      expect((await failure(svc.candidates('baike', '验证跳转'))).code).toBe('source_blocked:captcha');
      expect((await failure(svc.fetchPage('baike', { name: '封禁' }))).code).toBe('source_blocked:forbidden');
      expect((await failure(svc.fetchPage('baike', { name: '限流' }))).code).toBe('source_blocked:rate_limited');
      expect((await failure(svc.fetchPage('baike', { name: '故障' }))).code).toBe('source_unavailable:upstream');
    });

    it('never turns a candidate id into a URL of its own', async () => {
      const before = fx.requests.length;
      for (const id of ['http://127.0.0.1:1/x', '../../etc/passwd', '1043?x=1', '1043/1', '-1']) {
        expect((await failure(svc.fetchPage('baike', { name: '李白', candidateId: id }))).code, id).toBe('bad_request:candidate_id');
      }
      expect((await failure(svc.fetchPage('baike', { name: '李白', candidateId: 'bundled:nope' }))).code).toBe('bad_request:candidate_id');
      expect(fx.requests.slice(before).every((r) => r.startsWith('baike GET /item/李白'))).toBe(true);
    });

    it('rejects blank and over-long names', async () => {
      expect((await failure(svc.candidates('baike', '   '))).code).toBe('bad_request:name');
      expect((await failure(svc.candidates('baike', '名'.repeat(65)))).code).toBe('bad_request:name');
    });
  });

  describe('zhwiki', () => {
    it('candidate flow: 李白 lists the article and its 消歧义 entries; the chosen page id is fetched', async () => {
      const list = await svc.candidates('zhwiki', '李白');
      expect(list.map((c) => c.id)).toEqual(['2480', '5551234', '5551235']);
      expect((await failure(svc.fetchPage('zhwiki', { name: '李白' }))).code).toBe('ambiguous');
      const page = await svc.fetchPage('zhwiki', { name: '李白', candidateId: '2480' });
      expect(page).toMatchObject({ source: 'zhwiki', key: '2480', title: '李白' });
      expect(page.sections.map((s) => s.title)).toContain('早年');
    });

    it('follows a redirect (孔明 → 诸葛亮) and fetches a single page directly', async () => {
      const page = await svc.fetchPage('zhwiki', { name: '孔明' });
      expect(page.title).toBe('诸葛亮');
      expect(page.infobox).toContainEqual(['字', '孔明']);
      expect(await svc.candidates('zhwiki', '苏东坡')).toEqual([{ id: '12347', title: '苏轼', description: '北宋文学家' }]);
    });

    it('a disambiguation page gives candidates, also when chosen by id', async () => {
      const list = await svc.candidates('zhwiki', '张伟');
      expect(list.map((c) => c.title)).toEqual(['张伟 (演员)', '张伟 (歌手)', '张伟 (足球运动员)']);
      const err = await failure(svc.fetchPage('zhwiki', { name: '张伟', candidateId: '600001' }));
      expect(err.code).toBe('ambiguous');
      expect(err.details?.candidates).toEqual(list);
      expect((await svc.fetchPage('zhwiki', { name: '张伟', candidateId: '600002' })).title).toBe('张伟 (演员)');
    });

    it('search hits for a missing title are candidates, never fetched unconfirmed', async () => {
      const list = await svc.candidates('zhwiki', '福尔摩斯');
      expect(list.map((c) => c.id)).toEqual(['8401', '8402']);
      expect(list[0]!.description).not.toContain('<span');
      expect((await failure(svc.fetchPage('zhwiki', { name: '福尔摩斯' }))).code).toBe('ambiguous');
    });

    it('not found and empty pages fail with their codes; the API asks for zh-hans and sends a contact UA', async () => {
      expect((await failure(svc.candidates('zhwiki', '查无此人'))).code).toBe('not_found:source_page');
      expect((await failure(svc.fetchPage('zhwiki', { name: 'x', candidateId: '424242' }))).code).toBe('not_found:source_page');
      expect((await failure(svc.fetchPage('zhwiki', { name: '空条目' }))).code).toBe('not_found:source_content');
      expect((await failure(svc.fetchPage('zhwiki', { name: 'x', candidateId: 'abc' }))).code).toBe('bad_request:candidate_id');
      expect(fx.requests.some((r) => r.includes('action=parse') && r.includes('variant=zh-hans'))).toBe(true);
    });
  });

  it('pasted text and Markdown go through the same page shape', () => {
    const page = svc.fromText('林冲', '## 生平\n\n八十万禁军教头，后上梁山。');
    expect(svc.toMarkdown(page)).toBe('# 林冲\n\n## 生平\n\n八十万禁军教头，后上梁山。');
    expect(svc.toMarkdown({ ...page, sections: [{ title: '长', level: 1, paragraphs: ['字'.repeat(100), '字'.repeat(100)] }] }, 120).length).toBeLessThanOrEqual(120);
  });
});

describe('bundled pages', () => {
  it('fallback: a closed port gives the bundled page (and candidate) for a known name, the error otherwise', async () => {
    const dead = await closedPortUrl();
    const svc = createSourceService({ baikeBaseUrl: dead, zhwikiBaseUrl: dead, fetchTimeoutMs: 2000, fetchMaxBytes: 1_000_000, bundledSources: 'fallback' }, { backoffMs: 5, retries: 1 });
    try {
      const page = await svc.fetchPage('baike', { name: '李白' });
      expect(page).toMatchObject({ bundled: true, key: 'bundled:li-bai', title: '李白', source: 'baike' });
      expect(await svc.candidates('zhwiki', 'Sherlock Holmes')).toEqual([expect.objectContaining({ id: 'bundled:sherlock-holmes', title: '夏洛克·福尔摩斯' })]);
      expect((await svc.fetchPage('zhwiki', { name: 'Sherlock Holmes', candidateId: 'bundled:sherlock-holmes' })).title).toBe('夏洛克·福尔摩斯');
      expect((await failure(svc.fetchPage('baike', { name: '杜甫' }))).code).toBe('source_unavailable:unreachable');
      // A chosen live candidate is not silently swapped for the bundled page.
      expect((await failure(svc.fetchPage('baike', { name: '李白', candidateId: '1043' }))).code).toBe('source_unavailable:unreachable');
    } finally {
      await svc.close();
    }
  });

  it('site failures say what happened and list the names that work offline (none when bundled pages are off)', async () => {
    const dead = await closedPortUrl();
    const fallback = createSourceService({ baikeBaseUrl: dead, zhwikiBaseUrl: dead, fetchTimeoutMs: 2000, fetchMaxBytes: 1_000_000, bundledSources: 'fallback' }, { backoffMs: 5, retries: 0 });
    const off = createSourceService({ baikeBaseUrl: dead, zhwikiBaseUrl: dead, fetchTimeoutMs: 2000, fetchMaxBytes: 1_000_000, bundledSources: 'off' }, { retries: 0 });
    try {
      for (const err of [await failure(fallback.candidates('baike', '曹操')), await failure(fallback.fetchPage('zhwiki', { name: '曹操' }))]) {
        expect(err.code).toBe('source_unavailable:unreachable');
        expect(err.status).toBe(502);
        expect(err.message).toMatch(/cannot be reached from this server.*Names that work offline: 李白, 孙悟空/);
        expect(err.details?.bundledNames).toEqual(['李白', '孙悟空', '诸葛亮', '苏轼', '花木兰', '夏洛克·福尔摩斯']);
      }
      const none = await failure(off.candidates('baike', '李白'));
      expect(none.code).toBe('source_unavailable:unreachable');
      expect(none.details?.bundledNames).toEqual([]);
      expect(none.message).not.toMatch(/offline/);
    } finally {
      await fallback.close();
      await off.close();
    }
  });

  it('fallback does not apply when the live site says "not found"', async () => {
    const fx = await startFixtureServer();
    const svc = createSourceService({ baikeBaseUrl: fx.baikeBaseUrl, zhwikiBaseUrl: fx.zhwikiBaseUrl, fetchTimeoutMs: 2000, fetchMaxBytes: 1_000_000, bundledSources: 'fallback' });
    try {
      // 孙悟空 is live: the site's page wins over the bundled one.
      expect((await svc.fetchPage('baike', { name: '孙悟空' })).bundled).toBeUndefined();
      // "夏洛克" is a bundled alias but the site knows nothing of it: not found stays not found.
      expect((await failure(svc.fetchPage('zhwiki', { name: '夏洛克' }))).code).toBe('not_found:source_page');
    } finally {
      await svc.close();
      await fx.close();
    }
  });

  it('first: a matching name never touches the network; off: bundled pages are never used', async () => {
    const fx = await startFixtureServer();
    const first = createSourceService({ baikeBaseUrl: fx.baikeBaseUrl, zhwikiBaseUrl: fx.zhwikiBaseUrl, fetchTimeoutMs: 2000, fetchMaxBytes: 1_000_000, bundledSources: 'first' });
    const dead = await closedPortUrl();
    const off = createSourceService({ baikeBaseUrl: dead, zhwikiBaseUrl: dead, fetchTimeoutMs: 2000, fetchMaxBytes: 1_000_000, bundledSources: 'off' }, { retries: 0 });
    try {
      expect((await first.fetchPage('baike', { name: '孙悟空' })).key).toBe('bundled:sun-wukong');
      expect(await first.candidates('baike', '诸葛孔明')).toEqual([expect.objectContaining({ id: 'bundled:zhuge-liang' })]);
      expect(fx.requests).toEqual([]);
      expect((await first.fetchPage('baike', { name: '林黛玉' })).key).toBe('126263');
      expect((await failure(off.fetchPage('baike', { name: '李白' }))).code).toBe('source_unavailable:unreachable');
      expect((await failure(off.fetchPage('baike', { name: '李白', candidateId: 'bundled:li-bai' }))).code).toBe('bad_request:candidate_id');
    } finally {
      await first.close();
      await off.close();
      await fx.close();
    }
  });
});
