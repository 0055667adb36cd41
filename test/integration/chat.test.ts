import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../tools/mock-llm.js';
import { DIALECTS } from '../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../support/app.js';
import { collectSse, postSse, readSse } from '../support/sse.js';
import { importCard } from '../support/characters.js';
import { mock, mockJson, mockLlmEnv } from '../support/mock-llm.js';
import { waitFor } from '../support/wait.js';
import { MEMORY_JOB } from '../../src/features/memory/service.js';

describe.each(DIALECTS)('chat on %s', (dialect) => {
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

  const turn = (c: TestClient, id: number, content: string, signal?: AbortSignal) => postSse(`${t.url}/api/characters/${id}/messages`, c.cookie, { content }, signal);

  it('streams tokens in order, then a final done frame; both messages are stored', async () => {
    const ch = await importCard(alice, '李白');
    const res = await turn(alice, ch.id, `你好 ${mock({ numbered: true, tokens: 6 })}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const frames = await collectSse(res);
    const tokens = frames.filter((f) => f.event === 'token').map((f) => f.data.text);
    expect(tokens.join('')).toBe('t1 t2 t3 t4 t5 t6 ');
    const last = frames[frames.length - 1];
    expect(last.event).toBe('done');
    expect(last.data.usage.completionTokens).toBeGreaterThan(0);
    const page = await alice.get(`/api/characters/${ch.id}/messages`);
    expect(page.body.items.map((m: any) => m.role)).toEqual(['assistant', 'user']);
    expect(page.body.items[0]).toMatchObject({ id: last.data.messageId, content: 't1 t2 t3 t4 t5 t6 ', status: 'complete' });
    expect(page.body.items[1].id).toBe(last.data.userMessageId);
  });

  it("opens a new chat with the card's greeting, macros shown resolved and stored as written; clearing brings it back", async () => {
    const me = (await alice.get('/api/auth/me')).body.user.username;
    const ch = await importCard(alice, '苏轼', { first_mes: '*{{char}}拱手。*{{User}}，<BOT>在此候你多时。', mes_example: '<START>\n{{user}}：好词！\n{{char}}：过奖。', system_prompt: '扮演{{char}}。{{original}}', post_history_instructions: '回复简短。' });
    const first = await alice.get(`/api/characters/${ch.id}/messages`);
    expect(first.body.items).toHaveLength(1);
    expect(first.body.items[0]).toMatchObject({ role: 'assistant', content: `*苏轼拱手。*${me}，苏轼在此候你多时。` });
    const stored = await t.ctx.database.db.selectFrom('messages').select('content').where('id', '=', first.body.items[0].id).executeTakeFirstOrThrow();
    expect(stored.content).toBe('*{{char}}拱手。*{{User}}，<BOT>在此候你多时。');

    const prompt = (await alice.get(`/api/characters/${ch.id}/prompt`)).body;
    expect(prompt.messages[0].content).toContain('扮演苏轼。1. 你现在就是苏轼');
    expect(prompt.messages[0].content).toContain(`${me}：好词！`);
    expect(prompt.messages[1]).toEqual({ role: 'assistant', content: `*苏轼拱手。*${me}，苏轼在此候你多时。` });
    expect(prompt.messages.at(-1)).toEqual({ role: 'system', content: '回复简短。' });

    await collectSse(await turn(alice, ch.id, `你好 ${mock({ tokens: 2 })}`));
    expect((await alice.get(`/api/characters/${ch.id}/messages`)).body.items.map((m: any) => m.role)).toEqual(['assistant', 'user', 'assistant']);
    expect((await alice.del(`/api/characters/${ch.id}/messages`)).status).toBe(204);
    const cleared = (await alice.get(`/api/characters/${ch.id}/messages`)).body.items;
    expect(cleared.map((m: any) => m.content)).toEqual([`*苏轼拱手。*${me}，苏轼在此候你多时。`]);
    const card = await alice.get(`/api/characters/${ch.id}/card?format=json`);
    expect(card.body.data).toMatchObject({ first_mes: '*{{char}}拱手。*{{User}}，<BOT>在此候你多时。', system_prompt: '扮演{{char}}。{{original}}' });
  });

  it("uses the card's lorebook: entries fire on their keys in the chat, and the inspector says which and why", async () => {
    const character_book = {
      scan_depth: 2,
      entries: [
        { id: 1, keys: ['长安'], content: '长安是{{char}}求仕之地。', extensions: {}, enabled: true, insertion_order: 1, comment: 'city' },
        { id: 2, keys: ['wine'], content: 'Wine is the poet\'s muse.', extensions: { match_whole_words: true }, enabled: true, insertion_order: 2, position: 'after_char', comment: 'wine' },
        { id: 3, keys: ['长安'], content: '不该出现', extensions: {}, enabled: false, insertion_order: 3, comment: 'off' },
      ],
    };
    const ch = await importCard(alice, '岑参乙', { character_book });
    const before = (await alice.get(`/api/characters/${ch.id}/prompt`)).body;
    expect(before.lore).toEqual({ fired: [], overBudget: [] });
    await collectSse(await turn(alice, ch.id, `我想去长安喝 WINE ${mock({ tokens: 2 })}`));
    const after = (await alice.get(`/api/characters/${ch.id}/prompt`)).body;
    expect(after.lore.fired.map((f: any) => [f.comment, f.key, f.position])).toEqual([['city', '长安', 'before'], ['wine', 'wine', 'after']]);
    expect(after.messages[0].content).toContain('长安是岑参乙求仕之地。');
    expect(after.messages[0].content).not.toContain('不该出现');
    expect(after.parts.map((p: any) => p.name)).toEqual(expect.arrayContaining(['lore_before', 'lore_after']));
  });

  it('keeps every version of a reply: regenerate adds one, the user flips between them, the shown one feeds history and export', async () => {
    const ch = await importCard(alice, '韦应物', { first_mes: '问候一', alternate_greetings: ['问候二', '问候三'] });
    const base = `/api/characters/${ch.id}`;
    const [greeting] = (await alice.get(`${base}/messages`)).body.items;
    expect(greeting).toMatchObject({ content: '问候一', alternatives: { index: 0, count: 3 } });
    expect((await alice.put(`${base}/messages/${greeting.id}/alternative`, { index: 2 })).body).toMatchObject({ content: '问候三', alternatives: { index: 2, count: 3 } });
    expect((await alice.put(`${base}/messages/${greeting.id}/alternative`, { index: 3 })).status).toBe(400);

    const ask = await alice.post(`${base}/messages`, { content: `你好 ${mock({ numbered: true, tokens: 2 })}` });
    expect(ask.body.message.content).toBe('t1 t2 ');
    // The same question asked for a longer answer, so the two versions differ.
    await alice.patch(`${base}/messages/${ask.body.userMessageId}`, { content: `你好 ${mock({ numbered: true, tokens: 3 })}` });
    const again = await collectSse(await postSse(`${t.url}${base}/messages/regenerate`, alice.cookie));
    expect(again.at(-1)!.event).toBe('done');
    const items = (await alice.get(`${base}/messages`)).body.items;
    expect(items.map((m: any) => m.content)).toEqual(['t1 t2 t3 ', `你好 ${mock({ numbered: true, tokens: 3 })}`, '问候三']);
    expect(items[0].alternatives).toEqual({ index: 1, count: 2 });

    const back = await alice.put(`${base}/messages/${items[0].id}/alternative`, { index: 0 });
    expect(back.body).toMatchObject({ content: 't1 t2 ', alternatives: { index: 0, count: 2 } });
    const prompt = (await alice.get(`${base}/prompt`)).body.messages.map((m: any) => m.content);
    expect(prompt).toContain('t1 t2 ');
    expect(prompt).not.toContain('t1 t2 t3 ');
    expect(JSON.parse((await alice.get(`${base}/export?format=json`)).text).messages.map((m: any) => m.content)).toEqual(['问候三', `你好 ${mock({ numbered: true, tokens: 3 })}`, 't1 t2 ']);

    // Continue extends the shown version in place: no new message, the other version untouched.
    const more = await alice.post(`${base}/messages/continue`);
    expect(more.status).toBe(200);
    expect(more.body.message.id).toBe(items[0].id);
    expect(more.body.message.content.startsWith('t1 t2')).toBe(true);
    expect(more.body.message.content.length).toBeGreaterThan('t1 t2 '.length);
    const afterContinue = (await alice.get(`${base}/messages`)).body.items;
    expect(afterContinue).toHaveLength(3);
    expect(afterContinue[0]).toMatchObject({ content: more.body.message.content, alternatives: { index: 0, count: 2 } });
    expect((await alice.put(`${base}/messages/${items[0].id}/alternative`, { index: 1 })).body.content).toBe('t1 t2 t3 ');
    expect((await alice.put(`${base}/messages/999999/alternative`, { index: 0 })).status).toBe(404);
  });

  it('a regenerate that fails loses no version: the earlier replies come back', async () => {
    const ch = await importCard(alice, '张九龄');
    const base = `/api/characters/${ch.id}`;
    const ask = await alice.post(`${base}/messages`, { content: `你好 ${mock({ numbered: true, tokens: 2 })}` });
    await alice.patch(`${base}/messages/${ask.body.userMessageId}`, { content: `你好 ${mock({ fail: '500', failTimes: 99 })}` });
    const frames = await collectSse(await postSse(`${t.url}${base}/messages/regenerate`, alice.cookie));
    expect(frames.at(-1)!.event).toBe('error');
    const items = (await alice.get(`${base}/messages`)).body.items;
    expect(items.map((m: any) => [m.role, m.content])).toEqual([['assistant', 't1 t2 '], ['user', `你好 ${mock({ fail: '500', failTimes: 99 })}`]]);
  });

  it('answers with JSON when the client does not ask for a stream', async () => {
    const ch = await importCard(alice, '杜甫');
    const r = await alice.post(`/api/characters/${ch.id}/messages`, { content: '你好' });
    expect(r.status).toBe(200);
    expect(r.body.message.role).toBe('assistant');
    expect(r.body.message.content.length).toBeGreaterThan(0);
  });

  it('keeps the user message and sends an error frame when the LLM fails before the first token', async () => {
    const ch = await importCard(alice, '王维');
    const frames = await collectSse(await turn(alice, ch.id, `在吗 ${mock({ fail: '500' })}`));
    expect(frames.map((f) => f.event)).toEqual(['error']);
    expect(frames[0].data.code).toMatch(/^llm_/);
    const page = await alice.get(`/api/characters/${ch.id}/messages`);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.items[0]).toMatchObject({ role: 'user', status: 'failed' });
    // Edited (without the failure directive) and regenerated, it is answered after all: the mark goes.
    expect((await alice.patch(`/api/characters/${ch.id}/messages/${page.body.items[0].id}`, { content: '在吗' })).status).toBe(200);
    const again = await collectSse(await postSse(`${t.url}/api/characters/${ch.id}/messages/regenerate`, alice.cookie));
    expect(again[again.length - 1].event).toBe('done');
    const after = await alice.get(`/api/characters/${ch.id}/messages`);
    expect(after.body.items.map((m: any) => [m.role, m.status])).toEqual([['assistant', 'complete'], ['user', 'complete']]);
  });

  it('marks a user message a dead process left pending as failed when the next turn starts', async () => {
    const ch = await importCard(alice, '岑参');
    await collectSse(await turn(alice, ch.id, '第一句'));
    const first = (await alice.get(`/api/characters/${ch.id}/messages`)).body.items[1];
    expect(first).toMatchObject({ role: 'user', status: 'complete' });
    // What a SIGKILL mid-turn leaves behind: a user message still pending, its lease gone; then the
    // server starts again (embedded mode sweeps a conversation once per process: only a process
    // that died before this one started can have left it).
    await t.ctx.database.db.updateTable('messages').set({ status: 'pending' }).where('id', '=', first.id).execute();
    t = await t.reopen();
    const frames = await collectSse(await turn(alice, ch.id, '第二句'));
    expect(frames[frames.length - 1].event).toBe('done');
    const items = (await alice.get(`/api/characters/${ch.id}/messages`)).body.items;
    expect(items.find((m: any) => m.id === first.id).status).toBe('failed');
    expect(items.filter((m: any) => m.status === 'pending')).toEqual([]);
  });

  it('stores a cut stream as an interrupted reply and ends with an error frame', async () => {
    const ch = await importCard(alice, '孟浩然');
    const frames = await collectSse(await turn(alice, ch.id, `讲个故事 ${mock({ fail: 'cut', cutAfter: 3, numbered: true })}`));
    expect(frames.filter((f) => f.event === 'token').map((f) => f.data.text).join('')).toBe('t1 t2 t3 ');
    expect(frames[frames.length - 1].event).toBe('error');
    const page = await alice.get(`/api/characters/${ch.id}/messages`);
    expect(page.body.items[0]).toMatchObject({ role: 'assistant', status: 'interrupted', content: 't1 t2 t3 ' });
    expect(page.body.items[1]).toMatchObject({ role: 'user', status: 'complete' });
  });

  it('times out a silent LLM with an error frame', async () => {
    const ch = await importCard(alice, '贺知章');
    const frames = await collectSse(await turn(alice, ch.id, `? ${mock({ fail: 'hang' })}`));
    expect(frames[frames.length - 1].event).toBe('error');
    expect(frames[frames.length - 1].data.code).toMatch(/^llm_timeout/);
  });

  it('aborts the upstream request when the client disconnects, keeping the partial reply', async () => {
    const ch = await importCard(alice, '白居易');
    const before = llm.stats().aborted;
    const ac = new AbortController();
    const res = await turn(alice, ch.id, `慢慢说 ${mock({ tokens: 200, tps: 20, numbered: true })}`, ac.signal);
    let got = 0;
    try {
      for await (const f of readSse(res)) {
        if (f.event === 'token' && ++got === 2) ac.abort();
      }
    } catch {
      /* the abort ends our read */
    }
    await waitFor(async () => llm.stats().aborted > before);
    const msg = await waitFor(async () => {
      const p = await alice.get(`/api/characters/${ch.id}/messages`);
      return p.body.items[0]?.role === 'assistant' && p.body.items[0];
    });
    expect(msg.status).toBe('interrupted');
    expect(msg.content.startsWith('t1 t2')).toBe(true);
  });

  it('answers 409 to a second turn while one is streaming', async () => {
    const ch = await importCard(alice, '李商隐');
    const first = await turn(alice, ch.id, `第一句 ${mock({ tokens: 30, tps: 60 })}`);
    const frames = [];
    for await (const f of readSse(first)) {
      frames.push(f);
      if (frames.length === 1) {
        // The first turn is streaming now.
        const second = await alice.post(`/api/characters/${ch.id}/messages`, { content: '第二句' }, { accept: 'text/event-stream' });
        expect(second.status).toBe(409);
        expect(second.body.error.code).toBe('busy_conversation');
        expect(Number(second.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    expect(frames[frames.length - 1].event).toBe('done');
  });

  it('paginates newest first with a cursor', async () => {
    const ch = await importCard(alice, '岑参');
    for (let i = 0; i < 4; i++) await alice.post(`/api/characters/${ch.id}/messages`, { content: `消息${i} ${mock({ tokens: 2 })}` });
    const p1 = await alice.get(`/api/characters/${ch.id}/messages?limit=3`);
    expect(p1.body.items).toHaveLength(3);
    expect(p1.body.nextBefore).toBe(p1.body.items[2].id);
    const p2 = await alice.get(`/api/characters/${ch.id}/messages?limit=3&before=${p1.body.nextBefore}`);
    const p3 = await alice.get(`/api/characters/${ch.id}/messages?limit=3&before=${p2.body.nextBefore}`);
    const ids = [...p1.body.items, ...p2.body.items, ...p3.body.items].map((m: any) => m.id);
    expect(ids).toHaveLength(8);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
    expect(p3.body.nextBefore).toBeNull();
    expect(p3.body.items[p3.body.items.length - 1].content).toContain('消息0');
  });

  it('edits, regenerates, deletes, clears and exports', async () => {
    const ch = await importCard(alice, '王昌龄');
    const first = await alice.post(`/api/characters/${ch.id}/messages`, { content: '原来的问题' });
    const edited = await alice.patch(`/api/characters/${ch.id}/messages/${first.body.userMessageId}`, { content: '改过的问题' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ content: '改过的问题' });
    expect(edited.body.editedAt).toBeGreaterThan(0);
    expect((await alice.patch(`/api/characters/${ch.id}/messages/${first.body.message.id}`, { content: 'x' })).status).toBe(400);

    const frames = await collectSse(await postSse(`${t.url}/api/characters/${ch.id}/messages/regenerate`, alice.cookie));
    expect(frames[frames.length - 1].event).toBe('done');
    const after = await alice.get(`/api/characters/${ch.id}/messages`);
    expect(after.body.items).toHaveLength(2);
    expect(after.body.items[0].id).toBe(frames[frames.length - 1].data.messageId);
    expect(after.body.items[0].id).not.toBe(first.body.message.id);

    const md = await alice.get(`/api/characters/${ch.id}/export?format=md`);
    expect(md.headers.get('content-type')).toContain('text/markdown');
    expect(md.text).toContain('改过的问题');
    const json = await alice.get(`/api/characters/${ch.id}/export?format=json`);
    expect(JSON.parse(json.text).messages).toHaveLength(2);

    expect((await alice.del(`/api/characters/${ch.id}/messages/${after.body.items[0].id}`)).status).toBe(204);
    expect((await alice.get(`/api/characters/${ch.id}/messages`)).body.items).toHaveLength(1);
    expect((await alice.del(`/api/characters/${ch.id}/messages`)).status).toBe(204);
    expect((await alice.get(`/api/characters/${ch.id}/messages`)).body.items).toHaveLength(0);
  });

  it('shows the assembled prompt with each part\'s size', async () => {
    const ch = await importCard(alice, '高适');
    await alice.post(`/api/characters/${ch.id}/messages`, { content: '你好高适' });
    const p = await alice.get(`/api/characters/${ch.id}/prompt`);
    expect(p.status).toBe(200);
    expect(p.body.parts.map((x: any) => x.name)).toEqual(['rules', 'profile', 'long_term_memory', 'short_term_memory', 'user_profile', 'recent_messages']);
    expect(p.body.messages[0].role).toBe('system');
    expect(p.body.messages[0].content).toContain('高适');
    expect(p.body.parts[5].text).toContain('你好高适');
  });

  it('compresses memory after the reply, without delaying it', async () => {
    const c = t.client();
    await c.register();
    await c.put('/api/me/settings', { chatModel: null, budgetSession: 200, budgetShortTerm: 100, budgetLongTerm: 100, profileText: '', groupRounds: 3 });
    const ch = await importCard(c, '李清照');
    // Summaries are held at the mock until the gate opens: were they on the request path, no turn would answer.
    const heldSummary = mockJson({ gate: `summaries-${dialect}` });
    for (let i = 0; i < 6; i++) {
      const r = await c.post(`/api/characters/${ch.id}/messages`, { content: `这是第${i}段比较长的话，讲一讲宋词里的婉约与豪放，以及你在汴京的生活。${heldSummary}` });
      expect(r.status).toBe(200);
    }
    expect((await c.get(`/api/characters/${ch.id}/memories`)).body.shortTerm).toEqual([]);
    llm.openGate(`summaries-${dialect}`);
    const mem = await waitFor(async () => {
      const m = await c.get(`/api/characters/${ch.id}/memories`);
      return m.body.shortTerm.length + m.body.longTerm.length > 0 && m.body;
    }, 20_000);
    const summary = mem.shortTerm[0] ?? mem.longTerm[0];
    expect(summary.content.length).toBeGreaterThan(0);
    const page = await c.get(`/api/characters/${ch.id}/messages?limit=100`);
    expect(page.body.items).toHaveLength(12);
    // Compressed messages stay in the history.
  });

  it('deduplicates memory jobs: 20 concurrent requests compress each message once', async () => {
    const c = t.client();
    await c.register();
    await c.put('/api/me/settings', { chatModel: null, budgetSession: 200, budgetShortTerm: 16000, budgetLongTerm: 16000, profileText: '', groupRounds: 3 });
    const ch = await importCard(c, '辛弃疾');
    for (let i = 0; i < 4; i++) await c.post(`/api/characters/${ch.id}/messages`, { content: `醉里挑灯看剑，梦回吹角连营。第${i}次。${mockJson({ ttftMs: 400 })}` });
    const rs = await Promise.all(Array.from({ length: 20 }, () => c.post(`/api/characters/${ch.id}/memories/compress`)));
    expect(rs.every((r) => r.status === 202)).toBe(true);
    // Wait until every memory job has run (and compressed what it found).
    const mem = await waitFor(async () => {
      const counts = await t.ctx.queue.counts(MEMORY_JOB);
      const m = (await c.get(`/api/characters/${ch.id}/memories`)).body;
      return counts.waiting + counts.running === 0 && m.shortTerm.length > 0 && m;
    }, 20_000);
    const ranges = mem.shortTerm.map((m: any) => [m.rangeStart, m.rangeEnd]).sort((a: number[], b: number[]) => a[0] - b[0]);
    expect(ranges.length).toBeGreaterThan(0);
    for (let i = 1; i < ranges.length; i++) expect(ranges[i][0]).toBeGreaterThan(ranges[i - 1][1]);
  });

  it('keeps pinned long-term memories when trimming', async () => {
    const c = t.client();
    const u = await c.register();
    const ch = await importCard(c, '陆游');
    const db = t.ctx.database.db;
    const now = Date.now();
    for (let i = 0; i < 10; i++) {
      await db.insertInto('memory_items').values({ character_id: ch.id, conversation_id: null, kind: 'long_term', content: `用户 | 事实${i} | ${'细节'.repeat(20)}`, importance: i / 10, pinned: 0, range_start: null, range_end: null, created_at: now, updated_at: now }).execute();
    }
    const listed = (await c.get(`/api/characters/${ch.id}/memories`)).body.longTerm;
    const low = listed.find((m: any) => m.content.includes('事实0'));
    expect((await c.patch(`/api/characters/${ch.id}/memories/${low.id}`, { pinned: true })).body.pinned).toBe(true);
    const edited = listed.find((m: any) => m.content.includes('事实5'));
    expect((await c.patch(`/api/characters/${ch.id}/memories/${edited.id}`, { content: '用户 | 改过 | 的记忆' })).status).toBe(200);
    await c.put('/api/me/settings', { chatModel: null, budgetSession: 2000, budgetShortTerm: 800, budgetLongTerm: 100, profileText: '', groupRounds: 3 });
    await c.post(`/api/characters/${ch.id}/memories/compress`);
    const after = await waitFor(async () => {
      const m = (await c.get(`/api/characters/${ch.id}/memories`)).body.longTerm;
      return m.length < 10 && m;
    });
    expect(after.map((m: any) => m.id)).toContain(low.id);
    expect(after.find((m: any) => m.id === low.id).pinned).toBe(true);
    expect(after.some((m: any) => m.content.includes('事实9'))).toBe(true);
    expect(u.id).toBeGreaterThan(0);
    const other = after.find((m: any) => m.id !== low.id);
    expect((await c.del(`/api/characters/${ch.id}/memories/${other.id}`)).status).toBe(204);
  });

  it('keeps the prompt inspector to the owner, as /messages is (an admin too gets 404); reading creates nothing', async () => {
    expect((await alice.get('/api/auth/me')).body.user.isAdmin).toBe(true);
    const ch = await importCard(bob, '骆宾王');
    expect((await alice.get(`/api/characters/${ch.id}/prompt`)).status).toBe(404);
    expect((await alice.get(`/api/characters/${ch.id}/messages`)).status).toBe(404);
    expect((await bob.get(`/api/characters/${ch.id}/messages`)).body).toEqual({ items: [], nextBefore: null });
    const prompt = await bob.get(`/api/characters/${ch.id}/prompt`);
    expect(prompt.status).toBe(200);
    expect(prompt.body.messages[0].content).toContain('骆宾王');
    const conversations = await t.ctx.database.db.selectFrom('conversations').select('id').where('character_id', '=', ch.id).execute();
    expect(conversations).toEqual([]);
  });

  it('answers 404 to another user on every chat route', async () => {
    const ch = await importCard(alice, '刘禹锡');
    const r = await alice.post(`/api/characters/${ch.id}/messages`, { content: '你好' });
    const mid = r.body.message.id;
    const mem = await t.ctx.database.db
      .insertInto('memory_items')
      .values({ character_id: ch.id, conversation_id: null, kind: 'long_term', content: 'x', importance: 0.5, pinned: 0, range_start: null, range_end: null, created_at: 1, updated_at: 1 })
      .returning('id')
      .executeTakeFirstOrThrow();
    const base = `/api/characters/${ch.id}`;
    const results = await Promise.all([
      bob.post(`${base}/messages`, { content: 'hi' }),
      bob.post(`${base}/messages`, { content: 'hi' }, { accept: 'text/event-stream' }),
      bob.post(`${base}/messages/regenerate`),
      bob.get(`${base}/messages`),
      bob.patch(`${base}/messages/${r.body.userMessageId}`, { content: 'x' }),
      bob.del(`${base}/messages/${mid}`),
      bob.del(`${base}/messages`),
      bob.get(`${base}/export?format=json`),
      bob.get(`${base}/prompt`),
      bob.get(`${base}/memories`),
      bob.patch(`${base}/memories/${mem.id}`, { pinned: true }),
      bob.del(`${base}/memories/${mem.id}`),
      bob.post(`${base}/memories/compress`),
      bob.put(`${base}/messages/${mid}/alternative`, { index: 0 }),
      bob.post(`${base}/messages/continue`),
    ]);
    for (const res of results) expect(res.status).toBe(404);
    // Bob's own character cannot reach Alice's memory either.
    const mine = await importCard(bob, 'Bob的角色');
    expect((await bob.patch(`/api/characters/${mine.id}/memories/${mem.id}`, { pinned: true })).status).toBe(404);
    expect((await alice.get(`${base}/messages`)).body.items).toHaveLength(2);
  });
});
