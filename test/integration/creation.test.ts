import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../tools/mock-llm.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { DIALECTS } from '../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../support/app.js';
import { readSse, type Frame } from '../support/sse.js';

import { mockLlmEnv } from '../support/mock-llm.js';
import { waitFor } from '../support/wait.js';

describe.each(DIALECTS)('character creation on %s', (dialect) => {
  let llm: MockLlm;
  let fx: FixtureServer;
  let t: TestApp;
  let alice: TestClient;
  let bob: TestClient;

  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 5, tokens: 8, tps: 5000 });
    fx = await startFixtureServer();
    t = await startTestApp(dialect, {
      ...mockLlmEnv(llm, { FASTNPC_LLM_MAX_RETRIES: '0' }),
      FASTNPC_BAIKE_BASE_URL: fx.baikeBaseUrl,
      FASTNPC_ZHWIKI_BASE_URL: fx.zhwikiBaseUrl,
      FASTNPC_BUNDLED_SOURCES: 'off',
      FASTNPC_CREATION_RATE_PER_MIN: '0',
    });
    alice = t.client();
    bob = t.client();
    await alice.register();
    await bob.register();
  });
  afterAll(async () => {
    await t?.close();
    await fx?.close();
    await llm?.close();
  });

  /** Follows a job's event stream to its end. */
  async function follow(c: TestClient, jobId: string): Promise<Frame[]> {
    const res = await fetch(`${t.url}/api/jobs/${jobId}/events`, { headers: { cookie: c.cookie, accept: 'text/event-stream' } });
    expect(res.status).toBe(200);
    const frames: Frame[] = [];
    for await (const f of readSse(res)) frames.push(f);
    return frames;
  }

  it('lists same-name candidates and answers 409 with them when none is chosen', async () => {
    const cands = await alice.get(`/api/sources/baike/candidates?name=${encodeURIComponent('李白')}`);
    expect(cands.status).toBe(200);
    expect(cands.body.candidates.length).toBeGreaterThan(1);
    const r = await alice.post('/api/characters/creations', { name: '李白', source: 'baike', detail: 'concise' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('ambiguous');
    expect(r.body.error.candidates.map((c: any) => c.id)).toEqual(cands.body.candidates.map((c: any) => c.id));
  });

  it('creates a character from a chosen Baike candidate, with progress events in order', async () => {
    const cands = (await alice.get(`/api/sources/baike/candidates?name=${encodeURIComponent('李白')}`)).body.candidates;
    const poet = cands.find((c: any) => /诗人/.test(c.description + c.title)) ?? cands[0];
    const r = await alice.post('/api/characters/creations', { name: '李白', source: 'baike', candidateId: poet.id, detail: 'detailed' });
    expect(r.status).toBe(202);
    expect(r.body.job.state).toBe('queued');
    const frames = await follow(alice, r.body.job.id);
    const steps = frames.map((f) => f.data.progress.step);
    const order = ['queued', 'fetching', 'structuring', 'writing_biography', 'saving', 'done'];
    const seen = steps.filter((s, i) => s !== steps[i - 1]);
    expect(seen.every((s, i) => i === 0 || order.indexOf(s) >= order.indexOf(seen[i - 1]))).toBe(true);
    expect(seen[seen.length - 1]).toBe('done');
    const structuring = frames.filter((f) => f.data.progress.step === 'structuring').map((f) => f.data.progress.done);
    expect([...structuring].sort((a, b) => a - b)).toEqual(structuring);
    const last = frames[frames.length - 1].data;
    expect(last.state).toBe('done');
    const ch = await alice.get(`/api/characters/${last.result.characterId}`);
    expect(ch.status).toBe(200);
    expect(ch.body.name).toBe('李白');
    expect(ch.body.source).toBe('baike');
    expect(Object.keys(ch.body.profile).sort()).toEqual(['background', 'dialogue', 'identity', 'knowledge', 'personality', 'source', 'system', 'tasks', 'world']);
    expect(Array.isArray(ch.body.profile.background.experiences)).toBe(true);
    expect(ch.body.profile.source.url).toContain(fx.baikeBaseUrl);
    expect(ch.body.biography.length).toBeGreaterThan(0);
    // The creation pipeline writes a greeting: every new chat opens with it.
    expect(ch.body.profile.dialogue.greeting.length).toBeGreaterThan(0);
    const opening = (await alice.get(`/api/characters/${ch.body.id}/messages`)).body.items;
    expect(opening).toHaveLength(1);
    expect(opening[0]).toMatchObject({ role: 'assistant', characterId: ch.body.id });
    expect(fx.requests.some((q) => q.includes(`/item/李白/${poet.id}`))).toBe(true);
  });

  it('creates from Chinese Wikipedia and from pasted text', async () => {
    const wiki = await alice.post('/api/characters/creations', { name: '诸葛亮', source: 'zhwiki', detail: 'concise' });
    expect(wiki.status).toBe(202);
    const text = await alice.post('/api/characters/creations', { name: '张三', source: 'text', text: '# 张三\n\n张三是一名虚构的侠客，生于江南，擅长剑术。他性格豪爽，喜欢结交朋友，常年行走江湖，行侠仗义。', detail: 'concise' });
    expect(text.status).toBe(202);
    for (const job of [wiki.body.job, text.body.job]) {
      const frames = await follow(alice, job.id);
      expect(frames[frames.length - 1].data.state).toBe('done');
    }
    const list = await alice.get('/api/characters');
    expect(list.body.items.map((i: any) => i.name)).toEqual(expect.arrayContaining(['诸葛亮', '张三']));
  });

  it('answers not found, blocked and empty sources clearly — never an invented profile', async () => {
    const missing = await alice.post('/api/characters/creations', { name: '查无此人', source: 'baike', detail: 'concise' });
    expect(missing.status).toBe(404);
    const blocked = await alice.get(`/api/sources/baike/candidates?name=${encodeURIComponent('验证码')}`);
    expect(blocked.status).toBe(502);
    expect(blocked.body.error.code).toMatch(/^source_blocked/);
    const empty = await alice.post('/api/characters/creations', { name: '空条目', source: 'baike', candidateId: '1', detail: 'concise' });
    expect(empty.status).toBe(202);
    const frames = await follow(alice, empty.body.job.id);
    const last = frames[frames.length - 1].data;
    expect(last.state).toBe('failed');
    expect(last.error.code).toMatch(/^not_found/);
    expect((await alice.get('/api/characters?q=空条目')).body.items).toHaveLength(0);
    const noText = await alice.post('/api/characters/creations', { name: 'x', source: 'text', text: '   ', detail: 'concise' });
    expect(noText.status).toBe(400);
  });

  it('fails a job naming the section whose JSON stays invalid', async () => {
    const r = await alice.post('/api/characters/creations', { name: '坏数据', source: 'text', text: `坏数据是一个测试人物，来自测试之乡，喜欢写测试。[[mock-json:{"fail":"badjson"}]]`, detail: 'concise' });
    const frames = await follow(alice, r.body.job.id);
    const last = frames[frames.length - 1].data;
    expect(last.state).toBe('failed');
    expect(last.error.code).toMatch(/^llm_bad_output:/);
    expect(last.error.message).toMatch(/「.+」/);
    expect((await alice.get('/api/characters?q=坏数据')).body.items).toHaveLength(0);
  });

  it('cancels a running job and aborts its LLM calls in flight', async () => {
    const abortedBefore = llm.stats().aborted;
    const r = await alice.post('/api/characters/creations', { name: '慢人物', source: 'text', text: `慢人物是一个很慢的测试人物，生于慢城，做事从容不迫。[[mock-json:{"ttftMs":5000}]]`, detail: 'concise' });
    const id = r.body.job.id;
    await waitFor(async () => (await alice.get(`/api/jobs/${id}`)).body.progress.step === 'structuring');
    expect((await alice.del(`/api/jobs/${id}`)).status).toBe(204);
    expect((await alice.get(`/api/jobs/${id}`)).body.state).toBe('cancelled');
    await waitFor(async () => llm.stats().aborted > abortedBefore);
    // Once the runner has stopped, nothing it was making may remain.
    await waitFor(async () => (await t.ctx.queue.counts('creation')).running === 0);
    expect((await alice.get('/api/characters?q=慢人物')).body.items).toHaveLength(0);
    expect((await alice.get(`/api/jobs/${id}`)).body.state).toBe('cancelled');
  });

  it('refuses a candidateId that is not one of the name\'s pages, before any job exists', async () => {
    const jobs = async () => Number((await t.ctx.database.db.selectFrom('jobs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await jobs();
    const r = await alice.post('/api/characters/creations', { name: '李白', source: 'baike', candidateId: 'no-such-page', detail: 'concise' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation:candidateId');
    expect(r.body.error.message).toContain('no-such-page');
    expect(r.body.error.candidates.length).toBeGreaterThan(1);
    expect(await jobs()).toBe(before);
  });

  it('shows a job only to its owner', async () => {
    const r = await alice.post('/api/characters/creations', { name: '私有', source: 'text', text: '私有人物是一个只属于爱丽丝的测试人物，住在测试城。', detail: 'concise' });
    const id = r.body.job.id;
    expect((await bob.get(`/api/jobs/${id}`)).status).toBe(404);
    expect((await bob.get(`/api/jobs/${id}/events`)).status).toBe(404);
    expect((await bob.del(`/api/jobs/${id}`)).status).toBe(404);
    expect((await bob.get('/api/jobs/not-a-uuid')).status).toBe(400);
    const frames = await follow(alice, id);
    expect(frames[frames.length - 1].data.state).toBe('done');
  });
});
