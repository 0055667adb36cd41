/**
 * How a streamed reply reaches the client: the first token at once, then frames a window apart
 * (FASTNPC_STREAM_FRAME_MS), the model's stream read at that pace, on a clock all streams share;
 * with 0, each read goes out as it comes. Either way the text is whole and in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../../tools/mock-llm.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { collectSse, postSse } from '../../support/sse.js';
import { importCard } from '../../support/characters.js';
import { mock, mockLlmEnv } from '../../support/mock-llm.js';

const TOKENS = 40;
const EXPECTED = Array.from({ length: TOKENS }, (_, i) => `t${i + 1} `).join('');

describe('stream frames', () => {
  let llm: MockLlm;
  const apps: Record<'paced' | 'unpaced', { t: TestApp; alice: TestClient; characterId: number }> = {} as never;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0 });
    for (const [name, frameMs] of [['paced', '100'], ['unpaced', '0']] as const) {
      const t = await startTestApp('sqlite', { ...mockLlmEnv(llm), FASTNPC_STREAM_FRAME_MS: frameMs });
      const alice = t.client();
      await alice.register();
      apps[name] = { t, alice, characterId: (await importCard(alice, '李白')).id };
    }
  });
  afterAll(async () => {
    for (const app of Object.values(apps)) await app.t.close();
    await llm?.close();
  });

  /** A 40-token reply at 100 tokens/s: its token frames and how long the stream took. */
  const reply = async (name: keyof typeof apps) => {
    const { t, alice, characterId } = apps[name];
    const started = performance.now();
    const frames = await collectSse(await postSse(`${t.url}/api/characters/${characterId}/messages`, alice.cookie, { content: `你好 ${mock({ numbered: true, tokens: TOKENS, tps: 100, ttftMs: 0 })}` }));
    const elapsedMs = performance.now() - started;
    expect(frames.at(-1)!.event).toBe('done');
    const tokens = frames.filter((f) => f.event === 'token').map((f) => f.data.text as string);
    expect(tokens.join('')).toBe(EXPECTED);
    return { tokens, elapsedMs };
  };

  it('paced: the first read goes out at once, then about one frame per 100 ms', async () => {
    const { tokens, elapsedMs } = await reply('paced');
    expect(tokens[0]).toMatch(/^t1 /);
    // After the first, reads come on the pace clock's ticks, a window apart (a late timer makes
    // fewer frames, never more): the first, one at least half a window later, then one per tick.
    expect(tokens.length).toBeLessThanOrEqual(3 + Math.ceil(elapsedMs / 100));
  });

  it('unpaced (0): reads go out as they come, in more frames than paced', async () => {
    const paced = await reply('paced');
    const unpaced = await reply('unpaced');
    expect(unpaced.tokens.length).toBeGreaterThan(paced.tokens.length);
  });
});
