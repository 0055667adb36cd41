/**
 * The pace clock (src/infra/llm/read-pacing.ts): paused upstream reads resume together on one
 * tick per period, never sooner than half a period after their pause.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PaceClock, STREAMS_PER_PASS } from '../../../src/infra/llm/read-pacing.js';

describe('pace clock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance'] });
  });
  afterEach(() => vi.useRealTimers());

  /** Advances to `at` ms and answers who was released (in order). */
  const releasedBy = (at: number, log: string[]) => {
    vi.advanceTimersByTime(at - performance.now());
    return [...log];
  };
  const pacer = (name: string, log: string[]) => ({ release: () => log.push(name) });

  it('resumes pacers paused at different times on the same tick', () => {
    const log: string[] = [];
    const clock = new PaceClock(100);
    vi.advanceTimersByTime(1010);
    expect(clock.add(pacer('a', log))).toBe(1100); // ≥ 1060
    vi.advanceTimersByTime(30);
    expect(clock.add(pacer('b', log))).toBe(1100); // ≥ 1090
    expect(releasedBy(1099, log)).toEqual([]);
    expect(releasedBy(1100, log)).toEqual(['a', 'b']);
  });

  it('waits at least half a period: a pause just before a tick waits for the one after', () => {
    const log: string[] = [];
    const clock = new PaceClock(100);
    vi.advanceTimersByTime(1070);
    expect(clock.add(pacer('late', log))).toBe(1200);
    expect(clock.add(pacer('later', log))).toBe(1200);
    expect(releasedBy(1199, log)).toEqual([]);
    expect(releasedBy(1200, log)).toEqual(['late', 'later']);
  });

  it('keeps one timer, for the earliest tick, then moves on to the next', () => {
    const log: string[] = [];
    const clock = new PaceClock(100);
    vi.advanceTimersByTime(1010);
    clock.add(pacer('first', log)); // 1100
    vi.advanceTimersByTime(60);
    clock.add(pacer('second', log)); // 1200
    expect(vi.getTimerCount()).toBe(1);
    expect(releasedBy(1100, log)).toEqual(['first']);
    expect(vi.getTimerCount()).toBe(1);
    expect(releasedBy(1200, log)).toEqual(['first', 'second']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('forgets a pacer taken off its tick', () => {
    const log: string[] = [];
    const clock = new PaceClock(100);
    vi.advanceTimersByTime(1000);
    const a = pacer('a', log);
    const tick = clock.add(a);
    clock.add(pacer('b', log));
    clock.remove(a, tick);
    expect(releasedBy(1100, log)).toEqual(['b']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resumes a crowded tick a hundred streams per pass of the event loop, the passes back to back', () => {
    const log: string[] = [];
    const clock = new PaceClock(100);
    vi.advanceTimersByTime(1000);
    const count = STREAMS_PER_PASS * 2 + 50;
    for (let i = 0; i < count; i++) clock.add(pacer(String(i), log));
    vi.advanceTimersToNextTimer(); // the tick
    expect(performance.now()).toBe(1100);
    expect(log).toHaveLength(STREAMS_PER_PASS);
    vi.advanceTimersToNextTimer(); // the next pass, at once
    expect(log).toHaveLength(STREAMS_PER_PASS * 2);
    vi.advanceTimersToNextTimer();
    expect(log).toHaveLength(count);
    expect(performance.now()).toBeLessThan(1150); // long before the next tick (fake immediates step 1 ms)
    expect(log).toEqual(Array.from({ length: count }, (_, i) => String(i)));
  });
});
