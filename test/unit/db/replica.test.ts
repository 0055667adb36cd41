/**
 * The replica router's rules, with scripted pools and fake timers: the replica is used only
 * inside a request that allows it and only while probes prove it fresh; it stops being used
 * within MAX_LAG_MS of falling behind, and a failed checkout falls back to the primary.
 * (test/deploy/read-replica.test.ts runs the same against a real streaming replica.)
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type pg from 'pg';
import { MAX_LAG_MS, PROBE_MS, createReplicaRouter, parseLsn, readPolicy, type ReplicaRouter } from '../../../src/infra/db/replica.js';

/** A pool whose probe query answers `lsn()`, and whose connect() names the pool. */
function fakePool(name: string, lsn: () => string | null, down = () => false) {
  return {
    query: async () => {
      if (down()) throw new Error(`${name} is down`);
      return { rows: [{ lsn: lsn() }] };
    },
    connect: async () => {
      if (down()) throw new Error(`${name} is down`);
      return { name, release() {} };
    },
  } as unknown as pg.Pool;
}

describe('replica router', () => {
  let primaryLsn = 100;
  let replayLsn = 100;
  let replicaDown = false;
  let router: ReplicaRouter;
  const hex = (n: number) => `0/${n.toString(16).toUpperCase()}`;
  const target = async (primary: boolean | undefined) => {
    const checkout = () => router.pool.connect() as unknown as Promise<{ name: string }>;
    return (await (primary === undefined ? checkout() : readPolicy.run({ primary }, checkout))).name;
  };

  beforeEach(() => {
    vi.useFakeTimers();
    primaryLsn = 100;
    replayLsn = 100;
    replicaDown = false;
    router = createReplicaRouter(
      fakePool('primary', () => hex(primaryLsn)),
      fakePool('replica', () => hex(replayLsn), () => replicaDown),
    );
  });
  afterEach(async () => {
    await router.close();
    vi.useRealTimers();
  });

  it('compares WAL positions as numbers', () => {
    expect(parseLsn('0/FFFFFFFF') < parseLsn('1/0')).toBe(true);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) + 0xb374d848n);
  });

  it('uses the replica only once proven fresh, and only for requests that allow it', async () => {
    await vi.advanceTimersByTimeAsync(0);
    // One probe gives the primary's position but proves nothing yet.
    expect(router.usable()).toBe(false);
    expect(await target(false)).toBe('primary');
    await vi.advanceTimersByTimeAsync(PROBE_MS);
    expect(router.usable()).toBe(true);
    expect(await target(false)).toBe('replica');
    expect(await target(true)).toBe('primary');
    expect(await target(undefined)).toBe('primary');
    expect(router.routed).toEqual({ primary: 3, replica: 1 });
  });

  it('stops using a replica that falls behind within MAX_LAG_MS, and uses it again once it caught up', async () => {
    await vi.advanceTimersByTimeAsync(PROBE_MS);
    expect(router.usable()).toBe(true);
    // The primary keeps writing; the replica stops replaying.
    const writer = setInterval(() => (primaryLsn += 10), 100);
    let stale = 0;
    while (router.usable()) {
      await vi.advanceTimersByTimeAsync(100);
      stale += 100;
    }
    expect(stale).toBeLessThanOrEqual(MAX_LAG_MS);
    expect(await target(false)).toBe('primary');
    clearInterval(writer);
    replayLsn = primaryLsn;
    await vi.advanceTimersByTimeAsync(2 * PROBE_MS);
    expect(router.usable()).toBe(true);
  });

  it('falls back to the primary at once when the replica refuses a connection, until a probe sees it again', async () => {
    await vi.advanceTimersByTimeAsync(PROBE_MS);
    replicaDown = true;
    expect(await target(false)).toBe('primary');
    expect(router.usable()).toBe(false);
    await vi.advanceTimersByTimeAsync(3 * PROBE_MS);
    expect(router.usable()).toBe(false);
    replicaDown = false;
    await vi.advanceTimersByTimeAsync(2 * PROBE_MS);
    expect(await target(false)).toBe('replica');
  });

  it('treats a read URL that is not a standby (no replay position) as always current', async () => {
    await router.close();
    router = createReplicaRouter(fakePool('primary', () => hex(primaryLsn)), fakePool('replica', () => null));
    await vi.advanceTimersByTimeAsync(0);
    expect(router.usable()).toBe(true);
  });
});
