/**
 * What was really sent: a chat reply and a group member's reply each keep a record of the exact
 * messages, model, parameters, usage, latency and active prompt versions; parts repeated from turn
 * to turn are stored once; the lorebook entries that fired are kept; the owner and an admin
 * (audited) can read it, nobody else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../../tools/mock-llm.js';
import { DIALECTS } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { collectSse, postSse } from '../../support/sse.js';
import { importCard } from '../../support/characters.js';
import { mockLlmEnv } from '../../support/mock-llm.js';

describe.each(DIALECTS)('inspection records on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  let admin: TestClient;
  let alice: TestClient;
  let bob: TestClient;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 1, tokens: 4, tps: 5000 });
    t = await startTestApp(dialect, mockLlmEnv(llm));
    admin = t.client();
    await admin.register('inspect_admin');
    alice = t.client();
    await alice.register();
    bob = t.client();
    await bob.register();
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  const lastDone = async (res: Response) => {
    const frames = await collectSse(res);
    return frames.filter((f) => f.event === 'message_done' || f.event === 'done');
  };

  it('records a chat reply: messages, model, usage, latency, prompt versions; owner and audited admin only', async () => {
    const ch = await importCard(alice, '李白');
    const first = await lastDone(await postSse(`${t.url}/api/characters/${ch.id}/messages`, alice.cookie, { content: '你好' }));
    const second = await lastDone(await postSse(`${t.url}/api/characters/${ch.id}/messages`, alice.cookie, { content: '再来一首' }));
    const firstId = first.at(-1)!.data.messageId;
    const secondId = second.at(-1)!.data.messageId;
    await t.ctx.inspections.flush();

    const r = await alice.get(`/api/messages/${secondId}/inspect`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ recorded: true, usage: { completionTokens: expect.any(Number) } });
    expect(r.body.model).toBeTruthy();
    expect(r.body.latencyMs).toBeGreaterThanOrEqual(0);
    expect(r.body.messages[0].role).toBe('system');
    expect(r.body.messages[0].content).toContain('你现在就是李白');
    expect(r.body.messages.at(-1)).toMatchObject({ role: 'user', content: '再来一首' });
    const rulesVersion = r.body.promptVersions.find((v: any) => v.key === 'chat.rules');
    expect(rulesVersion.version).toBe(1);

    // The system part did not change between the two turns: one stored copy serves both.
    const f = (await alice.get(`/api/messages/${firstId}/inspect`)).body;
    expect(f.messages[0].hash).toBe(r.body.messages[0].hash);
    const copies = await t.ctx.database.db.selectFrom('prompt_parts').select('hash').where('hash', '=', r.body.messages[0].hash).execute();
    expect(copies).toHaveLength(1);

    // The user's own message has no record; someone else's message is not found.
    expect((await alice.get(`/api/messages/${secondId - 1}/inspect`)).body).toEqual({ messageId: secondId - 1, recorded: false });
    expect((await bob.get(`/api/messages/${secondId}/inspect`)).status).toBe(404);
    expect((await t.client().get(`/api/messages/${secondId}/inspect`)).status).toBe(401);
    expect((await bob.get(`/api/admin/messages/${secondId}/inspect`)).status).toBe(403);
    const asAdmin = await admin.get(`/api/admin/messages/${secondId}/inspect`);
    expect(asAdmin.body.messages).toEqual(r.body.messages);
    expect((await admin.get('/api/admin/audit')).body.items[0]).toMatchObject({ action: 'inspect.message', subject: `message ${secondId}` });
  });

  it('keeps the lorebook entries that fired for a reply', async () => {
    const character_book = { scan_depth: 2, entries: [{ id: 1, keys: ['长安'], content: '长安是{{char}}求仕之地。', extensions: {}, enabled: true, insertion_order: 1, comment: 'city' }] };
    const ch = await importCard(alice, '岑参丙', { character_book });
    const plain = await lastDone(await postSse(`${t.url}/api/characters/${ch.id}/messages`, alice.cookie, { content: '你好' }));
    const fired = await lastDone(await postSse(`${t.url}/api/characters/${ch.id}/messages`, alice.cookie, { content: '我想去长安' }));
    await t.ctx.inspections.flush();
    expect((await alice.get(`/api/messages/${plain.at(-1)!.data.messageId}/inspect`)).body.lore).toEqual([]);
    const r = (await alice.get(`/api/messages/${fired.at(-1)!.data.messageId}/inspect`)).body;
    expect(r.lore).toEqual([{ key: '长安', comment: 'city', position: 'before', tokens: expect.any(Number) }]);
    expect(r.messages[0].content).toContain('长安是岑参丙求仕之地。');
  });

  it('records each group member reply', async () => {
    const a = await importCard(alice, '关羽');
    const b = await importCard(alice, '张飞');
    const g = await alice.post('/api/groups', { name: '桃园', memberIds: [a.id, b.id], mode: 'round_robin', maxRounds: 1 });
    expect(g.status).toBe(201);
    const frames = await lastDone(await postSse(`${t.url}/api/groups/${g.body.id}/messages`, alice.cookie, { content: '二位兄弟好' }));
    const replies = frames.filter((f) => f.event === 'message_done');
    expect(replies.length).toBeGreaterThan(0);
    await t.ctx.inspections.flush();
    for (const reply of replies) {
      const r = await alice.get(`/api/messages/${reply.data.messageId}/inspect`);
      expect(r.body.recorded).toBe(true);
      expect(r.body.messages.some((m: any) => m.content.includes('二位兄弟好'))).toBe(true);
    }
  });
});
