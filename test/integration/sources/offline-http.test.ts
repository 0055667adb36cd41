/**
 * A server with no encyclopedia reachable (both sites point at a closed port) and the built-in
 * offline model: an unknown name gets a clear 502 listing the names that work offline; a bundled
 * name is created from its bundled page, says so, and chats in the first person.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_ENTRIES, findBundled } from '../../../src/features/sources/bundled/index.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { misjoinProblems, namesOf, punctuationProblems, selfReferenceProblems } from '../../support/offline-quality.js';
import { DIALECTS } from '../../support/services.js';
import { waitFor } from '../../support/wait.js';

async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

describe.each(DIALECTS)('offline server on %s', (dialect) => {
  let t: TestApp;
  let alice: TestClient;

  beforeAll(async () => {
    const dead = await closedPortUrl();
    t = await startTestApp(
      dialect,
      {
        FASTNPC_LLM_PROVIDER: 'offline',
        FASTNPC_BAIKE_BASE_URL: dead,
        FASTNPC_ZHWIKI_BASE_URL: dead,
        FASTNPC_BUNDLED_SOURCES: 'fallback',
        FASTNPC_CREATION_RATE_PER_MIN: '0',
        FASTNPC_FETCH_TIMEOUT_MS: '3000',
      },
      { offlineChunkDelayMs: 0 },
    );
    alice = t.client();
    await alice.register();
  });
  afterAll(async () => {
    await t?.close();
  });

  const names = BUNDLED_ENTRIES.map((e) => e.title);

  it('an unreachable site and no bundled page: 502 source_unavailable:unreachable with bundledNames, for candidates and creation', async () => {
    for (const source of ['baike', 'zhwiki']) {
      const cands = await alice.get(`/api/sources/${source}/candidates?name=${encodeURIComponent('曹操')}`);
      expect(cands.status).toBe(502);
      expect(cands.body.error.code).toBe('source_unavailable:unreachable');
      expect(cands.body.error.message).toMatch(/cannot be reached from this server/);
      expect(cands.body.error.bundledNames).toEqual(names);
    }
    const created = await alice.post('/api/characters/creations', { name: '曹操', source: 'baike', detail: 'concise' });
    expect(created.status).toBe(502);
    expect(created.body.error).toMatchObject({ code: 'source_unavailable:unreachable', bundledNames: names });
    expect(created.body.error.message).toMatch(/Baidu Baike/);
  });

  it('a bundled name: candidates say bundled, creation succeeds and the source line says so, chat answers in the first person', async () => {
    const cands = await alice.get(`/api/sources/baike/candidates?name=${encodeURIComponent('李白')}`);
    expect(cands.status).toBe(200);
    expect(cands.body).toMatchObject({ bundled: true, candidates: [{ id: 'bundled:li-bai', title: '李白' }] });

    const created = await alice.post('/api/characters/creations', { name: '李白', source: 'baike', detail: 'concise' });
    expect(created.status).toBe(202);
    const job = await waitFor(async () => {
      const j = await alice.get(`/api/jobs/${created.body.job.id}`);
      return ['done', 'failed'].includes(j.body.state) && j.body;
    }, 30_000);
    expect(job.state).toBe('done');
    const ch = (await alice.get(`/api/characters/${job.result.characterId}`)).body;
    // The provenance id marks the bundled page; the web app words it (describeSourceId).
    expect(ch.profile.source.id).toBe('baike:bundled:li-bai');
    expect(misjoinProblems(ch.biography)).toEqual([]);

    const entry = findBundled('李白')!;
    for (const content of ['你是谁？', '你和杜甫是什么关系？', 'Who are you?']) {
      const r = await alice.post(`/api/characters/${ch.id}/messages`, { content });
      expect(r.status).toBe(200);
      const text: string = r.body.message.content;
      expect(selfReferenceProblems(text, namesOf(entry))).toEqual([]);
      expect(misjoinProblems(text)).toEqual([]);
      expect(punctuationProblems(text, /[\u4e00-\u9fff]/.test(content))).toEqual([]);
    }
    const relation = await alice.post(`/api/characters/${ch.id}/messages`, { content: '你和杜甫是什么关系？' });
    expect(relation.body.message.content).toMatch(/杜甫是我的好友/);
  });

  it('memory: summaries credit the user with what the user said, and long-term memory gets the user\'s facts', async () => {
    const settings = (await alice.get('/api/me/settings')).body;
    // The smallest budgets, so a short conversation is compressed and integrated.
    expect((await alice.put('/api/me/settings', { ...settings, budgetSession: 200, budgetShortTerm: 100 })).status).toBe(200);
    const created = await alice.post('/api/characters/creations', { name: '苏轼', source: 'zhwiki', detail: 'concise' });
    const job = await waitFor(async () => {
      const j = await alice.get(`/api/jobs/${created.body.job.id}`);
      return ['done', 'failed'].includes(j.body.state) && j.body;
    }, 30_000);
    expect(job.state).toBe('done');
    const id = job.result.characterId;
    for (const content of ['我叫小明，是一名大学生。', '我最喜欢喝龙井茶。', '我打算明天去杭州看西湖。', '你去过杭州吗？', '我讨厌下雨天。', '你怎么看西湖？']) {
      expect((await alice.post(`/api/characters/${id}/messages`, { content })).status).toBe(200);
    }
    expect((await alice.post(`/api/characters/${id}/memories/compress`)).status).toBe(202);
    const memories = await waitFor(async () => {
      const m = (await alice.get(`/api/characters/${id}/memories`)).body;
      const facts = m.longTerm.map((x: { content: string }) => x.content);
      return facts.includes('用户的名字是小明') && facts.includes('用户喜欢喝龙井茶') && m;
    }, 20_000);
    const longTerm = memories.longTerm.map((x: { content: string }) => x.content);
    expect(longTerm).toEqual(expect.arrayContaining(['用户的名字是小明', '用户喜欢喝龙井茶']));
    for (const item of [...memories.shortTerm, ...memories.longTerm].map((x: { content: string }) => x.content)) {
      // The user's facts are never credited to the character.
      expect(item).not.toMatch(/^我(叫小明|最喜欢喝龙井茶|打算明天去杭州)/mu);
      expect(item).not.toMatch(/苏轼 \|/u);
    }
  });

  it('an 8,000-character message is answered briefly', async () => {
    const list = (await alice.get('/api/characters')).body;
    const id = (list.items ?? list.characters ?? list)[0].id;
    const r = await alice.post(`/api/characters/${id}/messages`, { content: '月'.repeat(8000 - 7) + '你怎么看友情？' });
    expect(r.status).toBe(200);
    expect(r.body.message.content.length).toBeLessThanOrEqual(400);
  });
});
