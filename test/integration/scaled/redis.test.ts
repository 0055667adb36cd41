/**
 * Cache, pub/sub, rate limits, locks and readiness on real Redis; two infra instances with one
 * prefix stand for two processes. The "Redis down" block needs no Redis and always runs.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { closeAll, DOWN_URL, dropPrefix, freshPrefix, RedisProxy, REDIS_URLS, gate, startInfra, type TestInfra } from './helpers.js';
import { isAppError } from '../../../src/errors.js';
import { waitFor } from '../../support/wait.js';

describe.each(REDIS_URLS)('scaled infra on Redis (%s)', (url) => {
  const opened: TestInfra[] = [];
  let prefix: string;
  let a: TestInfra;
  let b: TestInfra;

  beforeEach(async () => {
    prefix = freshPrefix();
    a = await startInfra(url, prefix, opened);
    b = await startInfra(url, prefix, opened);
  });
  afterEach(async () => {
    await closeAll(opened);
    await dropPrefix(url, prefix);
  });

  describe('cache', () => {
    it('shares values between processes through Redis', async () => {
      await a.cache.set('k', { n: 1 }, 60);
      expect(await b.cache.get('k')).toEqual({ n: 1 });
      expect(await b.cache.get('missing')).toBeUndefined();
      expect(b.cache.stats()).toEqual({ hits: 1, misses: 1 });
    });

    it('wrap loads once for concurrent misses, and another process reads the stored value without loading', async () => {
      const loading = gate();
      const load = vi.fn(async () => {
        await loading.promise;
        return { name: 'Li Bai' };
      });
      const all = Promise.all(Array.from({ length: 5 }, () => a.cache.wrap('profile:1', 60, load)));
      // The load stays pending until the other four callers have had every chance to start theirs.
      await vi.waitFor(() => expect(load).toHaveBeenCalled());
      await new Promise((r) => setImmediate(r));
      loading.open();
      const results = await all;
      expect(results.every((r) => r.name === 'Li Bai')).toBe(true);
      expect(load).toHaveBeenCalledTimes(1);
      const loadB = vi.fn(async () => ({ name: 'other' }));
      expect(await b.cache.wrap('profile:1', 60, loadB)).toEqual({ name: 'Li Bai' });
      expect(loadB).not.toHaveBeenCalled();
    });

    it('caches null (a remembered "not found")', async () => {
      const load = vi.fn(async () => null);
      expect(await a.cache.wrap('gone', 60, load)).toBeNull();
      expect(await b.cache.wrap('gone', 60, load)).toBeNull();
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('a delete in one process drops the other process\'s local copy at once', async () => {
      await a.cache.set('profile:2', 'v1', 60);
      expect(await b.cache.get('profile:2')).toBe('v1'); // now in b's local LRU too
      await a.cache.delete('profile:2');
      // a writes v2 straight to Redis; b must read it, not its local v1.
      await vi.waitFor(async () => {
        await a.cache.set('profile:2', 'v2', 60);
        expect(await b.cache.get('profile:2')).toBe('v2');
      }, { timeout: 1000, interval: 10 });
    });

    it('a load that races a delete does not put the old value back in Redis', async () => {
      let release!: () => void;
      const slow = new Promise<void>((r) => (release = r));
      let loading = false;
      const pending = a.cache.wrap('profile:3', 60, async () => {
        loading = true;
        await slow;
        return 'stale';
      });
      await vi.waitFor(() => expect(loading).toBe(true));
      await b.cache.delete('profile:3'); // the write happened while a was loading
      release();
      expect(await pending).toBe('stale'); // a's caller still gets what it loaded
      const load = vi.fn(async () => 'fresh');
      expect(await b.cache.wrap('profile:3', 60, load)).toBe('fresh');
      expect(load).toHaveBeenCalledTimes(1);
    });

    it('keeps a value locally no longer than its TTL', async () => {
      await a.cache.set('short', 'x', 1);
      expect(await b.cache.get('short')).toBe('x');
      await vi.waitFor(async () => {
        expect(await a.cache.get('short')).toBeUndefined();
        expect(await b.cache.get('short')).toBeUndefined();
      }, { timeout: 5000, interval: 100 });
    });
  });

  it('pub/sub delivers JSON between processes until unsubscribed', async () => {
    const got: unknown[] = [];
    const unsubscribe = await b.pubsub.subscribe('job:42', (m) => got.push(m));
    await a.pubsub.publish('job:42', { step: 'sections', done: 3 });
    await vi.waitFor(() => expect(got).toEqual([{ step: 'sections', done: 3 }]), { timeout: 1000 });
    await unsubscribe();
    // Messages from one publisher arrive in order: once a later marker is in, the late one would be too.
    const markers: unknown[] = [];
    await b.pubsub.subscribe('job:43', (m) => markers.push(m));
    await a.pubsub.publish('job:42', { step: 'late' });
    await a.pubsub.publish('job:43', { marker: true });
    await vi.waitFor(() => expect(markers).toHaveLength(1), { timeout: 1000 });
    expect(got).toHaveLength(1);
  });

  it('a rate limit counts hits from every process in one window', async () => {
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await (i % 2 ? b : a).limiter.hit('chat:user1', 3, 60_000));
    expect(results.map((r) => r.allowed)).toEqual([true, true, true, false]);
    expect(results[2].remaining).toBe(0);
    expect(results[3].retryAfter).toBeGreaterThanOrEqual(59);
    expect((await a.limiter.hit('chat:user2', 3, 60_000)).allowed).toBe(true);
  });

  it('the window resets after windowMs', async () => {
    expect((await a.limiter.hit('k', 1, 300)).allowed).toBe(true);
    expect((await b.limiter.hit('k', 1, 300)).allowed).toBe(false);
    await vi.waitFor(async () => expect((await b.limiter.hit('k', 1, 300)).allowed).toBe(true), { timeout: 5000, interval: 50 });
  });

  describe('locks', () => {
    it('a lease held by one process is refused to the other until released', async () => {
      const lease = await a.locks.tryAcquire('conv:1', 10_000);
      expect(lease).toBeDefined();
      expect(await b.locks.tryAcquire('conv:1', 10_000)).toBeUndefined();
      await lease!.release();
      const again = await b.locks.tryAcquire('conv:1', 10_000);
      expect(again).toBeDefined();
      await again!.release();
    });

    it('an expired holder cannot release the lease someone else took since', async () => {
      const old = await a.locks.tryAcquire('conv:2', 100);
      let current: Awaited<ReturnType<typeof b.locks.tryAcquire>>;
      await vi.waitFor(async () => expect((current = await b.locks.tryAcquire('conv:2', 10_000))).toBeDefined(), { timeout: 5000, interval: 20 });
      expect(await old!.renew()).toBe(false);
      await old!.release();
      expect(await a.locks.tryAcquire('conv:2', 10_000)).toBeUndefined();
    });

    it('a renewed lease outlives its first TTL; an abandoned one frees itself', async () => {
      const held = await a.locks.tryAcquire('conv:3', 300);
      const abandoned = await a.locks.tryAcquire('conv:4', 300);
      expect(abandoned).toBeDefined();
      // Renew the first until the second (never renewed) has expired.
      await waitFor(async () => {
        expect(await held!.renew()).toBe(true);
        const taken = await b.locks.tryAcquire('conv:4', 10_000);
        return taken !== undefined;
      });
      expect(await b.locks.tryAcquire('conv:3', 10_000)).toBeUndefined();
      await held!.release();
    });
  });

  it('readiness passes while Redis answers', async () => {
    expect(a.readiness).toMatchObject({ name: 'redis', critical: false });
    await expect(a.readiness.check()).resolves.toBeUndefined();
  });

  it('falls back while Redis is unreachable and uses it again once it is back', async () => {
    const proxy = new RedisProxy(url);
    await proxy.start();
    const p = await startInfra(proxy.url, prefix, opened);
    expect((await p.limiter.hit('ip:1', 1, 60_000)).allowed).toBe(true);
    expect((await a.limiter.hit('ip:1', 1, 60_000)).allowed).toBe(false); // shared: Redis counted p's hit

    await proxy.stop();
    await vi.waitFor(() => expect(p.readiness.check()).rejects.toThrow(), { timeout: 2000 });
    // Per-process limits now: p's own window is fresh.
    expect((await p.limiter.hit('ip:1', 1, 60_000)).allowed).toBe(true);
    expect((await p.limiter.hit('ip:1', 1, 60_000)).allowed).toBe(false);
    const load = vi.fn(async () => 'loaded');
    expect(await p.cache.wrap('down:k', 60, load)).toBe('loaded');
    const enqueue = p.queue.enqueue('memory', { conversationId: 1 });
    await expect(enqueue).rejects.toSatisfy((e) => isAppError(e, 'unavailable') && e.status === 503);

    await proxy.start();
    await vi.waitFor(() => expect(p.readiness.check()).resolves.toBeUndefined(), { timeout: 10_000, interval: 100 });
    expect((await p.limiter.hit('ip:2', 1, 60_000)).allowed).toBe(true);
    expect((await a.limiter.hit('ip:2', 1, 60_000)).allowed).toBe(false);
    // Invalidations reach p again: its subscriber re-subscribed after the reconnect.
    await p.cache.get('down:k');
    await a.cache.set('after', 'v1', 60);
    expect(await p.cache.get('after')).toBe('v1');
    await a.cache.delete('after');
    await vi.waitFor(async () => {
      await a.cache.set('after', 'v2', 60);
      expect(await p.cache.get('after')).toBe('v2');
    }, { timeout: 2000, interval: 20 });
    await closeAll(opened.splice(opened.indexOf(p), 1));
    await proxy.stop();
  }, 30_000);
});

describe('scaled infra with Redis down', () => {
  const opened: TestInfra[] = [];
  let down: TestInfra;

  beforeEach(async () => {
    down = await startInfra(DOWN_URL, freshPrefix(), opened, { readyTimeoutMs: 200 });
  });
  afterEach(() => closeAll(opened));

  it('bypasses the cache without throwing: get misses, wrap loads, set and delete resolve', async () => {
    expect(await down.cache.get('k')).toBeUndefined();
    await expect(down.cache.set('k', 1, 60)).resolves.toBeUndefined();
    await expect(down.cache.delete('k')).resolves.toBeUndefined();
    const load = vi.fn(async () => ({ v: 1 }));
    const [x, y] = await Promise.all([down.cache.wrap('w', 60, load), down.cache.wrap('w', 60, load)]);
    expect(x).toEqual({ v: 1 });
    expect(y).toEqual({ v: 1 });
    expect(load).toHaveBeenCalledTimes(1); // still single-flight locally
  });

  it('rate limits per process', async () => {
    const r = [];
    for (let i = 0; i < 3; i++) r.push((await down.limiter.hit('u', 2, 60_000)).allowed);
    expect(r).toEqual([true, true, false]);
  });

  it('locks per process', async () => {
    const lease = await down.locks.tryAcquire('c', 5000);
    expect(lease).toBeDefined();
    expect(await down.locks.tryAcquire('c', 5000)).toBeUndefined();
    await lease!.release();
    expect(await down.locks.tryAcquire('c', 5000)).toBeDefined();
  });

  it('fails enqueue fast with 503 unavailable and a Retry-After', async () => {
    // Fast means before any I/O could happen: the answer is there by the next macrotask.
    const err: any = await Promise.race([down.queue.enqueue('memory', { conversationId: 1 }, { dedupeKey: 'conv:1' }).catch((e) => e), new Promise((r) => setImmediate(() => r('still waiting')))]);
    expect(isAppError(err, 'unavailable')).toBe(true);
    expect(err.status).toBe(503);
    expect(err.retryAfter).toBeGreaterThan(0);
  });

  it('reports degraded readiness, drops publishes, and counts the failures', async () => {
    await expect(down.readiness.check()).rejects.toThrow(/connection/);
    await expect(down.pubsub.publish('ch', { x: 1 })).resolves.toBeUndefined();
    await down.cache.get('k');
    const text = await down.metrics.registry.metrics();
    expect(text).toMatch(/redis_errors_total\{component="cache"\} [1-9]/);
    expect(text).toMatch(/redis_errors_total\{component="pubsub"\} [1-9]/);
  });
});
