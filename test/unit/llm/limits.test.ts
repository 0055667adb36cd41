import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrokenCircuitError, CircuitBreaker, NotCounted } from '../../../src/infra/llm/breaker.js';
import { AdmissionRefused, Limiter } from '../../../src/infra/llm/limiter.js';
import { parseJsonLoose, validateJson } from '../../../src/infra/llm/json.js';
import { Type } from '@sinclair/typebox';

describe('Limiter', () => {
  it('admits up to the limit, queues FIFO, refuses past the queue', async () => {
    const limiter = new Limiter({ concurrency: 1, queueMax: 1, queueWaitMs: 10_000 });
    const release = await limiter.acquire();
    const waiting = limiter.acquire();
    await expect(limiter.acquire()).rejects.toEqual(new AdmissionRefused('queue_full'));
    release();
    const release2 = await waiting;
    expect(limiter.inFlight).toBe(1);
    release2();
    release2(); // idempotent
    expect(limiter.inFlight).toBe(0);
  });

  it('drops a waiter whose caller aborts', async () => {
    const limiter = new Limiter({ concurrency: 1, queueMax: 5, queueWaitMs: 10_000 });
    const release = await limiter.acquire();
    const ctrl = new AbortController();
    const waiting = limiter.acquire(ctrl.signal);
    ctrl.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(limiter.queued).toBe(0);
    release();
    expect(limiter.inFlight).toBe(0);
  });
});

describe('CircuitBreaker', () => {
  afterEach(() => vi.useRealTimers());
  const ok = () => Promise.resolve('token');
  const fail = () => Promise.reject(new Error('502'));
  const run = async (b: CircuitBreaker, outcomes: boolean[]) => {
    for (const good of outcomes) await b.execute(good ? ok : fail).catch(() => {});
  };
  const options = { failureRate: 0.5, windowMs: 10_000, minCalls: 20, cooldownMs: 1000 };

  it('stays closed at a 20 % failure rate, however many calls', async () => {
    const b = new CircuitBreaker(options);
    await run(b, Array.from({ length: 500 }, (_, i) => i % 5 !== 0));
    expect(b.current).toBe('closed');
    expect(b.refusalMs()).toBe(0);
  });

  it('never opens below the minimum volume, even when every call fails', async () => {
    const b = new CircuitBreaker(options);
    await run(b, Array.from({ length: 10 }, () => false));
    expect(b.current).toBe('closed');
  });

  it('does not count attempts the caller abandoned', async () => {
    const b = new CircuitBreaker(options);
    for (let i = 0; i < 50; i++) await b.execute(() => Promise.reject(new NotCounted(new Error('gone')))).catch(() => {});
    expect(b.current).toBe('closed');
  });

  it('opens on a high failure rate, refuses until the cooldown, then one probe closes it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const b = new CircuitBreaker(options);
    await run(b, Array.from({ length: 40 }, (_, i) => i % 4 === 0));
    expect(b.current).toBe('open');
    expect(b.refusalMs()).toBeGreaterThan(0);
    await expect(b.execute(ok)).rejects.toBeInstanceOf(BrokenCircuitError);
    vi.setSystemTime(Date.now() + 1001);
    expect(b.refusalMs()).toBe(0);
    await expect(b.execute(ok)).resolves.toBe('token');
    expect(b.current).toBe('closed');
  });
});

describe('JSON helpers', () => {
  it('parses the outermost object out of prose and converts numeric strings', () => {
    const parsed = parseJsonLoose('当然：```json\n{"confidence": "0.8"}\n```');
    expect(parsed.ok).toBe(true);
    const checked = validateJson(Type.Object({ confidence: Type.Number() }), parsed.ok ? parsed.value : null);
    expect(checked).toEqual({ ok: true, value: { confidence: 0.8 } });
  });

  it('names the problems of an invalid answer', () => {
    const checked = validateJson(Type.Object({ a: Type.String() }), { b: 1 });
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.error).toContain('/a');
  });
});
