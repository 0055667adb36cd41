/**
 * The history a prompt reads is always the stored one, whatever changed it between turns: on
 * SQLite (embedded mode) it comes from the process's history cache, which every message write must
 * keep right; on PostgreSQL it is read each turn. The prompt as really sent (the inspection record)
 * is checked after each kind of change: a new turn, an edit, a delete, a swipe, a regenerate,
 * a continue, clearing the chat, an imported chat and compression by the memory job.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../../tools/mock-llm.js';
import { DIALECTS } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { collectSse, postSse } from '../../support/sse.js';
import { importCard } from '../../support/characters.js';
import { mock, mockLlmEnv } from '../../support/mock-llm.js';
import { waitFor } from '../../support/wait.js';

describe.each(DIALECTS)('the history a prompt reads, after every kind of change, on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  let alice: TestClient;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 1, tokens: 6, tps: 5000 });
    t = await startTestApp(dialect, mockLlmEnv(llm));
    alice = t.client();
    await alice.register();
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  const turn = async (path: string, content?: string) => {
    const frames = await collectSse(await postSse(`${t.url}${path}`, alice.cookie, content === undefined ? {} : { content }));
    const done = frames.at(-1)!;
    expect(done.event, JSON.stringify(done.data)).toBe('done');
    return done.data as { messageId: number; userMessageId: number };
  };
  /** The conversation part of the prompt as sent for a reply: everything after the system message(s). */
  const history = async (messageId: number) => {
    await t.ctx.inspections.flush();
    const r = await alice.get(`/api/messages/${messageId}/inspect`);
    expect(r.status).toBe(200);
    return (r.body.messages as { role: string; content: string }[]).filter((m) => m.role !== 'system').map((m) => m.content);
  };
  const stored = async (base: string) => ((await alice.get(`${base}/messages?limit=100`)).body.items as { id: number; role: string; content: string }[]).reverse();

  it('follows turns, edits, deletes, swipes, regenerations, continues and clearing', async () => {
    const ch = await importCard(alice, '李白');
    const base = `/api/characters/${ch.id}`;
    const r1 = await turn(`${base}/messages`, `第一句 ${mock({ tokens: 3 })}`);
    const r2 = await turn(`${base}/messages`, `第二句 ${mock({ tokens: 3 })}`);
    const seen2 = await history(r2.messageId);
    expect(seen2).toContain(`第一句 ${mock({ tokens: 3 })}`);
    const reply1 = (await stored(base)).find((m) => m.id === r1.messageId)!.content;
    expect(seen2).toContain(reply1);
    expect(seen2.at(-1)).toBe(`第二句 ${mock({ tokens: 3 })}`);

    // An edit of an earlier message reaches the next prompt.
    expect((await alice.patch(`${base}/messages/${r1.userMessageId}`, { content: '改过的第一句' })).status).toBe(200);
    const r3 = await turn(`${base}/messages`, `第三句 ${mock({ tokens: 3 })}`);
    const seen3 = await history(r3.messageId);
    expect(seen3).toContain('改过的第一句');
    expect(seen3).not.toContain(`第一句 ${mock({ tokens: 3 })}`);
    // …and so does the reply of the turn before (it was appended, not lost).
    const reply2 = (await stored(base)).find((m) => m.id === r2.messageId)!.content;
    expect(seen3).toContain(reply2);

    // A deleted message is gone from the next prompt.
    expect((await alice.del(`${base}/messages/${r2.userMessageId}`)).status).toBe(204);
    const r4 = await turn(`${base}/messages`, `第四句 ${mock({ tokens: 3 })}`);
    expect(await history(r4.messageId)).not.toContain(`第二句 ${mock({ tokens: 3 })}`);

    // Regenerate (with the question reworded, so the reply differs): the next prompt holds the new
    // reply; a swipe back puts the old one there.
    const before = (await stored(base)).at(-1)!;
    const again = await turn(`${base}/messages/${r4.userMessageId}/regenerate`, `第四句改 ${mock({ tokens: 4 })}`);
    const fresh = (await stored(base)).at(-1)!;
    expect(fresh.id).toBe(again.messageId);
    expect(fresh.content).not.toBe(before.content);
    const r5 = await turn(`${base}/messages`, `第五句 ${mock({ tokens: 3 })}`);
    const seen5 = await history(r5.messageId);
    expect(seen5).toContain(fresh.content);
    expect(seen5).not.toContain(before.content);
    expect((await alice.put(`${base}/messages/${again.messageId}/alternative`, { index: 0 })).body.content).toBe(before.content);
    const r6 = await turn(`${base}/messages`, `第六句 ${mock({ tokens: 3 })}`);
    const seen6 = await history(r6.messageId);
    expect(seen6).toContain(before.content);
    expect(seen6).not.toContain(fresh.content);

    // Continue extends the last reply in place: the next prompt has the longer text.
    await turn(`${base}/messages/continue`);
    const extended = (await stored(base)).at(-1)!;
    expect(extended.id).toBe(r6.messageId);
    const r7 = await turn(`${base}/messages`, `第七句 ${mock({ tokens: 3 })}`);
    expect(await history(r7.messageId)).toContain(extended.content);

    // Cleared: the next prompt starts from nothing.
    expect((await alice.del(`${base}/messages`)).status).toBe(204);
    const r8 = await turn(`${base}/messages`, `第八句 ${mock({ tokens: 3 })}`);
    expect(await history(r8.messageId)).toEqual([`第八句 ${mock({ tokens: 3 })}`]);
  });

  it('an imported chat is what its first prompt reads', async () => {
    const ch = await importCard(alice, '杜甫');
    const created = await alice.post(`/api/characters/${ch.id}/chats`, {});
    expect(created.status).toBe(201);
    const chat = created.body.id as number;
    await turn(`/api/chats/${chat}/messages`, `开场 ${mock({ tokens: 3 })}`);
    const lines = [{ user_name: 'You', character_name: '杜甫' }, { name: 'You', is_user: true, mes: '导入的问题' }, { name: '杜甫', is_user: false, mes: '导入的回答' }].map((l) => JSON.stringify(l)).join('\n');
    const form = new FormData();
    form.append('file', new Blob([lines]), 'chat.jsonl');
    const imported = await alice.post(`/api/characters/${ch.id}/chats/import`, form);
    expect(imported.status).toBe(201);
    const r = await turn(`/api/chats/${imported.body.id}/messages`, `新问题 ${mock({ tokens: 3 })}`);
    const seen = await history(r.messageId);
    expect(seen).toEqual(expect.arrayContaining(['导入的问题', '导入的回答']));
    expect(seen).not.toContain(`开场 ${mock({ tokens: 3 })}`);
  });

  it('leaves out what the memory job compressed', async () => {
    const ch = await importCard(alice, '王维');
    const settings = (await alice.get('/api/me/settings')).body;
    expect((await alice.put('/api/me/settings', { ...settings, budgetSession: 200 })).status).toBe(200);
    const base = `/api/characters/${ch.id}`;
    const first = `这是最早的一句话，很快会被压缩进短期记忆。`.repeat(4);
    await turn(`${base}/messages`, first + mock({ tokens: 12 }));
    for (let i = 2; i <= 6; i++) await turn(`${base}/messages`, `这是一段相当长的第${i}句话，用来把会话撑过预算。`.repeat(4) + mock({ tokens: 12 }));
    await waitFor(async () => (await alice.get(`${base}/memories`)).body.shortTerm.length > 0);
    const r = await turn(`${base}/messages`, `最后一句 ${mock({ tokens: 3 })}`);
    const seen = await history(r.messageId);
    expect(seen.at(-1)).toBe(`最后一句 ${mock({ tokens: 3 })}`);
    expect(seen).not.toContain(first + mock({ tokens: 12 }));
    expect((await settingsRestored(alice, settings)).status).toBe(200);
  });
});

const settingsRestored = (c: TestClient, settings: unknown) => c.put('/api/me/settings', settings);
