import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../tools/mock-llm.js';
import { DIALECTS } from '../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../support/app.js';
import { collectSse, postSse, readSse, type Frame } from '../support/sse.js';
import { importCard } from '../support/characters.js';
import { mock, mockJson, mockLlmEnv } from '../support/mock-llm.js';
import { waitFor } from '../support/wait.js';
import { createTurnEngine, silentSink } from '../../src/features/conversations/engine.js';

/** Who spoke, in order, from a turn's frames. */
const speakersOf = (frames: Frame[]) => frames.filter((f) => f.event === 'speaker').map((f) => f.data.name as string);

describe.each(DIALECTS)('group chat on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  let alice: TestClient;
  let bob: TestClient;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 5, tokens: 12, tps: 2000 });
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

  /** A fresh user with the three brothers of the Peach Garden; 关羽's profile gives him his courtesy name. */
  async function shu(c?: TestClient) {
    const user = c ?? t.client();
    if (!c) await user.register();
    const guan = await importCard(user, '关羽');
    const zhang = await importCard(user, '张飞');
    const liu = await importCard(user, '刘备');
    const profile = { ...guan.profile, identity: { ...guan.profile.identity, name: '关羽（字云长）', titles: '美髯公' } };
    expect((await user.put(`/api/characters/${guan.id}/profile`, { profile })).status).toBe(200);
    return { user, guan, zhang, liu, ids: [guan.id, zhang.id, liu.id] };
  }

  async function group(c: TestClient, memberIds: number[], extra: object = {}) {
    const r = await c.post('/api/groups', { name: '桃园', memberIds, ...extra });
    expect(r.status).toBe(201);
    return r.body as { id: number; members: { characterId: number; name: string }[]; maxRounds: number };
  }

  const send = (c: TestClient, groupId: number, body: object, signal?: AbortSignal) => postSse(`${t.url}/api/groups/${groupId}/messages`, c.cookie, body, signal);

  it('creates, lists, reads, updates and deletes groups of the owner\'s characters', async () => {
    const { user, guan, zhang, liu, ids } = await shu();
    const g = await group(user, [guan.id, zhang.id]);
    expect(g).toMatchObject({ name: '桃园', mode: 'natural', maxRounds: 3, maxRoundsDefault: true });
    expect(g.members.map((m) => m.name)).toEqual(['关羽', '张飞']);
    expect((g.members[0] as any).avatarUrl).toMatch(new RegExp(`^/api/characters/${guan.id}/avatar`));

    expect((await user.get('/api/groups')).body.items.map((x: any) => x.id)).toEqual([g.id]);
    expect((await user.get(`/api/groups/${g.id}`)).body.members).toHaveLength(2);

    const patched = await user.patch(`/api/groups/${g.id}`, { name: '结义', mode: 'round_robin', maxRounds: 5 });
    expect(patched.body).toMatchObject({ name: '结义', mode: 'round_robin', maxRounds: 5, maxRoundsDefault: false });
    await user.put('/api/me/settings', { chatModel: null, budgetSession: 2000, budgetShortTerm: 800, budgetLongTerm: 800, profileText: '', groupRounds: 7 });
    expect((await user.patch(`/api/groups/${g.id}`, { maxRounds: null })).body).toMatchObject({ maxRounds: 7, maxRoundsDefault: true });
    expect((await user.patch(`/api/groups/${g.id}`, { maxRounds: 11 })).status).toBe(400);
    expect((await user.patch(`/api/groups/${g.id}`, { mode: 'chaos' })).status).toBe(400);

    const added = await user.post(`/api/groups/${g.id}/members`, { characterId: liu.id });
    expect(added.status).toBe(200);
    expect(added.body.members.map((m: any) => m.characterId)).toEqual(ids);
    expect((await user.post(`/api/groups/${g.id}/members`, { characterId: liu.id })).status).toBe(409);
    const removed = await user.del(`/api/groups/${g.id}/members/${zhang.id}`);
    expect(removed.body.members.map((m: any) => m.characterId)).toEqual([guan.id, liu.id]);
    // Two is the minimum.
    const tooFew = await user.del(`/api/groups/${g.id}/members/${liu.id}`);
    expect(tooFew.status).toBe(400);
    expect(tooFew.body.error.code).toBe('validation:members');
    expect((await user.del(`/api/groups/${g.id}/members/${zhang.id}`)).status).toBe(404);

    expect((await user.del(`/api/groups/${g.id}`)).status).toBe(204);
    expect((await user.get(`/api/groups/${g.id}`)).status).toBe(404);
    expect((await user.get('/api/groups')).body.items).toEqual([]);
  });

  it('keeps a group between 2 and 12 members', async () => {
    const c = t.client();
    await c.register();
    const chars = [];
    for (let i = 0; i < 13; i++) chars.push(await importCard(c, `角色${i}`));
    const ids = chars.map((x) => x.id);
    expect((await c.post('/api/groups', { name: 'x', memberIds: [ids[0]] })).status).toBe(400);
    expect((await c.post('/api/groups', { name: 'x', memberIds: ids })).status).toBe(400);
    // Duplicates do not count twice.
    expect((await c.post('/api/groups', { name: 'x', memberIds: [ids[0], ids[0]] })).status).toBe(400);
    const g = await group(c, ids.slice(0, 12));
    expect(g.members).toHaveLength(12);
    const full = await c.post(`/api/groups/${g.id}/members`, { characterId: ids[12] });
    expect(full.status).toBe(400);
    expect(full.body.error.code).toBe('validation:members');
  });

  it('answers 404 to another user on every group route, and never takes another user\'s characters', async () => {
    const { user, guan, zhang, liu } = await shu(alice);
    const g = await group(user, [guan.id, zhang.id]);
    await user.post(`/api/groups/${g.id}/messages`, { content: '关羽你好' });
    const base = `/api/groups/${g.id}`;
    const bobChar = await importCard(bob, 'Bob的角色');
    const results = await Promise.all([
      bob.get(base),
      bob.patch(base, { name: 'mine' }),
      bob.del(base),
      bob.post(`${base}/members`, { characterId: bobChar.id }),
      bob.del(`${base}/members/${guan.id}`),
      bob.post(`${base}/messages`, { content: 'hi' }),
      bob.post(`${base}/messages`, { content: 'hi' }, { accept: 'text/event-stream' }),
      bob.get(`${base}/messages`),
      bob.del(`${base}/messages`),
      bob.get(`${base}/export?format=json`),
    ]);
    for (const r of results) expect(r.status).toBe(404);
    expect((await bob.get('/api/groups')).body.items).toEqual([]);

    // Alice cannot put Bob's character into her group, neither at creation nor later.
    const created = await user.post('/api/groups', { name: 'x', memberIds: [guan.id, bobChar.id] });
    expect(created.status).toBe(404);
    expect(created.body.error.code).toBe('not_found:character');
    expect((await user.post(`${base}/members`, { characterId: bobChar.id })).status).toBe(404);
    // Nor can Bob group Alice's characters.
    expect((await bob.post('/api/groups', { name: 'y', memberIds: [bobChar.id, liu.id] })).status).toBe(404);

    const still = await user.get(base);
    expect(still.body.name).toBe('桃园');
    expect(still.body.members.map((m: any) => m.characterId)).toEqual([guan.id, zhang.id]);
    expect((await user.get(`${base}/messages`)).body.items.length).toBeGreaterThanOrEqual(2);
  });

  it('lets the member named in Chinese speak first — without a moderator call', async () => {
    const { user, guan, ids } = await shu();
    const g = await group(user, ids, { maxRounds: 1 });
    const res = await send(user, g.id, { content: `关云长……关羽你说呢？${mock({ numbered: true, tokens: 4 })}` });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const frames = await collectSse(res);
    // Tokens after the first are joined into fewer frames (the same coalescing as one-to-one chat).
    const events = frames.map((f) => f.event).filter((e, i, all) => e !== 'token' || all[i - 1] !== 'token');
    expect(events).toEqual(['speaker', 'token', 'message_done', 'done']);
    expect(frames.filter((f) => f.event === 'token').map((f) => f.data.text).join('')).toBe('t1 t2 t3 t4 ');
    expect(frames[0].data).toEqual({ characterId: guan.id, name: '关羽' });
    const done = frames.at(-1)!.data;
    expect(done).toMatchObject({ rounds: 1, ruleRounds: 1, moderatorCalls: 0, stoppedBy: 'round_limit' });

    const page = await user.get(`/api/groups/${g.id}/messages`);
    expect(page.body.items.map((m: any) => [m.role, m.speakerName])).toEqual([
      ['assistant', '关羽'],
      ['user', null],
    ]);
    expect(page.body.items[0]).toMatchObject({ id: frames.find((f) => f.event === 'message_done')!.data.messageId, characterId: guan.id, content: 't1 t2 t3 t4 ', status: 'complete' });
    expect(page.body.items[1].id).toBe(done.userMessageId);
  });

  it('follows an English mention by word, and a reply that hands over to the next member', async () => {
    const c = t.client();
    await c.register();
    const holmes = await importCard(c, 'Sherlock Holmes');
    const watson = await importCard(c, 'John Watson');
    const lestrade = await importCard(c, 'Inspector Lestrade');
    const g = await group(c, [holmes.id, watson.id, lestrade.id], { maxRounds: 1 });
    const frames = await collectSse(await send(c, g.id, { content: 'Watson, what did you see?' }));
    expect(speakersOf(frames)).toEqual(['John Watson']);
    expect(frames.at(-1)!.data.moderatorCalls).toBe(0);
  });

  it('runs up to the round limit, never the same member twice in a row', async () => {
    const { user, ids } = await shu();
    const g = await group(user, ids, { maxRounds: 4 });
    const frames = await collectSse(await send(user, g.id, { content: '今天我们聊聊天下大势' }));
    const who = speakersOf(frames);
    expect(who).toHaveLength(4);
    for (let i = 1; i < who.length; i++) expect(who[i]).not.toBe(who[i - 1]);
    expect(frames.filter((f) => f.event === 'message_done')).toHaveLength(4);
    const done = frames.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data).toMatchObject({ rounds: 4, stoppedBy: 'round_limit' });
    // Nobody was named: each round was the rules' call (only one candidate) or one moderator call.
    expect(done.data.ruleRounds + done.data.moderatorCalls).toBe(4);
    expect(done.data.moderatorCalls).toBeGreaterThan(0);
    const page = await user.get(`/api/groups/${g.id}/messages?limit=100`);
    expect(page.body.items).toHaveLength(5);
  });

  it('falls back to round-robin for a round whose moderator call fails', async () => {
    const { user, ids } = await shu();
    const g = await group(user, ids, { maxRounds: 3 });
    const requests = llm.stats().requests;
    const frames = await collectSse(await send(user, g.id, { content: `大家说说看 ${mockJson({ fail: '500' })}` }));
    const done = frames.at(-1)!;
    expect(done.event).toBe('done');
    expect(done.data.rounds).toBe(3);
    expect(done.data.moderatorFailures).toBe(done.data.moderatorCalls);
    expect(done.data.moderatorFailures).toBeGreaterThan(0);
    // Round-robin from the first member, skipping whoever just spoke.
    expect(speakersOf(frames)).toEqual(['关羽', '张飞', '刘备']);
    // Three replies, and each failed moderator call was tried twice (FASTNPC_LLM_MAX_RETRIES=1).
    expect(llm.stats().requests - requests).toBe(3 + 2 * done.data.moderatorCalls);
  });

  it('round_robin, everyone_once and manual modes', async () => {
    const { user, ids } = await shu();
    const rr = await group(user, ids, { mode: 'round_robin', maxRounds: 4 });
    const f1 = await collectSse(await send(user, rr.id, { content: '张飞你先说' }));
    expect(speakersOf(f1)).toEqual(['关羽', '张飞', '刘备', '关羽']);
    expect(f1.at(-1)!.data).toMatchObject({ rounds: 4, ruleRounds: 4, moderatorCalls: 0 });
    // The rotation continues after the last speaker on the next message.
    const f2 = await collectSse(await send(user, rr.id, { content: '继续' }));
    expect(speakersOf(f2)[0]).toBe('张飞');

    const once = await group(user, ids, { mode: 'everyone_once', maxRounds: 1 });
    const f3 = await collectSse(await send(user, once.id, { content: '刘备你先说，然后大家都说说' }));
    expect(speakersOf(f3)).toEqual(['刘备', '关羽', '张飞']);
    expect(f3.at(-1)!.data).toMatchObject({ rounds: 3, moderatorCalls: 0, stoppedBy: 'everyone_spoke' });

    const manual = await group(user, ids, { mode: 'manual', maxRounds: 5 });
    const missing = await user.post(`/api/groups/${manual.id}/messages`, { content: '谁来说' }, { accept: 'text/event-stream' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.code).toBe('validation:speaker');
    const stranger = await importCard(user, '曹操');
    expect((await user.post(`/api/groups/${manual.id}/messages`, { content: '你说', speakerId: stranger.id })).status).toBe(400);
    const f4 = await collectSse(await send(user, manual.id, { content: '关羽你说', speakerId: ids[1] }));
    expect(speakersOf(f4)).toEqual(['张飞']);
    expect(f4.at(-1)!.data).toMatchObject({ rounds: 1, stoppedBy: 'manual_done' });
    // Nothing was stored for the rejected requests.
    expect((await user.get(`/api/groups/${manual.id}/messages`)).body.items).toHaveLength(2);
  });

  it('answers with JSON when the client does not ask for a stream', async () => {
    const { user, ids } = await shu();
    const g = await group(user, ids, { maxRounds: 2 });
    const r = await user.post(`/api/groups/${g.id}/messages`, { content: '关羽、张飞，你们怎么看？' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ rounds: 2, ruleRounds: 2, moderatorCalls: 0 });
    expect(r.body.messageIds).toHaveLength(2);
    const page = await user.get(`/api/groups/${g.id}/messages`);
    expect(page.body.items.slice(0, 2).map((m: any) => m.speakerName).reverse()).toEqual(['关羽', '张飞']);
  });

  it('ends a failed turn with an error frame, keeping the user message and the replies so far', async () => {
    const { user, ids } = await shu();
    const g = await group(user, ids, { maxRounds: 3 });
    const frames = await collectSse(await send(user, g.id, { content: `关羽你说 ${mock({ fail: '500' })}` }));
    expect(frames.map((f) => f.event)).toEqual(['speaker', 'error']);
    expect(frames[1].data.code).toMatch(/^llm_/);
    const page = await user.get(`/api/groups/${g.id}/messages`);
    expect(page.body.items.map((m: any) => m.role)).toEqual(['user']);
  });

  it('answers 409 to a second message while the group is replying', async () => {
    const { user, ids } = await shu();
    const g = await group(user, ids, { maxRounds: 2 });
    const first = await send(user, g.id, { content: `关羽你说 ${mock({ tokens: 30, tps: 100 })}` });
    const frames = [];
    for await (const f of readSse(first)) {
      frames.push(f);
      if (frames.length === 1) {
        // The group is replying now.
        const second = await user.post(`/api/groups/${g.id}/messages`, { content: '我也说一句' }, { accept: 'text/event-stream' });
        expect(second.status).toBe(409);
        expect(second.body.error.code).toBe('busy_conversation');
        expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    expect(frames.at(-1)!.event).toBe('done');
    // The lease is free again.
    expect((await user.post(`/api/groups/${g.id}/messages`, { content: `好 ${mock({ tokens: 2 })}` })).status).toBe(200);
  });

  it('stops the loop and aborts the LLM call in flight when the client disconnects', async () => {
    const { user, ids } = await shu();
    const g = await group(user, ids, { maxRounds: 5 });
    const before = llm.stats();
    const ac = new AbortController();
    const res = await send(user, g.id, { content: `关羽你慢慢说 ${mock({ tokens: 200, tps: 20, numbered: true })}` }, ac.signal);
    let tokens = 0;
    try {
      for await (const f of readSse(res)) {
        if (f.event === 'token' && ++tokens === 2) ac.abort();
      }
    } catch {
      /* the abort ends our read */
    }
    await waitFor(async () => llm.stats().aborted > before.aborted);
    const msg = await waitFor(async () => {
      const p = await user.get(`/api/groups/${g.id}/messages`);
      return p.body.items[0]?.role === 'assistant' && p.body.items[0];
    });
    expect(msg).toMatchObject({ status: 'interrupted', speakerName: '关羽' });
    expect(msg.content.startsWith('t1 t2')).toBe(true);
    // No further round started: once the turn let go of the group, one request (the aborted reply) in all.
    const conv = await t.ctx.database.db.selectFrom('conversations').select('id').where('group_id', '=', g.id).executeTakeFirstOrThrow();
    await waitFor(async () => {
      const lease = await t.ctx.locks.tryAcquire(`turn:${conv.id}`, 1000);
      await lease?.release();
      return lease !== undefined;
    });
    expect(llm.stats().requests - before.requests).toBe(1);
    expect((await user.get(`/api/groups/${g.id}/messages`)).body.items).toHaveLength(2);
  });

  it('paginates newest first, exports and clears', async () => {
    const { user, ids } = await shu();
    const g = await group(user, ids, { mode: 'round_robin', maxRounds: 2 });
    for (let i = 0; i < 2; i++) await user.post(`/api/groups/${g.id}/messages`, { content: `消息${i} ${mock({ tokens: 2 })}` });
    const p1 = await user.get(`/api/groups/${g.id}/messages?limit=4`);
    expect(p1.body.items).toHaveLength(4);
    const p2 = await user.get(`/api/groups/${g.id}/messages?limit=4&before=${p1.body.nextBefore}`);
    expect(p2.body.items).toHaveLength(2);
    expect(p2.body.nextBefore).toBeNull();
    const all = [...p1.body.items, ...p2.body.items].map((m: any) => m.id);
    expect([...all].sort((a, b) => b - a)).toEqual(all);
    expect(p2.body.items.at(-1).content).toContain('消息0');

    const md = await user.get(`/api/groups/${g.id}/export?format=md`);
    expect(md.headers.get('content-type')).toContain('text/markdown');
    expect(md.text).toContain('# 桃园');
    expect(md.text).toContain('**关羽**');
    expect(md.text).toContain('**用户**');
    const json = JSON.parse((await user.get(`/api/groups/${g.id}/export?format=json`)).text);
    expect(json.messages).toHaveLength(6);
    expect(json.group.members).toHaveLength(3);
    expect(json.messages[1].speakerName).toBe('关羽');

    expect((await user.del(`/api/groups/${g.id}/messages`)).status).toBe(204);
    expect((await user.get(`/api/groups/${g.id}/messages`)).body.items).toEqual([]);
  });

  it('gives a member a group prompt: its profile, the others\' briefs, the user\'s profile and named recent messages', async () => {
    const { user, guan, ids } = await shu();
    await user.put('/api/me/settings', { chatModel: null, budgetSession: 2000, budgetShortTerm: 800, budgetLongTerm: 800, profileText: '一个爱读三国的学生', groupRounds: 3 });
    const g = await group(user, ids, { maxRounds: 1 });
    await user.post(`/api/groups/${g.id}/messages`, { content: '关羽你说' });
    // The prompt the next member would see, through the service the route uses.
    const { createGroupsService } = await import('../../src/features/groups/index.js');
    const ctx = t.ctx;
    const captured: { messages: { role: string; content: string }[] }[] = [];
    const spy: typeof ctx.llm = Object.assign(Object.create(ctx.llm), {
      stream(req: any, onText: (text: string) => void, signal?: AbortSignal) {
        captured.push(req);
        return ctx.llm.stream(req, onText, signal);
      },
    });
    const engine = createTurnEngine({ db: ctx.database.db, llm: spy, locks: ctx.locks, memory: ctx.memory, leaseMs: 10_000 });
    const groups = createGroupsService({ db: ctx.database.db, cache: ctx.cache, engine, llm: spy, prompts: ctx.prompts, characters: ctx.characters, users: ctx.users, memory: ctx.memory });
    const userId = (await user.get('/api/auth/me')).body.user.id;
    await groups.turn({ userId }, g.id, { content: '张飞，你怎么看？' }, silentSink(new AbortController().signal));
    const system = captured[0].messages[0].content;
    expect(system).toContain('你现在就是张飞');
    expect(system).toContain('## 群聊成员');
    expect(system).toContain('- 关羽：');
    expect(system).toContain('- 刘备：');
    expect(system).toContain('一个爱读三国的学生');
    const rest = captured[0].messages.slice(1);
    expect(rest.some((m) => m.role === 'user' && m.content.startsWith('关羽：'))).toBe(true);
    expect(rest.at(-1)).toEqual({ role: 'user', content: '用户：张飞，你怎么看？' });
    expect(guan.id).toBeGreaterThan(0);
  });

  it('applies the moderator thresholds in the loop: take ≥ 0.8, weighted draw 0.5–0.8 (injected RNG), wait < 0.5', async () => {
    const { user, ids } = await shu();
    const g = await group(user, ids, { maxRounds: 3 });
    const userId = (await user.get('/api/auth/me')).body.user.id;
    const ctx = t.ctx;
    const answers: { next_speaker: string; confidence: number }[] = [];
    const asked: string[][] = [];
    const llmStub: typeof ctx.llm = Object.assign(Object.create(ctx.llm), {
      async completeJson(req: any) {
        asked.push(req.hints.members.map((m: any) => m.name));
        return { reason: '剧情需要', ...answers.shift()! };
      },
    });
    const { createGroupsService } = await import('../../src/features/groups/index.js');
    const draws = [0.95];
    const engine = createTurnEngine({ db: ctx.database.db, llm: llmStub, locks: ctx.locks, memory: ctx.memory, leaseMs: 10_000 });
    const groups = createGroupsService({ db: ctx.database.db, cache: ctx.cache, engine, llm: llmStub, prompts: ctx.prompts, characters: ctx.characters, users: ctx.users, memory: ctx.memory, rng: () => draws.shift() ?? 0 });
    const io = () => silentSink(new AbortController().signal);

    // Round 1: 0.9 for 张飞 → 张飞. Round 2: 0.6 for 关羽 among {关羽, 刘备}, draw 0.95 → 刘备. Round 3: 0.3 → wait.
    answers.push({ next_speaker: '张飞', confidence: 0.9 }, { next_speaker: '关羽', confidence: 0.6 }, { next_speaker: '关羽', confidence: 0.3 });
    const r = await groups.turn({ userId }, g.id, { content: `说说看 ${mock({ tokens: 2 })}` }, io());
    expect(r).toMatchObject({ rounds: 2, moderatorCalls: 3, ruleRounds: 0, stoppedBy: 'moderator_low_confidence', decidedBy: { moderator: 1, moderator_draw: 1 } });
    const names = (await user.get(`/api/groups/${g.id}/messages`)).body.items.filter((m: any) => m.role === 'assistant').map((m: any) => m.speakerName).reverse();
    expect(names).toEqual(['张飞', '刘备']);
    // The moderator is only offered members who did not just speak.
    expect(asked).toEqual([['关羽', '张飞', '刘备'], ['关羽', '刘备'], ['关羽', '张飞']]);

    // Below 0.5 on the first round: nobody answers; the user message is stored.
    answers.push({ next_speaker: '关羽', confidence: 0.1 });
    const quiet = await groups.turn({ userId }, g.id, { content: '嗯' }, io());
    expect(quiet).toMatchObject({ rounds: 0, moderatorCalls: 1, stoppedBy: 'moderator_low_confidence' });
    expect((await user.get(`/api/groups/${g.id}/messages`)).body.items[0]).toMatchObject({ role: 'user', content: '嗯' });
  });

  it('compresses the group conversation after turns; long-term facts reach every member', async () => {
    const { user, guan, zhang, ids } = await shu();
    await user.put('/api/me/settings', { chatModel: null, budgetSession: 200, budgetShortTerm: 100, budgetLongTerm: 800, profileText: '', groupRounds: 2 });
    const g = await group(user, ids);
    for (let i = 0; i < 4; i++) {
      const r = await user.post(`/api/groups/${g.id}/messages`, { content: `第${i}次议事：关羽、张飞，荆州与益州的形势如何，我们该先取哪一处？${mock({ tokens: 20 })}` });
      expect(r.status).toBe(200);
    }
    const db = t.ctx.database.db;
    const conv = await db.selectFrom('conversations').select('id').where('group_id', '=', g.id).executeTakeFirstOrThrow();
    const shortTerm = await waitFor(async () => {
      const rows = await db.selectFrom('memory_items').selectAll().where('conversation_id', '=', conv.id).where('kind', '=', 'short_term').execute();
      const compressed = await db.selectFrom('messages').select('id').where('conversation_id', '=', conv.id).where('compressed', '=', 1).execute();
      return compressed.length > 0 && rows.length > 0 && { rows, compressed };
    }, 20_000);
    expect(shortTerm.rows[0].content.length).toBeGreaterThan(0);
    expect(shortTerm.compressed.length).toBeGreaterThan(0);
    // Over the short-term budget the summaries fold into long-term memory — of every member.
    // Mock summaries are short, so add older ones directly rather than running dozens of turns.
    const now = Date.now();
    for (let i = 0; i < 6; i++) {
      await db.insertInto('memory_items').values({ character_id: null, conversation_id: conv.id, kind: 'short_term', content: `用户 | 第${i}次提议 | ${'先取荆州再图益州，'.repeat(4)}`, importance: 0.5, pinned: 0, range_start: null, range_end: null, created_at: now, updated_at: now }).execute();
    }
    await user.post(`/api/groups/${g.id}/messages`, { content: `再议一次 ${mock({ tokens: 2 })}` });
    const longTerm = await waitFor(async () => {
      const a = (await user.get(`/api/characters/${guan.id}/memories`)).body.longTerm;
      const b = (await user.get(`/api/characters/${zhang.id}/memories`)).body.longTerm;
      return a.length > 0 && b.length > 0 && { a, b };
    }, 20_000);
    expect(longTerm.a.map((m: any) => m.content).sort()).toEqual(longTerm.b.map((m: any) => m.content).sort());
    // Compressed messages stay in the history.
    expect((await user.get(`/api/groups/${g.id}/messages?limit=100`)).body.items.length).toBeGreaterThanOrEqual(12);
  });
});

describe('group chat rate limit', () => {
  let llm: MockLlm;
  let t: TestApp;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 1, tokens: 2, tps: 5000 });
    t = await startTestApp('sqlite', { ...mockLlmEnv(llm), FASTNPC_CHAT_RATE_PER_MIN: '2' });
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  it('shares the chat:{userId} budget with one-to-one chat', async () => {
    const c = t.client();
    await c.register();
    const a = await importCard(c, '甲');
    const b = await importCard(c, '乙');
    const g = (await c.post('/api/groups', { name: 'g', memberIds: [a.id, b.id], maxRounds: 1 })).body;
    expect((await c.post(`/api/characters/${a.id}/messages`, { content: '你好' })).status).toBe(200);
    expect((await c.post(`/api/groups/${g.id}/messages`, { content: '你好' })).status).toBe(200);
    const limited = await c.post(`/api/groups/${g.id}/messages`, { content: '你好' }, { accept: 'text/event-stream' });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
  });
});
