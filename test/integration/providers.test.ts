/**
 * Providers and models in the admin area (issue 18): CRUD and the authorization matrix, keys
 * encrypted at rest and never in a response or a log line, test connection (ok, 401, refused,
 * timeout), a chat turn through the character's own model, per-purpose defaults, a down or
 * disabled provider named in the error, users' own keys, and (PostgreSQL + Redis) a change made
 * through one process used by another at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { startMockLlm, type MockLlm } from '../../tools/mock-llm.js';
import { DIALECTS, PG_URL, REDIS_URL, createPgDatabase } from '../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../support/app.js';
import { collectSse, postSse } from '../support/sse.js';
import { importCard } from '../support/characters.js';
import { freePort } from '../../bench/lib.js';
import { waitFor } from '../support/wait.js';

const GOOD_KEY = `sk-good-${randomBytes(8).toString('hex')}`;
const ENV = { FASTNPC_LLM_MAX_RETRIES: '0', FASTNPC_LLM_FIRST_TOKEN_TIMEOUT_MS: '5000', FASTNPC_LLM_BREAKER_MIN_CALLS: '100000' };

const providerBody = (over: Record<string, unknown> = {}) => ({
  name: `p_${randomBytes(3).toString('hex')}`,
  kind: 'custom',
  baseUrl: 'http://127.0.0.1:1/v1',
  connectTimeoutMs: 2000,
  timeoutMs: 10_000,
  concurrency: 8,
  enabled: true,
  userKeys: false,
  ...over,
});

describe.each(DIALECTS)('providers and models on %s', (dialect) => {
  let keyed: MockLlm;
  let t: TestApp;
  let admin: TestClient;
  let alice: TestClient;
  let bob: TestClient;
  let logs = '';

  beforeAll(async () => {
    // A provider that checks its key, as a real one does.
    keyed = await startMockLlm({ port: 0, ttftMs: 0, tokens: 4, tps: 5000, apiKey: GOOD_KEY, models: ['mock-model', 'mock-model-large'] });
    const stream = new Writable({
      write(chunk, _enc, cb) {
        logs += chunk.toString();
        cb();
      },
    });
    // The environment configures no LLM: the built-in offline model, as a newcomer's `npm start`.
    t = await startTestApp(dialect, ENV, { logger: { level: 'trace', stream } as never, offlineChunkDelayMs: 0 });
    admin = t.client();
    alice = t.client();
    bob = t.client();
    expect((await admin.register()).isAdmin).toBe(true);
    await alice.register();
    await bob.register();
  });
  afterAll(async () => {
    await t?.close();
    await keyed?.close();
  });

  const connect = async (over: Record<string, unknown> = {}) => {
    const r = await admin.post('/api/admin/providers', providerBody({ baseUrl: keyed.url, apiKey: GOOD_KEY, ...over }));
    expect(r.status, r.text).toBe(201);
    return r.body as { id: number; name: string };
  };
  const addModel = async (providerId: number, name: string, extra: Record<string, unknown> = {}) => {
    const r = await admin.post(`/api/admin/providers/${providerId}/models`, { name, ...extra });
    expect(r.status, r.text).toBe(201);
    return r.body as { id: number; key: string };
  };
  const chat = async (c: TestClient, characterId: number, content = '你好') => collectSse(await postSse(`${t.url}/api/characters/${characterId}/messages`, c.cookie, { content }));

  it('lets only admins manage providers: 401 signed out, 403 for users, on every admin route', async () => {
    const p = await connect();
    const m = await addModel(p.id, 'mock-model');
    const anon = t.client();
    const routes: [string, string, unknown?][] = [
      ['GET', '/api/admin/providers'],
      ['POST', '/api/admin/providers', providerBody()],
      ['GET', `/api/admin/providers/${p.id}`],
      ['PUT', `/api/admin/providers/${p.id}`, providerBody()],
      ['DELETE', `/api/admin/providers/${p.id}`],
      ['POST', `/api/admin/providers/${p.id}/test`, {}],
      ['POST', `/api/admin/providers/${p.id}/models`, { name: 'x' }],
      ['PATCH', `/api/admin/models/${m.id}`, { offered: false }],
      ['DELETE', `/api/admin/models/${m.id}`],
      ['GET', '/api/admin/llm-defaults'],
      ['PUT', '/api/admin/llm-defaults', { chat: null }],
    ];
    for (const [method, path, body] of routes) {
      expect((await anon.request(method, path, body)).status, `${method} ${path}`).toBe(401);
      expect((await alice.request(method, path, body)).status, `${method} ${path}`).toBe(403);
    }
    expect((await admin.get(`/api/admin/providers/${p.id}`)).body.models).toHaveLength(1);
    expect((await anon.get('/api/models')).status).toBe(401);
  });

  it('creates, reads, updates and deletes a provider; the key is encrypted at rest and only a hint comes back', async () => {
    const created = await admin.post('/api/admin/providers', providerBody({ name: 'DeepSeek 测试', kind: 'deepseek', baseUrl: `${keyed.url}/`, apiKey: GOOD_KEY, headers: { 'X-Team': 'secret-team-token' } }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'DeepSeek 测试', kind: 'deepseek', baseUrl: keyed.url, readOnly: false, hasKey: true, apiKeyHint: `••••${GOOD_KEY.slice(-4)}`, headerNames: ['X-Team'] });
    expect(created.text).not.toContain(GOOD_KEY);
    expect(created.text).not.toContain('secret-team-token');
    const id = created.body.id;

    const row = await t.ctx.database.db.selectFrom('llm_providers').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.api_key_enc).toMatch(/^v1\./);
    expect(row.api_key_enc).not.toContain(GOOD_KEY);
    expect(Buffer.from(row.api_key_enc!.split('.')[3], 'base64url').toString('latin1')).not.toContain(GOOD_KEY.slice(0, 12));
    expect(row.headers_enc).not.toContain('secret-team-token');

    const list = await admin.get('/api/admin/providers');
    expect(list.status).toBe(200);
    expect(list.body.items[0]).toMatchObject({ id: 'env', readOnly: true, name: 'offline' });
    // Once a model is connected, the web app stops saying replies come from the offline model.
    expect((await t.client().get('/api/meta')).body.llmProvider).toBe('openai-compatible');
    expect(list.body.items.some((p: any) => p.id === id)).toBe(true);
    expect(list.body.presets.map((p: any) => p.kind)).toEqual(expect.arrayContaining(['openrouter', 'deepseek', 'zhipu', 'dashscope', 'siliconflow', 'moonshot', 'ollama', 'vllm', 'llamacpp']));
    expect(list.text).not.toContain(GOOD_KEY);

    // Omitting the key keeps it; null removes it.
    const kept = await admin.put(`/api/admin/providers/${id}`, providerBody({ name: 'DeepSeek 测试', kind: 'deepseek', baseUrl: keyed.url, timeoutMs: 20_000 }));
    expect(kept.body).toMatchObject({ hasKey: true, timeoutMs: 20_000, headerNames: ['X-Team'] });
    const cleared = await admin.put(`/api/admin/providers/${id}`, providerBody({ name: 'DeepSeek 测试', kind: 'deepseek', baseUrl: keyed.url, apiKey: null, headers: {} }));
    expect(cleared.body).toMatchObject({ hasKey: false, apiKeyHint: null, headerNames: [] });

    expect((await admin.del(`/api/admin/providers/${id}`)).status).toBe(204);
    expect((await admin.get(`/api/admin/providers/${id}`)).status).toBe(404);
    expect((await admin.del(`/api/admin/providers/${id}`)).status).toBe(404);
    expect(logs).not.toContain(GOOD_KEY);
  });

  it('answers bad input with 400/409, never 5xx', async () => {
    const bad = async (body: Record<string, unknown>, status = 400) => {
      const r = await admin.post('/api/admin/providers', providerBody(body));
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error.code).toBeTruthy();
    };
    await bad({ baseUrl: 'ftp://example.com/v1' });
    await bad({ baseUrl: 'file:///etc/passwd' });
    await bad({ baseUrl: 'not a url' });
    await bad({ baseUrl: 'http://user:pw@example.com/v1' });
    await bad({ kind: 'nope' });
    await bad({ concurrency: 0 });
    await bad({ headers: { 'Bad Header': 'x' } });
    await bad({ headers: { 'X-A': 'a\r\nb' } });
    await bad({ apiKey: 'has space' });
    const p = await connect();
    await addModel(p.id, 'm-1');
    expect((await admin.post(`/api/admin/providers/${p.id}/models`, { name: 'm-1' })).status).toBe(409);
    expect((await admin.post('/api/admin/providers/999999/models', { name: 'm-1' })).status).toBe(404);
    expect((await admin.patch('/api/admin/models/999999', { offered: false })).status).toBe(404);
    expect((await admin.put('/api/admin/llm-defaults', { chat: 'p999999:nothing' })).status).toBe(400);
    expect((await admin.put('/api/admin/llm-defaults', { judge: 'x' })).status).toBe(400);
  });

  it('tests a connection: models and a tiny completion with latency, or the exact error (401, refused, timeout)', async () => {
    const good = await connect();
    const ok = await admin.post(`/api/admin/providers/${good.id}/test`, {});
    expect(ok.status).toBe(200);
    expect(ok.body.ok).toBe(true);
    expect(ok.body.models).toMatchObject({ ok: true, ids: ['mock-model', 'mock-model-large'] });
    expect(ok.body.completion).toMatchObject({ ok: true, model: 'mock-model' });
    expect(ok.body.completion.latencyMs).toBeGreaterThanOrEqual(0);

    const wrong = await connect({ apiKey: 'sk-wrong-key-000000' });
    const denied = (await admin.post(`/api/admin/providers/${wrong.id}/test`, { model: 'mock-model' })).body;
    expect(denied.ok).toBe(false);
    expect(denied.models.error).toMatchObject({ kind: 'auth', status: 401 });
    expect(denied.completion.error).toMatchObject({ kind: 'auth', status: 401 });

    const closed = await connect({ baseUrl: `http://127.0.0.1:${await freePort()}/v1` });
    const refused = (await admin.post(`/api/admin/providers/${closed.id}/test`, { model: 'm' })).body;
    expect(refused.models.error.kind).toBe('refused');
    expect(refused.completion.error.kind).toBe('refused');

    const hanging = await connect({ timeoutMs: 1000, headers: { 'x-mock': JSON.stringify({ fail: 'hang' }) } });
    const slow = (await admin.post(`/api/admin/providers/${hanging.id}/test`, { model: 'mock-model' })).body;
    expect(slow.models.ok).toBe(true);
    expect(slow.completion.error.kind).toBe('timeout');
    expect(logs).not.toContain(GOOD_KEY);
  });

  it("answers a chat turn with the character's own model, temperature and reply length", async () => {
    const p = await connect({ name: `chat-${randomBytes(3).toString('hex')}` });
    const large = await addModel(p.id, 'mock-model-large', { displayName: 'Mock Large', contextLength: 32_000 });
    const choices = (await alice.get('/api/models')).body;
    expect(choices.items).toEqual(expect.arrayContaining([{ key: large.key, displayName: 'Mock Large', provider: p.name, contextLength: 32_000 }, expect.objectContaining({ key: 'offline' })]));

    const ch = await importCard(alice, '李白');
    expect((await alice.get(`/api/characters/${ch.id}/llm`)).body).toEqual({ model: null, temperature: null, maxTokens: null, contextTokens: null });
    // Others see nothing; bounds hold.
    expect((await bob.get(`/api/characters/${ch.id}/llm`)).status).toBe(404);
    expect((await bob.put(`/api/characters/${ch.id}/llm`, { model: null, temperature: null, maxTokens: null, contextTokens: null })).status).toBe(404);
    expect((await alice.put(`/api/characters/${ch.id}/llm`, { model: null, temperature: 3, maxTokens: null, contextTokens: null })).status).toBe(400);
    expect((await alice.put(`/api/characters/${ch.id}/llm`, { model: 'p999999:x', temperature: null, maxTokens: null, contextTokens: null })).status).toBe(400);
    const small = await addModel(p.id, 'mock-model', { contextLength: 1000 });
    expect((await alice.put(`/api/characters/${ch.id}/llm`, { model: small.key, temperature: null, maxTokens: null, contextTokens: 1500 })).status).toBe(400);
    const put = await alice.put(`/api/characters/${ch.id}/llm`, { model: large.key, temperature: 0.3, maxTokens: 64, contextTokens: 1500 });
    expect(put.status, put.text).toBe(200);

    const before = keyed.stats().models['mock-model-large'] ?? 0;
    const frames = await chat(alice, ch.id);
    expect(frames.at(-1)?.event, JSON.stringify(frames.at(-1))).toBe('done');
    expect(keyed.stats().models['mock-model-large']).toBe(before + 1);
    const record = await waitFor(async () => (await t.ctx.database.db.selectFrom('message_inspections').select('record_json').where('message_id', '=', frames.at(-1)!.data.messageId).executeTakeFirst())?.record_json);
    expect(JSON.parse(record)).toMatchObject({ model: large.key, params: { temperature: 0.3, maxTokens: 64 } });

    // Back to the default: the offline model answers, the provider sees nothing.
    await alice.put(`/api/characters/${ch.id}/llm`, { model: null, temperature: null, maxTokens: null, contextTokens: null });
    expect((await chat(alice, ch.id)).at(-1)?.event).toBe('done');
    expect(keyed.stats().models['mock-model-large']).toBe(before + 1);
    expect(logs).not.toContain(GOOD_KEY);
  });

  it("answers a group with the group's model, else each member's own", async () => {
    const p = await connect({ name: `group-${randomBytes(3).toString('hex')}` });
    const large = await addModel(p.id, 'mock-model-large');
    const small = await addModel(p.id, 'mock-model');
    const a = await importCard(alice, '关羽');
    const b = await importCard(alice, '张飞');
    const g = (await alice.post('/api/groups', { name: '桃园', memberIds: [a.id, b.id], mode: 'everyone_once' })).body;
    expect((await bob.get(`/api/groups/${g.id}/llm`)).status).toBe(404);
    const none = { model: null, temperature: null, maxTokens: null, contextTokens: null };
    await alice.put(`/api/characters/${a.id}/llm`, { ...none, model: small.key });
    const count = (m: string) => keyed.stats().models[m] ?? 0;
    const turn = async () => collectSse(await postSse(`${t.url}/api/groups/${g.id}/messages`, alice.cookie, { content: '二位好' }));

    // No group model: 关羽 answers with his own, 张飞 with the default (offline).
    let [beforeSmall, beforeLarge] = [count('mock-model'), count('mock-model-large')];
    expect((await turn()).at(-1)?.event).toBe('done');
    expect([count('mock-model') - beforeSmall, count('mock-model-large') - beforeLarge]).toEqual([1, 0]);

    // The group's model wins for everyone.
    expect((await alice.put(`/api/groups/${g.id}/llm`, { ...none, model: large.key })).status).toBe(200);
    [beforeSmall, beforeLarge] = [count('mock-model'), count('mock-model-large')];
    expect((await turn()).at(-1)?.event).toBe('done');
    expect([count('mock-model') - beforeSmall, count('mock-model-large') - beforeLarge]).toEqual([0, 2]);
  });

  it('uses per-purpose defaults and the user default; an unoffered model cannot be chosen', async () => {
    const p = await connect({ name: `def-${randomBytes(3).toString('hex')}` });
    const m = await addModel(p.id, 'mock-model');
    const hidden = await addModel(p.id, 'mock-model-large', { offered: false });
    const put = await admin.put('/api/admin/llm-defaults', { chat: m.key, judge: undefined });
    expect(put.status, put.text).toBe(200);
    expect(put.body.items.find((d: any) => d.purpose === 'chat')).toEqual({ purpose: 'chat', model: m.key, effective: m.key });
    expect((await alice.get('/api/models')).body.chatDefault).toBe(m.key);

    const ch = await importCard(bob, '杜甫');
    const before = keyed.stats().models['mock-model'] ?? 0;
    expect((await chat(bob, ch.id)).at(-1)?.event).toBe('done');
    expect(keyed.stats().models['mock-model']).toBe(before + 1);

    const settings = (await bob.get('/api/me/settings')).body;
    expect((await bob.put('/api/me/settings', { ...settings, chatModel: hidden.key })).status).toBe(400);
    expect((await bob.put('/api/me/settings', { ...settings, chatModel: 'offline' })).status).toBe(200);
    expect((await chat(bob, ch.id)).at(-1)?.event).toBe('done');
    expect(keyed.stats().models['mock-model']).toBe(before + 1);

    // Deleting the default model returns the purpose to the environment's.
    expect((await admin.del(`/api/admin/models/${m.id}`)).status).toBe(204);
    expect((await admin.get('/api/admin/llm-defaults')).body.items.find((d: any) => d.purpose === 'chat')).toEqual({ purpose: 'chat', model: null, effective: 'offline' });
  });

  it('names a down provider and suggests the default; a disabled one is refused before anything is stored', async () => {
    const down = await connect({ name: 'Down Provider', baseUrl: `http://127.0.0.1:${await freePort()}/v1` });
    const m = await addModel(down.id, 'gone-model');
    const ch = await importCard(alice, '王维');
    await alice.put(`/api/characters/${ch.id}/llm`, { model: m.key, temperature: null, maxTokens: null, contextTokens: null });
    const frames = await chat(alice, ch.id);
    const last = frames.at(-1)!;
    expect(last.event).toBe('error');
    expect(last.data.message).toContain('"Down Provider"');
    expect(last.data.message).toContain('default (offline)');

    await admin.put(`/api/admin/providers/${down.id}`, providerBody({ name: 'Down Provider', baseUrl: `http://127.0.0.1:1/v1`, enabled: false }));
    const before = (await alice.get(`/api/characters/${ch.id}/messages`)).body.items.length;
    const refused = await postSse(`${t.url}/api/characters/${ch.id}/messages`, alice.cookie, { content: '在吗' });
    expect(refused.status).toBe(503);
    const body = (await refused.json()) as any;
    expect(body.error.message).toContain('"Down Provider" is disabled');
    expect(body.error.message).toContain('default (offline)');
    expect((await alice.get(`/api/characters/${ch.id}/messages`)).body.items.length).toBe(before);
    // A disabled provider's models are not offered.
    expect((await alice.get('/api/models')).body.items.some((c: any) => c.key === m.key)).toBe(false);
  });

  it("uses a user's own key only for that user's calls, when the provider allows it", async () => {
    const p = await connect({ name: `byok-${randomBytes(3).toString('hex')}`, apiKey: null, userKeys: true });
    const m = await addModel(p.id, 'mock-model-large');
    const mine = (await alice.get('/api/me/provider-keys')).body.items;
    expect(mine).toEqual(expect.arrayContaining([{ providerId: p.id, name: p.name, hasKey: false, apiKeyHint: null }]));
    expect((await alice.put('/api/me/provider-keys', { providerId: p.id, apiKey: GOOD_KEY })).status).toBe(204);
    expect((await alice.get('/api/me/provider-keys')).text).not.toContain(GOOD_KEY);
    const row = await t.ctx.database.db.selectFrom('llm_user_keys').selectAll().where('provider_id', '=', p.id).executeTakeFirstOrThrow();
    expect(row.api_key_enc).not.toContain(GOOD_KEY);

    const a = await importCard(alice, '白居易');
    const b = await importCard(bob, '白居易');
    for (const [c, ch] of [[alice, a], [bob, b]] as const) await c.put(`/api/characters/${ch.id}/llm`, { model: m.key, temperature: null, maxTokens: null, contextTokens: null });
    expect((await chat(alice, a.id)).at(-1)?.event).toBe('done');
    const bobs = (await chat(bob, b.id)).at(-1)!;
    expect(bobs.event).toBe('error');
    expect(bobs.data.message).toContain('401');

    // A provider that does not allow own keys: 404.
    const closed = await connect({ name: `nobyok-${randomBytes(3).toString('hex')}` });
    expect((await alice.put('/api/me/provider-keys', { providerId: closed.id, apiKey: GOOD_KEY })).status).toBe(404);
    expect((await alice.put('/api/me/provider-keys', { providerId: p.id, apiKey: null })).status).toBe(204);
    expect((await alice.put('/api/me/provider-keys', { providerId: p.id, apiKey: null })).status).toBe(404);
    expect(logs).not.toContain(GOOD_KEY);
  });

  it('prices usage from the models table', async () => {
    const p = await connect({ name: `price-${randomBytes(3).toString('hex')}` });
    const m = await addModel(p.id, 'mock-model', { inputPerMillion: 1, outputPerMillion: 2 });
    const ch = await importCard(bob, '孟浩然');
    await bob.put(`/api/characters/${ch.id}/llm`, { model: m.key, temperature: null, maxTokens: null, contextTokens: null });
    expect((await chat(bob, ch.id)).at(-1)?.event).toBe('done');
    const row = await waitFor(async () => (await admin.get('/api/admin/usage')).body.byModel.find((r: any) => r.model === m.key));
    expect(row.cost).toBeGreaterThan(0);
  });
});

describe.runIf(PG_URL && REDIS_URL)('providers across processes (PostgreSQL + Redis)', () => {
  let keyed: MockLlm;
  let pgDb: Awaited<ReturnType<typeof createPgDatabase>>;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    keyed = await startMockLlm({ port: 0, ttftMs: 0, tokens: 3, tps: 5000, apiKey: GOOD_KEY });
    pgDb = await createPgDatabase();
    const env = { ...ENV, DATABASE_URL: pgDb.url, REDIS_URL: REDIS_URL!, FASTNPC_REDIS_PREFIX: `prov_${randomBytes(4).toString('hex')}` };
    // Both apps share one database and one Redis namespace: two processes of one deployment.
    a = await startTestApp('sqlite', env, { offlineChunkDelayMs: 0 });
    b = await startTestApp('sqlite', env, { offlineChunkDelayMs: 0 });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await pgDb?.drop();
    await keyed?.close();
  });

  it('a provider, model and setting made through one process are used by the other at once', async () => {
    const onA = a.client();
    await onA.register();
    const onB = b.client();
    onB.cookie = onA.cookie;
    const p = (await onA.post('/api/admin/providers', providerBody({ baseUrl: keyed.url, apiKey: GOOD_KEY }))).body;
    const m = (await onA.post(`/api/admin/providers/${p.id}/models`, { name: 'mock-model' })).body;
    const ch = await importCard(onA, '李白');
    const started = Date.now();
    // Process B validates the key against its own registry snapshot: it must know the model already.
    await waitFor(async () => (await onB.get('/api/models')).body.items?.some((c: any) => c.key === m.key), 1000);
    expect((await onB.put(`/api/characters/${ch.id}/llm`, { model: m.key, temperature: null, maxTokens: null, contextTokens: null })).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    const frames = await collectSse(await postSse(`${b.url}/api/characters/${ch.id}/messages`, onB.cookie, { content: '你好' }));
    expect(frames.at(-1)?.event).toBe('done');
    expect(keyed.stats().models['mock-model']).toBe(1);

    // Disabling it through A is refused by B at once.
    await onA.put(`/api/admin/providers/${p.id}`, providerBody({ name: p.name, baseUrl: keyed.url, enabled: false }));
    await waitFor(async () => !(await onB.get('/api/models')).body.items.some((c: any) => c.key === m.key), 1000);
    const refused = await postSse(`${b.url}/api/characters/${ch.id}/messages`, onB.cookie, { content: '在吗' });
    expect(refused.status).toBe(503);
  });
});
