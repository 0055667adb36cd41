/**
 * Turns while the LLM misbehaves, through the real app over HTTP: a 20 % error rate before the
 * first token, an outage and its end, and a turn lease whose holder died.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../../tools/mock-llm.js';
import { DIALECTS } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { collectSse, postSse, readSse } from '../../support/sse.js';
import { importCard } from '../../support/characters.js';
import { mock, mockLlmEnv } from '../../support/mock-llm.js';
import { waitFor } from '../../support/wait.js';

describe.each(DIALECTS)('turns under LLM faults on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  let user: TestClient;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 2, tokens: 5, tps: 5000 });
    t = await startTestApp(
      dialect,
      mockLlmEnv(llm, {
        // The shipped breaker policy with one retry fewer than shipped (quicker outage), a short cooldown and lease.
        FASTNPC_LLM_MAX_RETRIES: '2',
        FASTNPC_LLM_BREAKER_FAILURE_PERCENT: '50',
        FASTNPC_LLM_BREAKER_MIN_CALLS: '20',
        FASTNPC_LLM_BREAKER_COOLDOWN_MS: '3000',
        FASTNPC_TURN_LEASE_MS: '1000',
        // Only injected faults should fail a turn, not a loaded test machine.
        FASTNPC_LLM_FIRST_TOKEN_TIMEOUT_MS: '15000',
        FASTNPC_LLM_IDLE_TIMEOUT_MS: '15000',
      }),
    );
    user = t.client();
    await user.register();
  });
  afterEach(() => llm.setFaults({ failureRate: 0, down: false }));
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  const messageCount = async (characterId: number) => (await user.get(`/api/characters/${characterId}/messages?limit=100`)).body.items.length as number;
  const breakerGauge = async () => (await t.ctx.metrics.registry.getSingleMetric('fastnpc_llm_breaker_state')!.get()).values.map((v) => v.value);

  it('at 20 % upstream failures before the first token, retries absorb them and the breaker stays closed', async () => {
    const characters = await Promise.all(Array.from({ length: 10 }, (_, i) => importCard(user, `诗人${i}`)));
    llm.setFaults({ failureRate: 0.2, failStatus: 503 });
    const outcomes: number[] = [];
    const failures: string[] = [];
    // Ten users, ten turns each, concurrently.
    await Promise.all(
      characters.map(async (ch) => {
        for (let i = 0; i < 10; i++) {
          const r = await user.post(`/api/characters/${ch.id}/messages`, { content: `第${i}句` });
          outcomes.push(r.status);
          if (r.status !== 200) failures.push(`${r.status} ${r.body.error?.code}: ${r.body.error?.message}`);
        }
      }),
    );
    const failed = outcomes.filter((s) => s !== 200);
    expect(llm.stats().failed).toBeGreaterThan(5); // the faults did happen…
    expect(failures.length, failures.join('\n')).toBeLessThanOrEqual(3); // …and at most a few turns out of 100 saw them (expected 0.2³ ≈ 0.8 %)
    expect(failed.filter((s) => s === 503)).toEqual([]); // never refused by our own breaker
    expect((await breakerGauge()).every((v) => v === 0)).toBe(true);
  });

  it('when the LLM is down: fast 503 with Retry-After and nothing stored, then recovery', { timeout: 60_000 }, async () => {
    const chars = await Promise.all(['王之涣', '王昌龄', '高适', '岑参', '孟浩然'].map((name) => importCard(user, name)));
    const ch = chars[0];
    llm.setFaults({ down: true });
    // The first turns reach the dead provider and fail; the breaker opens on the failure rate once
    // its window holds enough attempts. Five chats at once reach that volume on a slow machine too.
    const refused = await waitFor(async () => {
      const rs = await Promise.all(chars.map((c) => user.post(`/api/characters/${c.id}/messages`, { content: '在吗' }, { accept: 'text/event-stream' })));
      for (const r of rs) if (r.status === 200) await collectSse(r as never).catch(() => {});
      return rs.find((r) => r.status === 503);
    }, 25_000);
    expect(refused.body.error.code).toMatch(/^llm_unavailable/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // While open, a turn never reaches the provider and leaves no trace, streamed or not.
    const before = { stored: await messageCount(ch.id), requests: llm.stats().requests };
    const streamed = await postSse(`${t.url}/api/characters/${ch.id}/messages`, user.cookie, { content: '还在吗' });
    expect(streamed.status).toBe(503);
    expect(streamed.headers.get('retry-after')).not.toBeNull();
    expect((await user.post(`/api/characters/${ch.id}/messages`, { content: '还在吗' })).status).toBe(503);
    expect(await messageCount(ch.id)).toBe(before.stored);
    expect(llm.stats().requests).toBe(before.requests);

    // The provider is back: after the cooldown a probe goes through and turns succeed again.
    llm.setFaults({ down: false });
    const ok = await waitFor(async () => {
      const r = await user.post(`/api/characters/${ch.id}/messages`, { content: '回来了吗' });
      return r.status === 200 && r;
    });
    expect(ok.body.message.role).toBe('assistant');
    expect((await breakerGauge()).every((v) => v === 0)).toBe(true);
  });

  it('renews the lease of a live turn, and frees the lease of a dead holder within its TTL', async () => {
    const ch = await importCard(user, '王翰');
    // A stream of ~2 s outlives the 1 s lease: the heartbeat keeps it.
    const res = await postSse(`${t.url}/api/characters/${ch.id}/messages`, user.cookie, { content: `慢慢说 ${mock({ tokens: 40, tps: 20, numbered: true })}` });
    let text = '';
    let checked = false;
    for await (const f of readSse(res)) {
      if (f.event === 'token') text += f.data.text;
      if (!checked && text.includes('t30 ')) {
        checked = true; // 1.5 s into the stream
        const second = await user.post(`/api/characters/${ch.id}/messages`, { content: '插一句' });
        expect(second.status).toBe(409);
        expect(second.headers.get('retry-after')).toBe('1');
      }
    }
    expect(checked).toBe(true);

    // A holder that died (took the lease and never renews it): the conversation frees itself.
    const conv = await t.ctx.database.db.selectFrom('conversations').select('id').where('character_id', '=', ch.id).executeTakeFirstOrThrow();
    const dead = await t.ctx.locks.tryAcquire(`turn:${conv.id}`, 1000);
    expect(dead).toBeDefined();
    expect((await user.post(`/api/characters/${ch.id}/messages`, { content: '有人吗' })).status).toBe(409);
    await waitFor(async () => (await user.post(`/api/characters/${ch.id}/messages`, { content: '有人吗' })).status === 200, 5000);
  });
});
