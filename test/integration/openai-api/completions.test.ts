/**
 * The OpenAI-compatible API with the official `openai` SDK as the client, over real HTTP against the
 * real app (SQLite, and PostgreSQL when configured) and the mock LLM.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../../tools/mock-llm.js';
import { DIALECTS } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { importCard } from '../../support/characters.js';
import { mock, mockJson, mockLlmEnv } from '../../support/mock-llm.js';
import { waitFor } from '../../support/wait.js';
import { MEMORY_JOB } from '../../../src/features/memory/service.js';
import * as memoryStore from '../../../src/features/memory/store.js';
import { LIMITS } from '../../../src/shared/limits.js';

describe.each(DIALECTS)('OpenAI-compatible API on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  let alice: TestClient;
  let bob: TestClient;
  let key: string;
  let sdk: OpenAI;
  let libai: { id: number; name: string };

  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 5, tokens: 12, tps: 2000 });
    t = await startTestApp(dialect, mockLlmEnv(llm));
    alice = t.client();
    bob = t.client();
    await alice.register();
    await bob.register();
    libai = await importCard(alice, '李白');
    key = (await alice.post('/api/me/api-keys', { name: 'laptop' })).body.token;
    sdk = client(key);
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  const client = (apiKey: string) => new OpenAI({ baseURL: `${t.url}/v1`, apiKey, maxRetries: 0 });
  const messagesOf = async (c: TestClient, id: number) => (await c.get(`/api/characters/${id}/messages?limit=100`)).body.items.reverse();
  const ask = (content: string, extra: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}, api = sdk) =>
    api.chat.completions.create({ model: `character/${libai.id}`, messages: [{ role: 'user', content }], ...extra });
  const failure = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      return err as InstanceType<typeof OpenAI.APIError>;
    }
    throw new Error('expected the call to fail');
  };

  it('creates, lists, renames and revokes keys; the key itself is shown once and stored hashed', async () => {
    const c = t.client();
    await c.register();
    const created = await c.post('/api/me/api-keys', { name: 'phone', expiresInDays: 30 });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^fnpc_[A-Za-z0-9_-]{43}$/);
    expect(created.body.key).toMatchObject({ name: 'phone', prefix: created.body.token.slice(0, 13), scope: null, lastUsedAt: null });
    expect(created.body.key.expiresAt).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const list = (await c.get('/api/me/api-keys')).body.items;
    expect(list).toHaveLength(1);
    expect(JSON.stringify(list)).not.toContain(created.body.token);
    const row = await t.ctx.database.db.selectFrom('api_keys').selectAll().where('id', '=', created.body.key.id).executeTakeFirstOrThrow();
    expect(row.token_hash).not.toContain(created.body.token.slice(5));
    expect((await c.patch(`/api/me/api-keys/${created.body.key.id}`, { name: 'tablet' })).body.name).toBe('tablet');
    // Someone else's key is not there for them.
    expect((await bob.del(`/api/me/api-keys/${created.body.key.id}`)).status).toBe(404);
    expect((await bob.patch(`/api/me/api-keys/${created.body.key.id}`, { name: 'x' })).status).toBe(404);
    expect((await c.post('/api/me/api-keys', { name: ' ' })).status).toBe(400);
    expect((await c.post('/api/me/api-keys', { name: 'k', characterIds: [libai.id] })).status).toBe(404);

    // Used once: last-used is recorded.
    await client(created.body.token).models.list();
    await waitFor(async () => (await c.get('/api/me/api-keys')).body.items[0].lastUsedAt !== null);
    expect((await c.del(`/api/me/api-keys/${created.body.key.id}`)).status).toBe(204);
    const err = await failure(client(created.body.token).models.list());
    expect(err.status).toBe(401);
    expect(err.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
  });

  it('refuses an expired key (401) and a disabled account\'s key (403)', async () => {
    const c = t.client();
    const user = await c.register();
    const expiring = (await c.post('/api/me/api-keys', { name: 'old', expiresInDays: 1 })).body;
    await t.ctx.database.db.updateTable('api_keys').set({ expires_at: Date.now() - 1000 }).where('id', '=', expiring.key.id).execute();
    expect((await failure(client(expiring.token).models.list())).status).toBe(401);
    const fresh = (await c.post('/api/me/api-keys', { name: 'new' })).body.token;
    expect((await client(fresh).models.list()).data).toEqual([]); // now cached as working
    expect((await alice.put(`/api/admin/users/${user.id}/disabled`, { disabled: true })).status).toBe(200);
    const err = await failure(client(fresh).models.list());
    expect(err.status).toBe(403);
    expect(err.error).toMatchObject({ type: 'permission_error', code: 'forbidden:disabled' });
  });

  it('a deleted account\'s keys stop at once', async () => {
    const c = t.client();
    await c.register(undefined, 'correct horse battery');
    const token = (await c.post('/api/me/api-keys', { name: 'gone' })).body.token;
    expect((await client(token).models.list()).data).toEqual([]);
    expect((await c.del('/api/me', { password: 'correct horse battery' })).status).toBe(204);
    expect((await failure(client(token).models.list())).status).toBe(401);
  });

  it('takes keys only on /v1 and cookies never there', async () => {
    expect((await t.client().get('/api/characters', { authorization: `Bearer ${key}` })).status).toBe(401);
    const viaCookie = await alice.get('/v1/models');
    expect(viaCookie.status).toBe(401);
    expect(viaCookie.body.error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
    expect((await t.client().get('/v1/models', { authorization: 'Bearer fnpc_not-a-key' })).status).toBe(401);
    expect((await t.client().get('/v1/nothing', { authorization: `Bearer ${key}` })).body.error.code).toBe('not_found:route');
    // Browser apps: the preflight needs no key, and answers carry an open CORS header (a key is not ambient authority).
    const preflight = await t.client().request('OPTIONS', '/v1/chat/completions', undefined, { origin: 'https://chat.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await t.client().get('/v1/models', { authorization: `Bearer ${key}` })).headers.get('access-control-allow-origin')).toBe('*');
  });

  it('lists the characters and groups of the key\'s user as models, and takes a name as the model', async () => {
    const other = await importCard(alice, '杜甫');
    const group = (await alice.post('/api/groups', { name: '诗社', memberIds: [libai.id, other.id] })).body;
    await importCard(bob, '苏轼');
    const models = [];
    for await (const m of sdk.models.list()) models.push(m);
    expect(models.map((m) => m.id)).toEqual([`character/${libai.id}`, `character/${other.id}`, `group/${group.id}`]);
    expect(models[0]).toMatchObject({ object: 'model', name: '李白', owned_by: expect.any(String) });
    expect((await sdk.models.retrieve('李白')).id).toBe(`character/${libai.id}`);
    expect((await failure(sdk.models.retrieve('苏轼'))).status).toBe(404);
  });

  it('streams a reply in OpenAI chunks, with usage and [DONE]; stores both messages', async () => {
    const stream = await sdk.chat.completions.create({ model: '李白', messages: [{ role: 'user', content: `你好 ${mock({ numbered: true, tokens: 5 })}` }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('t1 t2 t3 t4 t5 ');
    expect(chunks[0]).toMatchObject({ object: 'chat.completion.chunk', model: `character/${libai.id}` });
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.filter((c) => c.choices[0]?.finish_reason).map((c) => c.choices[0].finish_reason)).toEqual(['stop']);
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage?.completion_tokens).toBe(5);
    const stored = await messagesOf(alice, libai.id);
    expect(stored.slice(-2).map((m: any) => [m.role, m.content])).toEqual([
      ['user', `你好 ${mock({ numbered: true, tokens: 5 })}`],
      ['assistant', 't1 t2 t3 t4 t5 '],
    ]);
  });

  it('answers without streaming, in the completion object, and the raw stream ends with [DONE]', async () => {
    const r = await ask(`再说 ${mock({ numbered: true, tokens: 3 })}`);
    expect(r).toMatchObject({ object: 'chat.completion', model: `character/${libai.id}`, choices: [{ index: 0, message: { role: 'assistant', content: 't1 t2 t3 ' }, finish_reason: 'stop' }] });
    expect(r.usage).toMatchObject({ completion_tokens: 3, total_tokens: r.usage!.prompt_tokens + 3 });
    expect((r as any).fastnpc).toMatchObject({ kind: 'character', stateless: false, messageId: expect.any(Number) });
    const raw = await fetch(`${t.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: '李白', stream: true, messages: [{ role: 'user', content: `hi ${mock({ tokens: 2 })}` }] }),
    });
    expect(raw.headers.get('content-type')).toContain('text/event-stream');
    const text = await raw.text();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(text).not.toContain('"usage"');
  });

  it('honours stop sequences, max_tokens and temperature', async () => {
    const stopped = await ask(`数数 ${mock({ numbered: true, tokens: 8 })}`, { stop: ['t4', 'never'], temperature: 0.3 });
    expect(stopped.choices[0].message.content).toBe('t1 t2 t3 ');
    const stored = (await messagesOf(alice, libai.id)).at(-1);
    expect(stored.content).toBe('t1 t2 t3 ');
    await t.ctx.inspections.flush();
    const record = await t.ctx.database.db.selectFrom('message_inspections').select('record_json').where('message_id', '=', stored.id).executeTakeFirstOrThrow();
    expect(JSON.parse(record.record_json).params.temperature).toBe(0.3);

    const chunks = [];
    for await (const c of await sdk.chat.completions.create({ model: '李白', stream: true, stop: 't3', messages: [{ role: 'user', content: `再数 ${mock({ numbered: true, tokens: 8 })}` }] })) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('t1 t2 ');

    const capped = await ask(`长一点 ${mock({ numbered: true, tokens: 8 })}`, { max_tokens: 3 });
    expect(capped.choices[0]).toMatchObject({ message: { content: 't1 t2 t3 ' }, finish_reason: 'length' });
  });

  it('aborting mid-stream aborts the upstream call and stores the partial reply as interrupted', async () => {
    const ch = await importCard(alice, '白居易');
    const before = llm.stats().aborted;
    const stream = await sdk.chat.completions.create({ model: '白居易', stream: true, messages: [{ role: 'user', content: `慢慢说 ${mock({ tokens: 200, tps: 20, numbered: true })}` }] });
    let got = 0;
    for await (const c of stream) {
      if (c.choices[0]?.delta?.content && ++got === 2) stream.controller.abort();
    }
    await waitFor(async () => llm.stats().aborted > before);
    const reply = await waitFor(async () => {
      const last = (await messagesOf(alice, ch.id)).at(-1);
      return last?.role === 'assistant' && last;
    });
    expect(reply.status).toBe('interrupted');
    expect(reply.content.startsWith('t1 t2')).toBe(true);
  });

  it('a stream that breaks upstream ends with an error event the SDK raises, and the partial reply is kept', async () => {
    const ch = await importCard(alice, '贺知章');
    const stream = await sdk.chat.completions.create({ model: '贺知章', stream: true, messages: [{ role: 'user', content: `说 ${mock({ numbered: true, tokens: 10, fail: 'cut', cutAfter: 3 })}` }] });
    let text = '';
    const err = await failure(
      (async () => {
        for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
      })(),
    );
    expect(text).toBe('t1 t2 t3 ');
    expect(String(err.message)).toMatch(/language model/i);
    expect((await messagesOf(alice, ch.id)).at(-1)).toMatchObject({ role: 'assistant', status: 'interrupted', content: 't1 t2 t3 ' });
  });

  it('404s another user\'s character, an unknown model, and a character outside the key\'s scope', async () => {
    const su = await importCard(bob, '苏东坡');
    const notMine = await failure(sdk.chat.completions.create({ model: `character/${su.id}`, messages: [{ role: 'user', content: 'hi' }] }));
    expect(notMine.status).toBe(404);
    expect(notMine.error).toMatchObject({ type: 'invalid_request_error', code: 'model_not_found', param: 'model' });
    expect((await failure(ask('hi', { model: '没有这个人' } as never))).status).toBe(404);

    const wang = await importCard(alice, '王维');
    const limited = (await alice.post('/api/me/api-keys', { name: 'only 王维', characterIds: [wang.id] })).body;
    expect(limited.key.scope).toEqual({ characterIds: [wang.id], groupIds: [] });
    const scoped = client(limited.token);
    expect((await failure(ask('hi', {}, scoped))).status).toBe(404);
    const models = [];
    for await (const m of scoped.models.list()) models.push(m.id);
    expect(models).toEqual([`character/${wang.id}`]);
    expect((await ask(`hi ${mock({ tokens: 1 })}`, { model: '王维' } as never, scoped)).choices[0].message.content).toBeTruthy();
  });

  it('rejects bad requests in OpenAI\'s error shape, and never with a 5xx', async () => {
    const post = (body: unknown) => t.client().post('/v1/chat/completions', body, { authorization: `Bearer ${key}` });
    const noUser = await post({ model: '李白', messages: [{ role: 'assistant', content: 'hi' }] });
    expect(noUser.status).toBe(400);
    expect(noUser.body.error).toMatchObject({ type: 'invalid_request_error', param: 'messages' });
    expect((await post({ model: '李白' })).status).toBe(400);
    expect((await post({ model: '李白', messages: [{ role: 'user', content: 'x' }], n: 2 })).status).toBe(400);
    expect((await post({ model: '李白', messages: [{ role: 'user', content: 'x' }], temperature: 9 })).body.error).toMatchObject({ type: 'invalid_request_error', param: 'temperature' });
    expect((await post({ model: '李白', messages: [{ role: 'user', content: 'x' }], stop: ['a', 'b', 'c', 'd', 'e'] })).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
    expect((await post({ model: '李白', messages: [{ role: 'user', content: 'x'.repeat(LIMITS.message.max + 1) }] })).body.error).toMatchObject({ param: 'messages', type: 'invalid_request_error' });
    // Content parts (what vision-capable apps send) are read as their text.
    const parts = await post({ model: '李白', messages: [{ role: 'system', content: 'ignored' }, { role: 'user', content: [{ type: 'text', text: `看 ${mock({ numbered: true, tokens: 2 })}` }] }] });
    expect(parts.status).toBe(200);
    expect(parts.body.choices[0].message.content).toBe('t1 t2 ');
  });

  it('appends only what is new when the app resends the whole history, and regenerates in place', async () => {
    const ch = await importCard(alice, '孟浩然', { first_mes: '春眠不觉晓。' });
    const q1 = `q1 ${mock({ numbered: true, tokens: 2 })}`;
    const r1 = (await ask(q1, { model: '孟浩然' } as never)).choices[0].message.content!;
    const q2 = `q2 ${mock({ numbered: true, tokens: 3 })}`;
    const history = [{ role: 'user' as const, content: q1 }, { role: 'assistant' as const, content: r1 }, { role: 'user' as const, content: q2 }];
    const r2 = await sdk.chat.completions.create({ model: '孟浩然', messages: history });
    expect((await messagesOf(alice, ch.id)).map((m: any) => [m.role, m.content])).toEqual([
      ['assistant', '春眠不觉晓。'],
      ['user', q1],
      ['assistant', r1],
      ['user', q2],
      ['assistant', r2.choices[0].message.content],
    ]);
    // The app regenerates the last reply: the same history again. The reply is replaced, its versions kept.
    const again = await sdk.chat.completions.create({ model: '孟浩然', messages: history });
    const after = await messagesOf(alice, ch.id);
    expect(after).toHaveLength(5);
    expect(after.at(-1)).toMatchObject({ id: (again as any).fastnpc.messageId, alternatives: { index: 1, count: 2 } });
  });

  it('stateless: the client\'s messages are the history, long-term memory still applies, nothing is stored', async () => {
    const ch = await importCard(alice, '陶渊明');
    await memoryStore.insertLongTerm(t.ctx.database.db, { characterId: ch.id, content: '用户最爱喝桂花酒', importance: 0.9, now: Date.now() });
    const messages = [
      { role: 'user' as const, content: '还记得我吗' },
      { role: 'assistant' as const, content: '记得' },
      { role: 'user' as const, content: `说说 ${mock({ numbered: true, tokens: 2 })}` },
    ];
    const r = await sdk.chat.completions.create({ model: '陶渊明', messages, fastnpc: { stateless: true } } as never);
    expect(r.choices[0].message.content).toBe('t1 t2 ');
    expect((r as any).fastnpc).toMatchObject({ stateless: true, conversationId: null, messageId: null });
    // The prompt is the character's own (with the memory) over the client's history: the mock counts every character of it.
    const prompt = (await alice.get(`/api/characters/${ch.id}/prompt`)).body;
    expect(prompt.messages[0].content).toContain('用户最爱喝桂花酒');
    const chars = [...prompt.messages, ...messages].reduce((n: number, m: { content: string }) => n + m.content.length, 0);
    expect(r.usage!.prompt_tokens).toBe(Math.ceil(chars / 2));
    const viaHeader = await sdk.chat.completions.create({ model: '陶渊明', messages }, { headers: { 'X-FastNPC-Stateless': '1' } });
    expect(viaHeader.choices[0].message.content).toBe('t1 t2 ');
    const conversations = await t.ctx.database.db.selectFrom('conversations').select('id').where('character_id', '=', ch.id).execute();
    expect(conversations).toEqual([]);
  });

  it('picks the chat by X-FastNPC-Chat (another chat id is 404)', async () => {
    const first = await ask(`hi ${mock({ tokens: 1 })}`);
    const chatId = (first as any).fastnpc.conversationId;
    const ok = await sdk.chat.completions.create({ model: '李白', messages: [{ role: 'user', content: `again ${mock({ tokens: 1 })}` }] }, { headers: { 'X-FastNPC-Chat': String(chatId) } });
    expect((ok as any).fastnpc.conversationId).toBe(chatId);
    expect((await failure(sdk.chat.completions.create({ model: '李白', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'X-FastNPC-Chat': String(chatId + 1000) } }))).status).toBe(404);
  });

  it('a group as a model: one round of member turns, each prefixed with its name and in the fastnpc field', async () => {
    const c = t.client();
    await c.register();
    const a = await importCard(c, '关羽');
    const b = await importCard(c, '张飞');
    const group = (await c.post('/api/groups', { name: '桃园', memberIds: [a.id, b.id], mode: 'everyone_once' })).body;
    const api = client((await c.post('/api/me/api-keys', { name: 'g' })).body.token);
    const r = await api.chat.completions.create({ model: '桃园', messages: [{ role: 'user', content: `二位好 ${mock({ numbered: true, tokens: 2 })}` }] });
    const parts = (r as any).fastnpc.messages as { name: string; content: string; messageId: number }[];
    expect(parts.map((p) => p.name).sort()).toEqual(['张飞', '关羽'].sort());
    expect(r.choices[0].message.content).toBe(parts.map((p) => `${p.name}: ${p.content}`).join('\n\n'));
    const chunks = [];
    for await (const ch of await api.chat.completions.create({ model: `group/${group.id}`, stream: true, messages: [{ role: 'user', content: `再来 ${mock({ numbered: true, tokens: 2 })}` }] })) chunks.push(ch);
    const speakers = chunks.map((ch) => (ch as any).fastnpc?.speaker?.name).filter(Boolean);
    expect(speakers).toHaveLength(2);
    const text = chunks.map((ch) => ch.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe(speakers.map((s: string) => `${s}: t1 t2 `).join('\n\n'));
    expect((await failure(api.chat.completions.create({ model: '桃园', messages: [{ role: 'user', content: 'x' }], fastnpc: { stateless: true } } as never))).status).toBe(400);
  });

  const recordOf = async (messageId: number) => {
    await t.ctx.inspections.flush();
    const row = await t.ctx.database.db.selectFrom('message_inspections').select('record_json').where('message_id', '=', messageId).executeTakeFirstOrThrow();
    return JSON.parse(row.record_json) as { params: { temperature: number | null; maxTokens: number | null } };
  };

  it("keeps a character's own sampling where the request sets none, and the request's where it does", async () => {
    const c = t.client();
    await c.register();
    const du = await importCard(c, '杜甫');
    expect((await c.put(`/api/characters/${du.id}/llm`, { model: null, temperature: 0.7, maxTokens: 64, contextTokens: null })).status).toBe(200);
    const api = client((await c.post('/api/me/api-keys', { name: 's' })).body.token);
    const plain = await api.chat.completions.create({ model: `character/${du.id}`, messages: [{ role: 'user', content: `hi ${mock({ tokens: 2 })}` }] });
    expect((await recordOf((plain as any).fastnpc.messageId)).params).toEqual({ temperature: 0.7, maxTokens: 64 });
    const asked = await api.chat.completions.create({ model: `character/${du.id}`, temperature: 0.2, messages: [{ role: 'user', content: `again ${mock({ tokens: 2 })}` }] });
    expect((await recordOf((asked as any).fastnpc.messageId)).params).toEqual({ temperature: 0.2, maxTokens: 64 });
  });

  it("a group's members answer with the request's temperature, reply length and stop sequences", async () => {
    const c = t.client();
    await c.register();
    const a = await importCard(c, '刘备');
    const b = await importCard(c, '诸葛亮');
    await c.post('/api/groups', { name: '草庐', memberIds: [a.id, b.id], mode: 'everyone_once' });
    const api = client((await c.post('/api/me/api-keys', { name: 'g2' })).body.token);
    const r = await api.chat.completions.create({ model: '草庐', temperature: 0.4, max_tokens: 50, stop: ['t3'], messages: [{ role: 'user', content: `请讲 ${mock({ numbered: true, tokens: 6 })}` }] });
    const parts = (r as any).fastnpc.messages as { name: string; content: string; messageId: number }[];
    expect(parts).toHaveLength(2);
    for (const p of parts) {
      expect(p.content).toBe('t1 t2 ');
      expect((await recordOf(p.messageId)).params).toEqual({ temperature: 0.4, maxTokens: 50 });
    }
  });

  it('schedules memory work after stateful turns: the chat is compressed in the background', async () => {
    const c = t.client();
    await c.register();
    await c.put('/api/me/settings', { chatModel: null, budgetSession: 200, budgetShortTerm: 16000, budgetLongTerm: 16000, profileText: '', groupRounds: 3 });
    const ch = await importCard(c, '辛弃疾');
    const api = client((await c.post('/api/me/api-keys', { name: 'm' })).body.token);
    for (let i = 0; i < 4; i++) await api.chat.completions.create({ model: '辛弃疾', messages: [{ role: 'user', content: `${'醉里挑灯看剑，梦回吹角连营。'.repeat(4)}第${i}次。${mockJson({ ttftMs: 1 })}` }] });
    const mem = await waitFor(async () => {
      const counts = await t.ctx.queue.counts(MEMORY_JOB);
      const m = (await c.get(`/api/characters/${ch.id}/memories`)).body;
      return counts.waiting + counts.running === 0 && m.shortTerm.length > 0 && m;
    }, 20_000);
    expect(mem.shortTerm.length).toBeGreaterThan(0);
  });
});
