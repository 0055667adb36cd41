/** The mock LLM's fault controls the scenarios rely on: a seeded failure rate, changeable at run time. */
import { afterEach, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../tools/mock-llm.js';

async function statuses(mock: MockLlm, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await fetch(`${mock.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock-model', messages: [{ role: 'user', content: `hi ${i}` }] }) });
    await r.text();
    out.push(r.status);
  }
  return out;
}

describe('mock LLM failure controls', () => {
  const mocks: MockLlm[] = [];
  afterEach(async () => Promise.all(mocks.splice(0).map((m) => m.close())));
  const start = async () => {
    const m = await startMockLlm({ port: 0, ttftMs: 0, tokens: 2, tps: 10_000, seed: 7 });
    mocks.push(m);
    return m;
  };

  it('fails about the given share of requests, the same ones for the same seed, until the defaults are restored', async () => {
    const [a, b] = [await start(), await start()];
    a.setDefaults({ fail: '503', failRate: 0.2 });
    b.setDefaults({ fail: '503', failRate: 0.2 });
    const [ra, rb] = [await statuses(a, 100), await statuses(b, 100)];
    expect(ra).toEqual(rb);
    const failed = ra.filter((s) => s === 503).length;
    expect(failed).toBeGreaterThan(5);
    expect(failed).toBeLessThan(40);
    a.setDefaults({});
    expect(new Set(await statuses(a, 10))).toEqual(new Set([200]));
  });
});
