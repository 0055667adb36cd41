/**
 * Evaluations end to end against the mock LLM: test cases, a run judged by a scripted judge
 * (a malformed answer fails its case, never a made-up score), a prompt version used for one run
 * without being activated, the side-by-side comparison, cancellation, failed-run retry, the
 * offline model's "not judged", and the authorization of every route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { DIALECTS, PG_URL, REDIS_URL } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { importCard } from '../../support/characters.js';
import { mock, mockJson, mockLlmEnv, startMockLlm } from '../../support/mock-llm.js';
import { readSse } from '../../support/sse.js';
import { waitFor } from '../../support/wait.js';
import type { MockLlm } from '../../../tools/mock-llm.js';

const TERMINAL = ['done', 'failed', 'cancelled'];

async function finished(admin: TestClient, id: number) {
  return waitFor(async () => {
    const r = await admin.get(`/api/admin/evaluations/${id}`);
    return TERMINAL.includes(r.body.run.state) ? r.body : undefined;
  }, 20_000);
}

const chatCase = (characterId: number, name: string, content: string) => ({
  name,
  kind: 'chat',
  characterId,
  input: { messages: [{ role: 'user', content: '你好，先生' }, { role: 'assistant', content: '幸会。' }, { role: 'user', content }], longTerm: ['用户 | 喜欢 | 唐诗'] },
  expected: '以李白的口吻回答，提到饮酒或写诗。',
  config: { temperature: 0.7, budgets: { session: 1000 } },
});

describe.each(DIALECTS)('evaluations on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  let admin: TestClient;
  let alice: TestClient;
  let characterId: number;
  let rulesTemplateId: number;
  const caseIds: number[] = [];

  beforeAll(async () => {
    llm = await startMockLlm({ ttftMs: 0, tokens: 12, tps: 100_000 });
    t = await startTestApp(dialect, mockLlmEnv(llm));
    admin = t.client();
    await admin.register('eval_admin');
    alice = t.client();
    await alice.register('eval_alice');
    // The target belongs to another user: admins test any character, and the run changes nothing of it.
    characterId = (await importCard(alice, '李白')).id;
    rulesTemplateId = (await admin.get('/api/admin/prompts?category=chat')).body.items.find((p: any) => p.key === 'chat.rules').id;
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  it('creates, lists, updates and deletes test cases, naming what is wrong', async () => {
    for (const [i, q] of ['你最喜欢哪首诗？', '你怎么看杜甫？'].entries()) {
      const r = await admin.post('/api/admin/test-cases', chatCase(characterId, `李白-单聊${i + 1}`, q));
      expect(r.status).toBe(201);
      caseIds.push(r.body.id);
    }
    // The judge cannot answer this one in valid JSON, even after the repair re-ask.
    const broken = await admin.post('/api/admin/test-cases', chatCase(characterId, '李白-坏评审', `你会喝酒吗？${mockJson({ fail: 'badjson' })}`));
    caseIds.push(broken.body.id);
    const list = await admin.get('/api/admin/test-cases?kind=chat');
    expect(list.body.items.map((c: any) => c.id)).toEqual(expect.arrayContaining(caseIds));
    const one = await admin.get(`/api/admin/test-cases/${caseIds[0]}`);
    expect(one.body).toMatchObject({ kind: 'chat', characterId, expected: expect.stringContaining('李白'), config: { temperature: 0.7 } });
    const put = await admin.put(`/api/admin/test-cases/${caseIds[0]}`, { ...chatCase(characterId, '李白-单聊1（改）', '你最喜欢哪首诗？'), expected: '提到《将进酒》' });
    expect(put.body).toMatchObject({ name: '李白-单聊1（改）', expected: '提到《将进酒》' });

    const invalid = await admin.post('/api/admin/test-cases', { ...chatCase(characterId, 'x', 'q'), input: { messages: [{ role: 'assistant', content: '开场' }] } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('validation:input.messages');
    expect((await admin.post('/api/admin/test-cases', { ...chatCase(999_999, 'x', 'q') })).status).toBe(404);
    expect((await admin.post('/api/admin/test-cases', { name: 's', kind: 'structure', input: { section: 'nope', sourceText: 'x' } })).body.error.code).toBe('validation:input.section');
    expect((await admin.post('/api/admin/test-cases', { name: 'g', kind: 'group_chat', input: { messages: [{ role: 'user', content: 'hi' }] } })).body.error.code).toBe('validation:groupId');
    expect((await admin.post('/api/admin/test-cases', { name: 'k', kind: 'poetry', input: {} })).status).toBe(400);
    const extra = await admin.post('/api/admin/test-cases', chatCase(characterId, 'to-delete', 'q'));
    expect((await admin.del(`/api/admin/test-cases/${extra.body.id}`)).status).toBe(204);
    expect((await admin.get(`/api/admin/test-cases/${extra.body.id}`)).status).toBe(404);
  });

  it('runs a prompt version for one run only, judges every case, fails the malformed verdict, and compares two versions', async () => {
    const before = (await admin.get(`/api/admin/prompts/${rulesTemplateId}`)).body;
    const activeId = before.activeVersionId;
    const activeText = before.versions.find((v: any) => v.id === activeId).content;
    // The candidate's replies are 3 tokens long (a mock directive in the rules), so its use is visible.
    const candidate = await admin.post(`/api/admin/prompts/${rulesTemplateId}/versions`, { content: `${activeText}\n13. 回答尽量简短。${mock({ tokens: 3 })}`, note: 'shorter' });
    expect(candidate.status).toBe(201);

    const a = await admin.post('/api/admin/evaluations', { caseIds, note: 'baseline' });
    expect(a.status).toBe(202);
    expect(a.body).toMatchObject({ kind: 'chat', promptVersion: { id: activeId, key: 'chat.rules' }, judgeVersion: { key: 'judge.chat' }, model: 'mock-model' });
    // Progress over SSE until the run ends.
    const res = await fetch(`${t.url}/api/admin/evaluations/${a.body.id}/events`, { headers: { cookie: admin.cookie } });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const frames = [];
    for await (const f of readSse(res)) frames.push(f);
    expect(frames.at(-1)).toMatchObject({ event: 'run', data: { state: 'done', progress: { done: 3, total: 3 } } });

    const reportA = await finished(admin, a.body.id);
    expect(reportA.summary).toMatchObject({ total: 3, judged: 2, passed: 2, errors: 1 });
    const good = reportA.results[0];
    expect(good.output.length).toBeGreaterThan(0);
    // The mock judge answers 0.9 on every dimension: 9/100 after normalising; the eleven CharacterEval dimensions are all there.
    expect(good.score).toBe(9);
    expect(Object.keys(good.verdict.scores).sort()).toEqual(reportA.dimensions.map((d: any) => d.key).sort());
    expect(reportA.dimensions).toHaveLength(11);
    expect(good.verdict).toMatchObject({ passed: true, reasoning: expect.any(String), strengths: expect.any(Array), suggestions: expect.any(Array) });
    expect(good.expected).toBe('提到《将进酒》');
    const bad = reportA.results[2];
    expect(bad).toMatchObject({ status: 'error', score: null, verdict: null });
    expect(bad.error).toContain('llm_bad_output');

    const b = await admin.post('/api/admin/evaluations', { caseIds, promptVersionId: candidate.body.id, note: 'candidate' });
    const reportB = await finished(admin, b.body.id);
    expect(reportB.run.promptVersion.id).toBe(candidate.body.id);
    expect(reportB.results[0].output.split(/\s+|(?=[，。])/).filter(Boolean).length).toBeLessThan(good.output.length);
    // Used for the run only: the active version did not change.
    expect((await admin.get(`/api/admin/prompts/${rulesTemplateId}`)).body.activeVersionId).toBe(activeId);
    // The version list shows each version's test statistics.
    const stats = (await admin.get(`/api/admin/prompts/${rulesTemplateId}`)).body.versions.find((v: any) => v.id === candidate.body.id).stats;
    expect(stats).toMatchObject({ runs: 3, judged: 2, passed: 2 });

    const cmp = await admin.get(`/api/admin/evaluations/compare?a=${a.body.id}&b=${b.body.id}`);
    expect(cmp.status).toBe(200);
    expect(cmp.body.dimensions).toHaveLength(11);
    expect(cmp.body.dimensions[0]).toMatchObject({ key: 'fluency', a: 0.9, b: 0.9, delta: 0 });
    expect(cmp.body.cases).toHaveLength(3);
    expect(cmp.body.cases[2]).toMatchObject({ a: { status: 'error', score: null }, delta: null });
    expect(cmp.body.averageDelta).toBe(0);

    const runs = await admin.get('/api/admin/evaluations');
    expect(runs.body.items.map((r: any) => r.id)).toEqual(expect.arrayContaining([a.body.id, b.body.id]));
    // Nothing was written to the target's conversation.
    expect((await alice.get(`/api/characters/${characterId}/messages`)).body.items).toHaveLength(0);
  });

  it('runs the other kinds: structuring, biography, memory and the moderator', async () => {
    const bob = (await importCard(alice, '杜甫')).id;
    const group = await alice.post('/api/groups', { name: '诗人局', memberIds: [characterId, bob] });
    expect(group.status).toBe(201);
    const cases = [
      { name: 'struct', kind: 'structure', input: { section: 'identity', sourceText: '李白，字太白，号青莲居士，唐代诗人。', personaName: '李白' }, expected: '姓名、职业准确' },
      { name: 'bio', kind: 'biography', characterId, input: {}, expected: '2–4 句' },
      { name: 'stm', kind: 'memory_summarize', input: { personaName: '李白', messages: [{ role: 'user', content: '明天一起去看灯会吧' }, { role: 'assistant', content: '一言为定！' }] }, expected: '记下约定' },
      { name: 'ltm', kind: 'memory_integrate', input: { personaName: '李白', shortTerm: ['用户 | 约定 | 明天看灯会'], longTerm: ['用户 | 喜欢 | 唐诗'] }, expected: '保留约定' },
      { name: 'mod', kind: 'moderator', groupId: group.body.id, input: { messages: [{ role: 'user', content: '杜甫，你怎么看？' }] }, expected: '选杜甫' },
      { name: 'grp', kind: 'group_chat', groupId: group.body.id, input: { speakerId: bob, messages: [{ role: 'user', content: '杜甫，你怎么看？' }] }, expected: '杜甫回应' },
    ];
    for (const c of cases) {
      const created = await admin.post('/api/admin/test-cases', c);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      const run = await admin.post('/api/admin/evaluations', { caseIds: [created.body.id] });
      expect(run.status, JSON.stringify(run.body)).toBe(202);
      const report = await finished(admin, run.body.id);
      expect(report.results[0], c.kind).toMatchObject({ status: 'passed', score: 9 });
      expect(report.run.judgeVersion.key).toBe(`judge.${c.kind}`);
    }
    // One kind per run.
    const mixed = await admin.post('/api/admin/evaluations', { caseIds: [caseIds[0], (await admin.get('/api/admin/test-cases?kind=structure')).body.items[0].id] });
    expect(mixed.body.error.code).toBe('validation:caseIds');
  });

  it('refuses a version of another prompt, an unknown model and unknown cases', async () => {
    const judgeVersion = (await admin.post('/api/admin/evaluations', { caseIds: [caseIds[0]] })).body.judgeVersion.id;
    expect((await admin.post('/api/admin/evaluations', { caseIds: [caseIds[0]], promptVersionId: judgeVersion })).body.error.code).toBe('validation:promptVersionId');
    expect((await admin.post('/api/admin/evaluations', { caseIds: [caseIds[0]], model: 'gpt-unknown' })).body.error.code).toBe('validation:model');
    expect((await admin.post('/api/admin/evaluations', { caseIds: [999_999] })).status).toBe(404);
    expect((await admin.post('/api/admin/evaluations', { caseIds: [] })).status).toBe(400);
    expect((await admin.get('/api/admin/evaluations/999999')).status).toBe(404);
  });

  it('cancels a running run: cases not yet run are marked cancelled', async () => {
    const held = await admin.post('/api/admin/test-cases', chatCase(characterId, 'held', `慢慢说${mock({ gate: `eval-cancel-${dialect}` })}`));
    const run = await admin.post('/api/admin/evaluations', { caseIds: [held.body.id, caseIds[1]] });
    await waitFor(async () => (await admin.get(`/api/admin/evaluations/${run.body.id}`)).body.run.state === 'running');
    expect((await admin.post(`/api/admin/evaluations/${run.body.id}/cancel`)).status).toBe(204);
    llm.openGate(`eval-cancel-${dialect}`);
    const report = await finished(admin, run.body.id);
    expect(report.run.state).toBe('cancelled');
    expect(report.results.map((r: any) => r.status)).toEqual(['cancelled', 'cancelled']);
    expect(report.summary.averageScore).toBeNull();
    // Cases a run never reached are not test runs of the version.
    const rules = (await admin.get(`/api/admin/prompts/${rulesTemplateId}`)).body;
    const before = rules.versions.find((v: any) => v.id === report.run.promptVersion.id).stats.runs;
    const again = await admin.post('/api/admin/evaluations', { caseIds: [caseIds[1]], promptVersionId: report.run.promptVersion.id });
    await finished(admin, again.body.id);
    expect((await admin.get(`/api/admin/prompts/${rulesTemplateId}`)).body.versions.find((v: any) => v.id === report.run.promptVersion.id).stats.runs).toBe(before + 1);
  });

  it('retries a failed run from the operations page', async () => {
    const run = await admin.post('/api/admin/evaluations', { caseIds: [caseIds[1]] });
    await finished(admin, run.body.id);
    // As if its process had died mid-run and the record was marked failed.
    await t.ctx.database.db.updateTable('jobs').set({ state: 'failed', error_code: 'internal', error_message: 'worker lost' }).where('id', '=', run.body.jobId).execute();
    const ops = await admin.get('/api/admin/operations');
    expect(ops.body.failedJobs.find((j: any) => j.id === run.body.jobId)).toMatchObject({ kind: 'evaluation', retryable: true });
    const retry = await admin.post(`/api/admin/failed-jobs/${run.body.jobId}/retry`);
    expect(retry.status).toBe(202);
    const report = await finished(admin, run.body.id);
    expect(report.run.state).toBe('done');
    expect(report.results[0]).toMatchObject({ status: 'passed', score: 9 });
    expect((await admin.post(`/api/admin/failed-jobs/${run.body.jobId}/retry`)).status).toBe(409);
    expect((await admin.post('/api/admin/failed-jobs/no-such-job/retry')).status).toBe(404);
  });

  it('keeps every evaluation route from anonymous callers (401) and users (403)', async () => {
    const anon = t.client();
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/admin/evaluation-kinds'],
      ['GET', '/api/admin/test-cases'],
      ['POST', '/api/admin/test-cases', chatCase(characterId, 'x', 'q')],
      ['GET', `/api/admin/test-cases/${caseIds[0]}`],
      ['PUT', `/api/admin/test-cases/${caseIds[0]}`, chatCase(characterId, 'x', 'q')],
      ['DELETE', `/api/admin/test-cases/${caseIds[0]}`],
      ['GET', '/api/admin/evaluations'],
      ['POST', '/api/admin/evaluations', { caseIds }],
      ['GET', '/api/admin/evaluations/1'],
      ['GET', '/api/admin/evaluations/1/events'],
      ['POST', '/api/admin/evaluations/1/cancel'],
      ['GET', '/api/admin/evaluations/compare?a=1&b=2'],
      ['POST', '/api/admin/failed-jobs/x/retry'],
    ];
    for (const [method, path, body] of routes) {
      expect((await anon.request(method, path, body)).status, `${method} ${path}`).toBe(401);
      expect((await alice.request(method, path, body)).status, `${method} ${path}`).toBe(403);
    }
    expect((await admin.get('/api/admin/evaluation-kinds')).body.items.map((k: any) => k.kind)).toEqual(['chat', 'group_chat', 'structure', 'biography', 'memory_summarize', 'memory_integrate', 'moderator']);
  });
});

describe('evaluations with the offline model', () => {
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
  });

  it('runs the cases but does not pretend to judge: "not judged", no score', async () => {
    t = await startTestApp('sqlite', { FASTNPC_LLM_PROVIDER: 'offline' }, { offlineChunkDelayMs: 0 });
    const admin = t.client();
    await admin.register('offline_admin');
    const characterId = (await importCard(admin, '李白')).id;
    const c = await admin.post('/api/admin/test-cases', chatCase(characterId, 'offline', '你好'));
    const run = await admin.post('/api/admin/evaluations', { caseIds: [c.body.id] });
    expect(run.status).toBe(202);
    const report = await finished(admin, run.body.id);
    expect(report.summary).toMatchObject({ total: 1, judged: 0, notJudged: 1, averageScore: null });
    expect(report.results[0]).toMatchObject({ status: 'not_judged', score: null, verdict: null });
    expect(report.results[0].output.length).toBeGreaterThan(0);
  });
});

describe.runIf(PG_URL && REDIS_URL)('evaluations in scaled mode (PostgreSQL + Redis, BullMQ)', () => {
  let llm: MockLlm;
  let t: TestApp;
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  it('runs on the BullMQ queue, streams its progress and retries a failed run', async () => {
    llm = await startMockLlm({ ttftMs: 0, tokens: 6, tps: 100_000 });
    t = await startTestApp('postgres', { ...mockLlmEnv(llm), REDIS_URL: REDIS_URL!, FASTNPC_REDIS_PREFIX: `tev_${randomBytes(4).toString('hex')}` });
    const admin = t.client();
    await admin.register('scaled_eval_admin');
    const characterId = (await importCard(admin, '李白')).id;
    const c = await admin.post('/api/admin/test-cases', chatCase(characterId, 'scaled', '你好'));
    const run = await admin.post('/api/admin/evaluations', { caseIds: [c.body.id] });
    expect(run.status).toBe(202);
    const res = await fetch(`${t.url}/api/admin/evaluations/${run.body.id}/events`, { headers: { cookie: admin.cookie } });
    const frames = [];
    for await (const f of readSse(res)) frames.push(f);
    expect(frames.at(-1)).toMatchObject({ event: 'run', data: { state: 'done' } });
    expect((await finished(admin, run.body.id)).results[0]).toMatchObject({ status: 'passed', score: 9 });

    await t.ctx.database.db.updateTable('jobs').set({ state: 'failed', error_code: 'internal', error_message: 'worker lost' }).where('id', '=', run.body.jobId).execute();
    expect((await admin.post(`/api/admin/failed-jobs/${run.body.jobId}/retry`)).status).toBe(202);
    const again = await finished(admin, run.body.id);
    expect(again.run.state).toBe('done');
    expect(again.results[0]).toMatchObject({ status: 'passed', score: 9 });
  });
});
