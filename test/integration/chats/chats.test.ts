/**
 * Several chats per character, personas and "save and regenerate", over real HTTP on every
 * database: separate histories, long-term memory shared and short-term memory per chat,
 * rename/delete, export and import (ours and SillyTavern JSONL), personas in the prompt as sent
 * (the inspection record of the reply), and 404 for another user on every new route.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../../tools/mock-llm.js';
import { DIALECTS } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { collectSse, postSse } from '../../support/sse.js';
import { importCard } from '../../support/characters.js';
import { mock, mockLlmEnv } from '../../support/mock-llm.js';

const ST_FIXTURE = join(import.meta.dirname, '../../fixtures/chats/Seraphina - 2024-05-01@12h34m56s.jsonl');

describe.each(DIALECTS)('chats and personas on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  let alice: TestClient;
  let bob: TestClient;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 1, tokens: 4, tps: 5000 });
    t = await startTestApp(dialect, mockLlmEnv(llm));
    alice = t.client();
    bob = t.client();
    await alice.register();
    await bob.register();
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  const say = async (c: TestClient, path: string, content: string) => {
    const frames = await collectSse(await postSse(`${t.url}${path}`, c.cookie, { content }));
    const done = frames.at(-1)!;
    expect(done.event).toBe('done');
    return done.data as { messageId: number; userMessageId: number };
  };
  const contents = async (c: TestClient, path: string) => ((await c.get(path)).body.items as { content: string }[]).map((m) => m.content).reverse();
  const sent = async (messageId: number) => {
    await t.ctx.inspections.flush();
    const r = await alice.get(`/api/messages/${messageId}/inspect`);
    expect(r.status).toBe(200);
    return r.body.messages as { role: string; content: string }[];
  };
  const upload = (c: TestClient, path: string, bytes: Buffer, name: string, method: 'post' | 'put' = 'post') => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(bytes)]), name);
    return c[method](path, form);
  };

  it('keeps each chat its own history; a new chat opens with the greeting and becomes the current one', async () => {
    const ch = await importCard(alice, '王维', { first_mes: '空山新雨后。' });
    const first = await say(alice, `/api/characters/${ch.id}/messages`, `在吗 ${mock({ tokens: 2 })}`);
    const listed = (await alice.get(`/api/characters/${ch.id}/chats`)).body.items;
    expect(listed).toHaveLength(1);
    const a = listed[0];
    expect(a).toMatchObject({ characterId: ch.id, title: null, messageCount: 3, firstWords: '在吗 [[mock:{"tokens":2}]]' });

    const created = await alice.post(`/api/characters/${ch.id}/chats`, {});
    expect(created.status).toBe(201);
    const b = created.body;
    expect(b).toMatchObject({ characterId: ch.id, messageCount: 1, firstWords: null });
    expect(await contents(alice, `/api/chats/${b.id}/messages`)).toEqual(['空山新雨后。']);
    // The character's routes now address the new chat.
    expect(await contents(alice, `/api/characters/${ch.id}/messages`)).toEqual(['空山新雨后。']);
    await say(alice, `/api/chats/${b.id}/messages`, `第二个对话 ${mock({ tokens: 2 })}`);
    expect((await alice.get(`/api/chats/${a.id}/messages`)).body.items.map((m: any) => m.id)).toContain(first.messageId);
    expect((await contents(alice, `/api/chats/${a.id}/messages`)).length).toBe(3);
    expect((await contents(alice, `/api/chats/${b.id}/messages`)).length).toBe(3);
    expect((await alice.get(`/api/characters/${ch.id}/chats`)).body.items.map((c: any) => c.id)).toEqual([b.id, a.id]);

    // A turn in the older chat makes it current again.
    await say(alice, `/api/chats/${a.id}/messages`, `回到第一个 ${mock({ tokens: 2 })}`);
    expect((await alice.get(`/api/characters/${ch.id}/chats`)).body.items.map((c: any) => c.id)).toEqual([a.id, b.id]);
    expect((await contents(alice, `/api/characters/${ch.id}/messages`)).length).toBe(5);
  });

  it("carries the character's long-term memory into every chat; short-term memory stays in its chat", async () => {
    const ch = await importCard(alice, '孟浩然');
    await say(alice, `/api/characters/${ch.id}/messages`, `你好 ${mock({ tokens: 2 })}`);
    const a = (await alice.get(`/api/characters/${ch.id}/chats`)).body.items[0];
    const db = t.ctx.database.db;
    await db.insertInto('memory_items').values({ character_id: ch.id, conversation_id: null, kind: 'long_term', content: '用户喜欢春天', importance: 0.9, pinned: 0, range_start: null, range_end: null, created_at: 1, updated_at: 1 }).execute();
    await db.insertInto('memory_items').values({ character_id: null, conversation_id: a.id, kind: 'short_term', content: '他们聊了鹿门山', importance: 0.5, pinned: 0, range_start: 1, range_end: 2, created_at: 1, updated_at: 1 }).execute();
    await t.ctx.cache.delete(`ltm:${ch.id}`, `stm:${a.id}`);

    const b = (await alice.post(`/api/characters/${ch.id}/chats`, { title: '新的开始' })).body;
    expect(b.title).toBe('新的开始');
    const memB = (await alice.get(`/api/chats/${b.id}/memories`)).body;
    expect(memB.longTerm.map((m: any) => m.content)).toEqual(['用户喜欢春天']);
    expect(memB.shortTerm).toEqual([]);
    expect((await alice.get(`/api/chats/${a.id}/memories`)).body.shortTerm.map((m: any) => m.content)).toEqual(['他们聊了鹿门山']);
    const reply = await say(alice, `/api/chats/${b.id}/messages`, `还记得我吗 ${mock({ tokens: 2 })}`);
    const system = (await sent(reply.messageId))[0].content;
    expect(system).toContain('用户喜欢春天');
    expect(system).not.toContain('鹿门山');
  });

  it('renames and deletes chats; deleting the current chat falls back to the next one', async () => {
    const ch = await importCard(alice, '杜牧', { first_mes: '停车坐爱枫林晚。' });
    const a = (await alice.post(`/api/characters/${ch.id}/chats`, {})).body;
    const b = (await alice.post(`/api/characters/${ch.id}/chats`, {})).body;
    const renamed = await alice.patch(`/api/chats/${a.id}`, { title: '  枫林  ' });
    expect(renamed.status).toBe(200);
    expect(renamed.body.title).toBe('枫林');
    expect((await alice.patch(`/api/chats/${a.id}`, { title: null })).body.title).toBeNull();
    expect((await alice.patch(`/api/chats/${a.id}`, { title: 'x'.repeat(101) })).status).toBe(400);
    expect((await alice.patch(`/api/chats/${a.id}`, {})).status).toBe(400);
    // Renaming does not reorder.
    expect((await alice.get(`/api/characters/${ch.id}/chats`)).body.items.map((c: any) => c.id)).toEqual([b.id, a.id]);

    await say(alice, `/api/chats/${b.id}/messages`, `秋天 ${mock({ tokens: 2 })}`);
    expect((await alice.del(`/api/chats/${b.id}`)).status).toBe(204);
    expect((await alice.get(`/api/chats/${b.id}`)).status).toBe(404);
    expect((await alice.get(`/api/chats/${b.id}/messages`)).status).toBe(404);
    expect(await t.ctx.database.db.selectFrom('messages').select('id').where('conversation_id', '=', b.id).execute()).toEqual([]);
    expect((await alice.get(`/api/characters/${ch.id}/chats`)).body.items.map((c: any) => c.id)).toEqual([a.id]);
    expect(await contents(alice, `/api/characters/${ch.id}/messages`)).toEqual(['停车坐爱枫林晚。']);
    await say(alice, `/api/characters/${ch.id}/messages`, `枫叶 ${mock({ tokens: 2 })}`);
    expect((await alice.get(`/api/chats/${a.id}`)).body.messageCount).toBe(3);
  });

  it('exports a chat as JSON with every version of a reply, and imports it back as a new chat', async () => {
    const ch = await importCard(alice, '李商隐', { first_mes: '相见时难别亦难。', alternate_greetings: ['锦瑟无端五十弦。'] });
    const a = (await alice.get(`/api/characters/${ch.id}/chats`)).body.items[0] ?? (await alice.post(`/api/characters/${ch.id}/chats`, {})).body;
    await say(alice, `/api/chats/${a.id}/messages`, `你好 ${mock({ tokens: 2 })}`);
    await collectSse(await postSse(`${t.url}/api/chats/${a.id}/messages/regenerate`, alice.cookie, {}));
    const exported = await alice.get(`/api/chats/${a.id}/export?format=json`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-disposition')).toContain('.chat.json');
    const doc = JSON.parse(exported.text);
    expect(doc.format).toBe('fastnpc.chat.v1');
    expect(doc.messages[0].versions).toEqual(['相见时难别亦难。', '锦瑟无端五十弦。']);
    expect(doc.messages[2].versions).toHaveLength(2);

    const imported = await upload(alice, `/api/characters/${ch.id}/chats/import`, Buffer.from(exported.text), 'mine.chat.json');
    expect(imported.status).toBe(201);
    expect(imported.body).toMatchObject({ characterId: ch.id, messageCount: 3, title: 'mine' });
    const back = (await alice.get(`/api/chats/${imported.body.id}/messages`)).body.items.reverse();
    expect(back.map((m: any) => [m.role, m.content, m.alternatives])).toEqual(doc.messages.map((m: any) => [m.role, m.content, m.alternatives]));
    expect(back.map((m: any) => m.createdAt)).toEqual(doc.messages.map((m: any) => m.createdAt));
    // Swipes survive: the other greeting can be chosen in the imported chat.
    const swiped = await alice.put(`/api/chats/${imported.body.id}/messages/${back[0].id}/alternative`, { index: 1 });
    expect(swiped.body.content).toBe('锦瑟无端五十弦。');
  });

  it('imports a SillyTavern JSONL chat: roles, swipes and chosen swipe, times; system notes and the header skipped', async () => {
    const ch = await importCard(alice, 'Seraphina');
    const r = await upload(alice, `/api/characters/${ch.id}/chats/import`, readFileSync(ST_FIXTURE), 'Seraphina - 2024-05-01@12h34m56s.jsonl');
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ title: 'Seraphina - 2024-05-01@12h34m56s', messageCount: 4 });
    const me = (await alice.get('/api/auth/me')).body.user.username;
    const items = (await alice.get(`/api/chats/${r.body.id}/messages`)).body.items.reverse();
    expect(items.map((m: any) => [m.role, m.content, m.alternatives])).toEqual([
      ['assistant', `*You wake in a glade.* Hello, ${me}. I am Seraphina.`, { index: 0, count: 2 }],
      ['user', 'Where am I? 这是哪里？', null],
      ['assistant', 'In the Eldoria forest, under my protection.', { index: 1, count: 3 }],
      ['user', 'Thank you.', null],
    ]);
    expect(items[2].createdAt).toBe(Date.parse('2024-05-01T12:36:10.000Z'));
    expect(items[3].createdAt).toBe(1714567000000);
    expect(new Date(items[0].createdAt).getFullYear()).toBe(2024);
    // The chat goes on from where it was.
    await say(alice, `/api/chats/${r.body.id}/messages`, `Tell me more ${mock({ tokens: 2 })}`);

    for (const [bytes, name] of [
      [Buffer.from('{"mes": "x", "is_user": true}\nnot json\n'), 'bad.jsonl'],
      [Buffer.from('{"hello": 1}'), 'x.json'],
      [Buffer.from(''), 'empty.jsonl'],
      [Buffer.from('{"user_name":"a","character_name":"b"}\n'), 'header-only.jsonl'],
    ] as const) {
      const bad = await upload(alice, `/api/characters/${ch.id}/chats/import`, bytes, name);
      expect(bad.status, name).toBe(400);
      expect(bad.body.error.code).toMatch(/^validation/);
    }
  });

  it('edits the last user message and answers it again; the old reply stays as an alternative', async () => {
    const ch = await importCard(alice, '贺知章');
    const r1 = await say(alice, `/api/characters/${ch.id}/messages`, `第一句 ${mock({ tokens: 2 })}`);
    const r2 = await say(alice, `/api/characters/${ch.id}/messages`, `第二句 ${mock({ tokens: 3 })}`);
    const before = (await alice.get(`/api/characters/${ch.id}/messages`)).body.items[0].content;
    // Only the last user message can be answered again.
    const early = await alice.post(`/api/characters/${ch.id}/messages/${r1.userMessageId}/regenerate`, { content: '改第一句' });
    expect(early.status).toBe(409);
    expect((await alice.post(`/api/characters/${ch.id}/messages/${r2.messageId}/regenerate`, { content: '改回复' })).status).toBe(400);
    expect((await alice.post(`/api/characters/${ch.id}/messages/999999/regenerate`, { content: 'x' })).status).toBe(404);

    const again = await say(alice, `/api/characters/${ch.id}/messages/${r2.userMessageId}/regenerate`, `改过的第二句 ${mock({ tokens: 5 })}`);
    expect(again.userMessageId).toBe(r2.userMessageId);
    const items = (await alice.get(`/api/characters/${ch.id}/messages`)).body.items;
    expect(items[1]).toMatchObject({ id: r2.userMessageId, role: 'user', content: `改过的第二句 ${mock({ tokens: 5 })}` });
    expect(items[1].editedAt).not.toBeNull();
    expect(items[0]).toMatchObject({ role: 'assistant', alternatives: { index: 1, count: 2 } });
    expect(items[0].content).not.toBe(before);
    expect((await alice.put(`/api/characters/${ch.id}/messages/${items[0].id}/alternative`, { index: 0 })).body.content).toBe(before);
    // The new reply answered the edited text.
    const history = await sent(again.messageId);
    expect(history.at(-1)).toMatchObject({ role: 'user', content: `改过的第二句 ${mock({ tokens: 5 })}` });
    expect(items).toHaveLength(4);
  });

  it('personas: one default, chosen per chat; {{user}} is its name and its description reaches the prompt', async () => {
    const none = (await alice.get('/api/personas')).body.items;
    expect(none).toEqual([]);
    const qing = await alice.post('/api/personas', { name: '阿青', description: '一个爱听诗的江南少女。' });
    expect(qing.status).toBe(201);
    expect(qing.body).toMatchObject({ name: '阿青', isDefault: true, avatarUrl: null });
    const ke = (await alice.post('/api/personas', { name: 'Ke', description: 'A traveller from the west.' })).body;
    expect(ke.isDefault).toBe(false);
    expect((await alice.post('/api/personas', { name: ' ' })).status).toBe(400);
    expect((await alice.post('/api/personas', { name: 'x', description: 'y'.repeat(2001) })).status).toBe(400);

    const ch = await importCard(alice, '白居易', { first_mes: '{{user}}，来饮一杯无？' });
    expect(await contents(alice, `/api/characters/${ch.id}/messages`)).toEqual(['阿青，来饮一杯无？']);
    const r = await say(alice, `/api/characters/${ch.id}/messages`, `好呀 ${mock({ tokens: 2 })}`);
    const messages = await sent(r.messageId);
    expect(messages[0].content).toContain('## 对话者的自我介绍\n阿青：一个爱听诗的江南少女。');
    expect(messages[1]).toMatchObject({ role: 'assistant', content: '阿青，来饮一杯无？' });

    // A chat with another persona; the default stays.
    const chat = (await alice.post(`/api/characters/${ch.id}/chats`, { personaId: ke.id })).body;
    expect(chat.personaId).toBe(ke.id);
    expect(await contents(alice, `/api/chats/${chat.id}/messages`)).toEqual(['Ke，来饮一杯无？']);
    const r2 = await say(alice, `/api/chats/${chat.id}/messages`, `Hi ${mock({ tokens: 2 })}`);
    expect((await sent(r2.messageId))[0].content).toContain('## 对话者的自我介绍\nKe：A traveller from the west.');

    // Making Ke the default moves the flag; deleting it leaves 阿青 the default, and the chat falls back to it.
    expect((await alice.patch(`/api/personas/${ke.id}`, { isDefault: true })).body.isDefault).toBe(true);
    expect((await alice.get('/api/personas')).body.items.map((p: any) => [p.name, p.isDefault])).toEqual([['阿青', false], ['Ke', true]]);
    expect((await alice.del(`/api/personas/${ke.id}`)).status).toBe(204);
    expect((await alice.get('/api/personas')).body.items.map((p: any) => [p.name, p.isDefault])).toEqual([['阿青', true]]);
    expect((await alice.get(`/api/chats/${chat.id}`)).body.personaId).toBeNull();
    expect(await contents(alice, `/api/chats/${chat.id}/messages`)).toContain('阿青，来饮一杯无？');

    // An avatar, re-encoded as character avatars are.
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 10, g: 120, b: 200 } } }).png().toBuffer();
    const av = await upload(alice, `/api/personas/${qing.body.id}/avatar`, png, 'me.png', 'put');
    expect(av.status).toBe(200);
    expect(av.body.avatarUrl).toMatch(/^\/api\/personas\/\d+\/avatar\?v=/);
    const img = await fetch(`${t.url}${av.body.avatarUrl}`, { headers: { cookie: alice.cookie } });
    expect(img.headers.get('content-type')).toBe('image/webp');
    expect((await upload(alice, `/api/personas/${qing.body.id}/avatar`, Buffer.from('<svg/>'), 'x.svg', 'put')).status).toBe(415);
  });

  it("deleting the account deletes its personas' avatar files", async () => {
    const carol = t.client();
    await carol.register(undefined, 'delete-me-please');
    const p = (await carol.post('/api/personas', { name: 'Carol' })).body;
    const png = await sharp({ create: { width: 16, height: 16, channels: 3, background: { r: 1, g: 2, b: 3 } } }).png().toBuffer();
    expect((await upload(carol, `/api/personas/${p.id}/avatar`, png, 'c.png', 'put')).status).toBe(200);
    const file = (await t.ctx.database.db.selectFrom('personas').select('avatar_file').where('id', '=', p.id).executeTakeFirstOrThrow()).avatar_file!;
    const path = join(t.config.dataDirAbs, 'avatars', file);
    expect(existsSync(path)).toBe(true);
    expect((await carol.del('/api/me', { password: 'delete-me-please' })).status).toBe(204);
    expect(existsSync(path)).toBe(false);
  });

  it("a group's persona: its name and description reach every member's prompt", async () => {
    const p = (await alice.post('/api/personas', { name: '小满', description: '喜欢热闹的书生。' })).body;
    const m1 = await importCard(alice, '高适');
    const m2 = await importCard(alice, '岑参');
    const g = (await alice.post('/api/groups', { name: '边塞', memberIds: [m1.id, m2.id], mode: 'round_robin', maxRounds: 1 })).body;
    expect(g.personaId).toBeNull();
    const updated = await alice.patch(`/api/groups/${g.id}`, { personaId: p.id });
    expect(updated.status).toBe(200);
    expect(updated.body.personaId).toBe(p.id);
    const frames = await collectSse(await postSse(`${t.url}/api/groups/${g.id}/messages`, alice.cookie, { content: `{{char}}好 ${mock({ tokens: 2 })}` }));
    const done = frames.at(-1)!;
    expect(done.event).toBe('done');
    const system = (await sent(done.data.messageIds[0]))[0].content;
    expect(system).toContain('## 对话者的自我介绍\n小满：喜欢热闹的书生。');
    expect((await alice.patch(`/api/groups/${g.id}`, { personaId: null })).body.personaId).toBeNull();
    const bobs = (await bob.post('/api/personas', { name: 'Bob' })).body;
    expect((await alice.patch(`/api/groups/${g.id}`, { personaId: bobs.id })).status).toBe(404);
  });

  it("edits the card's own fields: they show on the character, reach the prompt and the exported card", async () => {
    const ch = await importCard(alice, '韦应物', { first_mes: '独怜幽草涧边生。' });
    expect((await alice.get(`/api/characters/${ch.id}`)).body.card).toEqual({ systemPrompt: '', postHistoryInstructions: '', alternateGreetings: ['又见面了'] });
    const r = await alice.patch(`/api/characters/${ch.id}`, { card: { systemPrompt: '你是{{char}}。{{original}}', postHistoryInstructions: '回答不超过两句。', alternateGreetings: ['春潮带雨晚来急。', ' '] } });
    expect(r.status).toBe(200);
    expect(r.body.card).toEqual({ systemPrompt: '你是{{char}}。{{original}}', postHistoryInstructions: '回答不超过两句。', alternateGreetings: ['春潮带雨晚来急。'] });
    const prompt = (await alice.get(`/api/characters/${ch.id}/prompt`)).body;
    expect(prompt.messages[0].content).toContain('你是韦应物。1. 你现在就是韦应物');
    expect(prompt.messages.at(-1)).toEqual({ role: 'system', content: '回答不超过两句。' });
    const card = (await alice.get(`/api/characters/${ch.id}/card?format=json`)).body;
    expect(card.data).toMatchObject({ system_prompt: '你是{{char}}。{{original}}', post_history_instructions: '回答不超过两句。', alternate_greetings: ['春潮带雨晚来急。'] });
    // A new chat offers the new alternate greeting.
    const chat = (await alice.post(`/api/characters/${ch.id}/chats`, {})).body;
    expect((await alice.get(`/api/chats/${chat.id}/messages`)).body.items[0].alternatives).toEqual({ index: 0, count: 2 });
    expect((await alice.patch(`/api/characters/${ch.id}`, { card: {} })).status).toBe(400);
    expect((await alice.patch(`/api/characters/${ch.id}`, { card: { alternateGreetings: 'x' } })).status).toBe(400);
    expect((await bob.patch(`/api/characters/${ch.id}`, { card: { systemPrompt: 'x' } })).status).toBe(404);
  });

  it('answers 404 to another user on every new route', async () => {
    const ch = await importCard(alice, '刘长卿', { first_mes: '日暮苍山远。' });
    const chat = (await alice.post(`/api/characters/${ch.id}/chats`, {})).body;
    const r = await say(alice, `/api/chats/${chat.id}/messages`, `hi ${mock({ tokens: 2 })}`);
    const persona = (await alice.post('/api/personas', { name: 'Alice的角色' })).body;
    const c = `/api/chats/${chat.id}`;
    const st = readFileSync(ST_FIXTURE);
    const results = await Promise.all([
      bob.get(`/api/characters/${ch.id}/chats`),
      bob.post(`/api/characters/${ch.id}/chats`, {}),
      upload(bob, `/api/characters/${ch.id}/chats/import`, st, 'x.jsonl'),
      bob.get(c),
      bob.patch(c, { title: 'mine' }),
      bob.del(c),
      bob.get(`${c}/messages`),
      bob.post(`${c}/messages`, { content: 'hi' }),
      bob.post(`${c}/messages`, { content: 'hi' }, { accept: 'text/event-stream' }),
      bob.post(`${c}/messages/regenerate`),
      bob.post(`${c}/messages/continue`),
      bob.post(`${c}/messages/${r.userMessageId}/regenerate`, { content: 'x' }),
      bob.post(`/api/characters/${ch.id}/messages/${r.userMessageId}/regenerate`, { content: 'x' }),
      bob.patch(`${c}/messages/${r.userMessageId}`, { content: 'x' }),
      bob.put(`${c}/messages/${r.messageId}/alternative`, { index: 0 }),
      bob.del(`${c}/messages/${r.messageId}`),
      bob.del(`${c}/messages`),
      bob.get(`${c}/export?format=json`),
      bob.get(`${c}/prompt`),
      bob.get(`${c}/memories`),
      bob.post(`${c}/memories/compress`),
      bob.patch(`/api/personas/${persona.id}`, { name: 'x' }),
      bob.del(`/api/personas/${persona.id}`),
      bob.get(`/api/personas/${persona.id}/avatar`),
      bob.del(`/api/personas/${persona.id}/avatar`),
      upload(bob, `/api/personas/${persona.id}/avatar`, Buffer.from('x'), 'a.png', 'put'),
    ]);
    results.forEach((res, i) => expect(res.status, `request ${i}`).toBe(404));
    // Bob cannot give his chat Alice's persona either.
    const mine = await importCard(bob, 'Bob的角色');
    const bobChat = (await bob.post(`/api/characters/${mine.id}/chats`, {})).body;
    expect((await bob.patch(`/api/chats/${bobChat.id}`, { personaId: persona.id })).status).toBe(404);
    expect((await bob.post(`/api/characters/${mine.id}/chats`, { personaId: persona.id })).status).toBe(404);
    expect((await bob.get('/api/personas')).body.items.map((p: any) => p.name)).not.toContain('Alice的角色');
    // Nothing of Alice's changed.
    expect((await alice.get(c)).body.messageCount).toBe(3);
    expect((await alice.get('/api/personas')).body.items.map((p: any) => p.name)).toContain('Alice的角色');
  });
});
