/** Group message actions: delete, edit, regenerate with swipes, "let X speak now", mute, the stored reason, and the moderator's decision in the inspection view. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../tools/mock-llm.js';
import { DIALECTS } from '../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../support/app.js';
import { collectSse, postSse, type Frame } from '../support/sse.js';
import { importCard } from '../support/characters.js';
import { mock, mockLlmEnv } from '../support/mock-llm.js';
import { createTurnEngine, silentSink } from '../../src/features/conversations/engine.js';
import { createGroupsService } from '../../src/features/groups/index.js';

const speakersOf = (frames: Frame[]) => frames.filter((f) => f.event === 'speaker').map((f) => f.data.name as string);

describe.each(DIALECTS)('group message actions on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 2, tokens: 6, tps: 5000 });
    t = await startTestApp(dialect, mockLlmEnv(llm));
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  async function setup(extra: object = { maxRounds: 1 }) {
    const user = t.client();
    const me = await user.register();
    const guan = await importCard(user, '关羽');
    const zhang = await importCard(user, '张飞');
    const liu = await importCard(user, '刘备');
    const g = (await user.post('/api/groups', { name: '桃园', memberIds: [guan.id, zhang.id, liu.id], ...extra })).body as { id: number };
    return { user, userId: me.id, guan, zhang, liu, g, base: `/api/groups/${g.id}` };
  }
  const send = async (c: TestClient, groupId: number, body: object) => collectSse(await postSse(`${t.url}/api/groups/${groupId}/messages`, c.cookie, body));
  const messages = async (c: TestClient, base: string) => (await c.get(`${base}/messages?limit=100`)).body.items as any[];

  it('edits your own messages and deletes any message; replies cannot be edited', async () => {
    const { user, g, base } = await setup();
    await send(user, g.id, { content: '关羽，你好' });
    const [reply, mine] = await messages(user, base);
    expect(reply).toMatchObject({ role: 'assistant', speakerName: '关羽', reason: { by: 'mention' } });

    const edited = await user.patch(`${base}/messages/${mine.id}`, { content: '关羽，久仰' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ id: mine.id, content: '关羽，久仰', speakerName: null, reason: null });
    expect(edited.body.editedAt).toBeGreaterThan(0);
    const notMine = await user.patch(`${base}/messages/${reply.id}`, { content: 'x' });
    expect(notMine.status).toBe(400);
    expect(notMine.body.error.code).toBe('validation:message');
    expect((await user.patch(`${base}/messages/${mine.id}`, { content: '   ' })).status).toBe(400);

    expect((await user.del(`${base}/messages/${reply.id}`)).status).toBe(204);
    expect((await messages(user, base)).map((m) => m.id)).toEqual([mine.id]);
    expect((await user.del(`${base}/messages/${reply.id}`)).status).toBe(404);
    expect((await user.patch(`${base}/messages/${reply.id}`, { content: 'x' })).status).toBe(404);
  });

  it('regenerates the newest reply as the same member and keeps the earlier versions as swipes', async () => {
    const { user, g, base, zhang } = await setup();
    await send(user, g.id, { content: `张飞，你怎么看？${mock({ numbered: true, tokens: 3 })}` });
    const [first] = await messages(user, base);
    expect(first.alternatives).toBeNull();

    const frames = await collectSse(await postSse(`${t.url}${base}/messages/regenerate`, user.cookie));
    expect(frames.map((f) => f.event).filter((e, i, all) => e !== 'token' || all[i - 1] !== 'token')).toEqual(['speaker', 'token', 'message_done', 'done']);
    expect(frames[0].data).toEqual({ characterId: zhang.id, name: '张飞' });
    const [second, userMessage] = await messages(user, base);
    expect(second).toMatchObject({ characterId: zhang.id, alternatives: { index: 1, count: 2 }, reason: { by: 'mention' } });
    expect(frames.at(-1)!.data).toMatchObject({ messageIds: [second.id], userMessageId: userMessage.id });

    // JSON (no SSE) works too; a third version.
    const third = await user.post(`${base}/messages/regenerate`);
    expect(third.status).toBe(200);
    const [latest] = await messages(user, base);
    expect(latest.alternatives).toEqual({ index: 2, count: 3 });

    const back = await user.put(`${base}/messages/${latest.id}/alternative`, { index: 0 });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ content: first.content, alternatives: { index: 0, count: 3 }, speakerName: '张飞' });
    expect((await user.put(`${base}/messages/${latest.id}/alternative`, { index: 3 })).status).toBe(400);
    expect((await user.put(`${base}/messages/${latest.id}/alternative`, { index: -1 })).status).toBe(400);

    // Nothing to regenerate when the newest message is yours.
    await user.del(`${base}/messages/${latest.id}`);
    const refused = await user.post(`${base}/messages/regenerate`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('conflict:nothing_to_regenerate');
  });

  it('lets a member speak now without a user message', async () => {
    const { user, g, base, liu } = await setup();
    await send(user, g.id, { content: '关羽，你好' });
    const before = await messages(user, base);
    const frames = await collectSse(await postSse(`${t.url}${base}/members/${liu.id}/speak`, user.cookie));
    expect(speakersOf(frames)).toEqual(['刘备']);
    expect(frames.at(-1)!.event).toBe('done');
    const after = await messages(user, base);
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toMatchObject({ role: 'assistant', characterId: liu.id, reason: { by: 'requested' } });
    expect(after.filter((m) => m.role === 'user')).toHaveLength(1);
    const stranger = await importCard(user, '曹操');
    expect((await user.post(`${base}/members/${stranger.id}/speak`)).status).toBe(404);
  });

  it('does not choose a muted member until the mute ends; you can still ask it to speak', async () => {
    const { user, g, base, guan, zhang, liu } = await setup({ mode: 'round_robin', maxRounds: 4 });
    const until = Date.now() + 3600_000;
    const muted = await user.put(`${base}/members/${zhang.id}/mute`, { until });
    expect(muted.status).toBe(200);
    expect(muted.body.members.find((m: any) => m.characterId === zhang.id).mutedUntil).toBe(until);
    expect(muted.body.members.find((m: any) => m.characterId === guan.id).mutedUntil).toBeNull();

    const frames = await send(user, g.id, { content: '大家轮流说说' });
    expect(speakersOf(frames)).toEqual(['关羽', '刘备', '关羽', '刘备']);
    expect((await messages(user, base))[0].reason).toEqual({ by: 'round_robin' });
    // A mention of a muted member in natural mode does not bring it in.
    await user.patch(base, { mode: 'natural', maxRounds: 1 });
    expect(speakersOf(await send(user, g.id, { content: `张飞，刘备，你们说呢 ${mock({ tokens: 2 })}` }))).toEqual(['刘备']);
    // Asking for it does.
    expect(speakersOf(await collectSse(await postSse(`${t.url}${base}/members/${zhang.id}/speak`, user.cookie)))).toEqual(['张飞']);

    expect((await user.put(`${base}/members/${zhang.id}/mute`, { until: Date.now() - 1000 })).status).toBe(400);
    expect((await user.put(`${base}/members/${zhang.id}/mute`, { until: Date.now() + 40 * 86400_000 })).status).toBe(400);
    expect((await user.put(`${base}/members/${zhang.id}/mute`, { until: 'soon' })).status).toBe(400);
    const unmuted = await user.put(`${base}/members/${zhang.id}/mute`, { until: null });
    expect(unmuted.body.members.every((m: any) => m.mutedUntil === null)).toBe(true);
    const stranger = await importCard(user, '曹操');
    expect((await user.put(`${base}/members/${stranger.id}/mute`, { until })).status).toBe(404);
    expect(liu.id).toBeGreaterThan(0);
  });

  it('keeps the moderator\'s prompt, answer and reason for the inspection view', async () => {
    const { user, userId, g, base } = await setup({ maxRounds: 1 });
    const ctx = t.ctx;
    const answers = [
      { next_speaker: '张飞', confidence: 0.9, reason: '张飞性急，必先开口' },
      { next_speaker: '关羽', confidence: 0.2, reason: '不如等主公开口' },
    ];
    const stub: typeof ctx.llm = Object.assign(Object.create(ctx.llm), {
      async completeJson(req: { onAnswerText?: (text: string) => void }) {
        const answer = answers.shift()!;
        req.onAnswerText?.(`\`\`\`json\n${JSON.stringify(answer)}\n\`\`\``);
        return answer;
      },
    });
    const engine = createTurnEngine({ db: ctx.database.db, llm: stub, locks: ctx.locks, memory: ctx.memory, leaseMs: 10_000, onReply: (r) => ctx.inspections.record({ messageId: r.messageId, messages: r.request.messages, usage: r.usage, latencyMs: r.latencyMs }) });
    const groups = createGroupsService({ db: ctx.database.db, cache: ctx.cache, engine, llm: stub, prompts: ctx.prompts, characters: ctx.characters, users: ctx.users, memory: ctx.memory, recordDecision: (d) => ctx.inspections.recordDecision(d) });
    const r = await groups.turn({ userId }, g.id, { content: '今天天气不错' }, silentSink(new AbortController().signal));
    expect(r).toMatchObject({ rounds: 1, moderatorCalls: 1, decidedBy: { moderator: 1 } });
    await ctx.inspections.flush();

    const reply = (await messages(user, base))[0];
    expect(reply).toMatchObject({ speakerName: '张飞', reason: { by: 'moderator', score: 0.9, reason: '张飞性急，必先开口' } });
    const seen = await user.get(`/api/messages/${reply.id}/inspect`);
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ recorded: true, speakerReason: { by: 'moderator', score: 0.9 } });
    expect(seen.body.moderator).toMatchObject({ outcome: 'moderator', answer: { next_speaker: '张飞', confidence: 0.9 }, candidates: ['关羽', '张飞', '刘备'] });
    expect(seen.body.moderator.prompt).toContain('群聊的中控');
    expect(seen.body.moderator.raw).toEqual([`\`\`\`json\n${JSON.stringify({ next_speaker: '张飞', confidence: 0.9, reason: '张飞性急，必先开口' })}\n\`\`\``]);
    expect(seen.body.moderator.prompt).toContain('今天天气不错');

    // A moderator that chose to wait is kept on the user's message it did not answer.
    const quiet = await groups.turn({ userId }, g.id, { content: '嗯' }, silentSink(new AbortController().signal));
    expect(quiet).toMatchObject({ rounds: 0, stoppedBy: 'moderator_low_confidence' });
    await ctx.inspections.flush();
    const waited = await user.get(`/api/messages/${quiet.userMessageId}/inspect`);
    expect(waited.body).toMatchObject({ recorded: false, moderator: { outcome: 'moderator_low_confidence', answer: { confidence: 0.2 } } });

    const other = t.client();
    await other.register();
    expect((await other.get(`/api/messages/${reply.id}/inspect`)).status).toBe(404);

    // Through the real gateway and the mock LLM: the moderator's text as it wrote it.
    const fresh = await setup({ maxRounds: 1 });
    const r2 = await fresh.user.post(`${fresh.base}/messages`, { content: '今天天气不错' });
    expect(r2.body.moderatorCalls).toBe(1);
    const decidedOn = r2.body.messageIds[0] ?? r2.body.userMessageId;
    const real = await fresh.user.get(`/api/messages/${decidedOn}/inspect`);
    expect(real.body.moderator.raw).toHaveLength(1);
    expect(JSON.parse(real.body.moderator.raw[0])).toEqual(real.body.moderator.answer);
  });

  it('answers 404 to another user on every message action', async () => {
    const { user, g, base, guan } = await setup();
    await send(user, g.id, { content: '关羽，你好' });
    const [reply, mine] = await messages(user, base);
    const bob = t.client();
    await bob.register();
    const results = await Promise.all([
      bob.patch(`${base}/messages/${mine.id}`, { content: 'x' }),
      bob.del(`${base}/messages/${reply.id}`),
      bob.post(`${base}/messages/regenerate`),
      bob.post(`${base}/messages/regenerate`, undefined, { accept: 'text/event-stream' }),
      bob.put(`${base}/messages/${reply.id}/alternative`, { index: 0 }),
      bob.post(`${base}/members/${guan.id}/speak`),
      bob.put(`${base}/members/${guan.id}/mute`, { until: Date.now() + 60_000 }),
    ]);
    expect(results.map((r) => r.status)).toEqual([404, 404, 404, 404, 404, 404, 404]);
    const still = await messages(user, base);
    expect(still.map((m) => [m.id, m.content])).toEqual([
      [reply.id, reply.content],
      [mine.id, mine.content],
    ]);
    expect((await user.get(base)).body.members.every((m: any) => m.mutedUntil === null)).toBe(true);
  });
});
