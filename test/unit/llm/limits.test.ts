import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/infra/llm/breaker.js';
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
  it('opens at the threshold, lets one probe through after the cooldown, closes on success', () => {
    let now = 0;
    const b = new CircuitBreaker({ threshold: 2, cooldownMs: 1000 }, () => now);
    b.tryAcquire();
    b.failure();
    expect(b.current).toBe('closed');
    b.tryAcquire();
    b.failure();
    expect(b.current).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    now = 1000;
    expect(b.tryAcquire()).toBe(true);
    expect(b.current).toBe('half_open');
    expect(b.tryAcquire()).toBe(false); // one probe at a time
    b.failure();
    expect(b.current).toBe('open');
    now = 2000;
    expect(b.tryAcquire()).toBe(true);
    b.success();
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
