/**
 * The JobQueue contract on BullMQ, against real Redis. Each test owns its prefix (so its queues);
 * two infra instances stand for two processes. The id-mapping and Redis-down tests need no Redis.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PermanentJobError, type JobContext } from '../../../src/infra/queue/job-queue.js';
import { fromBullId, toBullId } from '../../../src/infra/redis/bullmq-queue.js';
import { isAppError } from '../../../src/errors.js';
import { closeAll, DOWN_URL, dropPrefix, freshPrefix, gate, REDIS_URLS, startInfra, type TestInfra } from './helpers.js';

describe.each(REDIS_URLS)('BullMQ job queue (%s)', (url) => {
  const opened: TestInfra[] = [];
  let prefix: string;
  let a: TestInfra;
  let b: TestInfra;
  const failures: { name: string; final: boolean; err: unknown }[] = [];

  beforeEach(async () => {
    prefix = freshPrefix();
    failures.length = 0;
    const onJobError = (name: string, err: unknown, final: boolean) => failures.push({ name, err, final });
    a = await startInfra(url, prefix, opened, { onJobError });
    b = await startInfra(url, prefix, opened, { onJobError });
  });
  afterEach(async () => {
    await closeAll(opened);
    await dropPrefix(url, prefix);
  });

  it('runs a job with its payload, id and attempt number', async () => {
    const seen: { payload: unknown; ctx: JobContext }[] = [];
    const done = gate();
    a.queue.process<{ conversationId: number }>('memory', async (payload, ctx) => {
      seen.push({ payload, ctx });
      done.open();
    }, { concurrency: 1 });
    const { jobId, deduplicated } = await b.queue.enqueue('memory', { conversationId: 7 });
    await done.promise;
    expect(deduplicated).toBe(false);
    expect(seen).toHaveLength(1);
    expect(seen[0].payload).toEqual({ conversationId: 7 });
    expect(seen[0].ctx.jobId).toBe(jobId);
    expect(seen[0].ctx.attempt).toBe(1);
    expect(seen[0].ctx.signal.aborted).toBe(false);
  });

  it('keeps caller ids that BullMQ would reject (integers, colons)', async () => {
    const ids: string[] = [];
    a.queue.process('creation', async (_p, ctx) => void ids.push(ctx.jobId), { concurrency: 2 });
    await a.queue.enqueue('creation', {}, { jobId: '42' });
    await a.queue.enqueue('creation', {}, { jobId: 'creation:7' });
    await vi.waitFor(() => expect(ids.sort()).toEqual(['42', 'creation:7']), { timeout: 5000 });
  });

  it('retries a failing job with backoff, then succeeds', async () => {
    const attempts: number[] = [];
    const done = gate();
    a.queue.process('flaky', async (_p, ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt < 3) throw new Error('provider 503');
      done.open();
    }, { concurrency: 1 });
    await a.queue.enqueue('flaky', {}, { attempts: 3, backoffMs: 20 });
    await done.promise;
    expect(attempts).toEqual([1, 2, 3]);
    expect(failures.map((f) => f.final)).toEqual([false, false]);
    await vi.waitFor(async () => expect(await a.queue.counts('flaky')).toEqual({ waiting: 0, running: 0 }));
  });

  it('gives up after the last attempt', async () => {
    let calls = 0;
    a.queue.process('broken', async () => {
      calls++;
      throw new Error('always');
    }, { concurrency: 1 });
    await a.queue.enqueue('broken', {}, { attempts: 2, backoffMs: 10 });
    await vi.waitFor(() => expect(failures.map((f) => f.final)).toEqual([false, true]), { timeout: 5000 });
    // Nothing waits or runs any more (a retry would wait as delayed): no third call can come.
    await vi.waitFor(async () => expect(await a.queue.counts('broken')).toEqual({ waiting: 0, running: 0 }), { timeout: 5000 });
    expect(calls).toBe(2);
  });

  it('runs a failed job again under the same id only when asked to replace it (an admin\'s retry)', async () => {
    let calls = 0;
    a.queue.process('retried', async () => {
      calls++;
      if (calls === 1) throw new PermanentJobError('first time fails');
    }, { concurrency: 1 });
    await a.queue.enqueue('retried', {}, { jobId: 'job-r1', attempts: 1 });
    await vi.waitFor(() => expect(failures.map((f) => f.final)).toEqual([true]), { timeout: 5000 });
    // BullMQ keeps the failed job: a plain enqueue under its id adds nothing…
    await a.queue.enqueue('retried', {}, { jobId: 'job-r1', attempts: 1 });
    await vi.waitFor(async () => expect(await a.queue.counts('retried')).toEqual({ waiting: 0, running: 0 }));
    expect(calls).toBe(1);
    // …replacing it runs it again.
    await b.queue.enqueue('retried', {}, { jobId: 'job-r1', attempts: 1, replace: true });
    await vi.waitFor(() => expect(calls).toBe(2), { timeout: 5000 });
  });

  it('does not retry a PermanentJobError', async () => {
    let calls = 0;
    a.queue.process('strict', async () => {
      calls++;
      throw new PermanentJobError('payload has no conversation id');
    }, { concurrency: 1 });
    await a.queue.enqueue('strict', {}, { attempts: 5, backoffMs: 10 });
    await vi.waitFor(() => expect(failures).toHaveLength(1), { timeout: 5000 });
    expect(failures[0].final).toBe(true);
    await vi.waitFor(async () => expect(await a.queue.counts('strict')).toEqual({ waiting: 0, running: 0 }), { timeout: 5000 });
    expect(calls).toBe(1);
  });

  it('dedupe: enqueueing while one waits is a no-op', async () => {
    const first = await a.queue.enqueue('memory', { n: 1 }, { dedupeKey: 'conv:1' });
    const second = await b.queue.enqueue('memory', { n: 2 }, { dedupeKey: 'conv:1' });
    expect(first.deduplicated).toBe(false);
    expect(second).toEqual({ jobId: first.jobId, deduplicated: true });
    expect((await a.queue.counts('memory')).waiting).toBe(1);
    const runs: unknown[] = [];
    a.queue.process('memory', async (p) => void runs.push(p), { concurrency: 2 });
    await vi.waitFor(() => expect(runs).toEqual([{ n: 1 }]), { timeout: 5000 });
    await vi.waitFor(async () => expect(await a.queue.counts('memory')).toEqual({ waiting: 0, running: 0 }), { timeout: 5000 });
    expect(runs).toHaveLength(1);
    // Once it finished, the key is free again.
    expect((await a.queue.enqueue('memory', { n: 3 }, { dedupeKey: 'conv:1' })).deduplicated).toBe(false);
    await vi.waitFor(() => expect(runs).toHaveLength(2), { timeout: 5000 });
  });

  it('dedupe: enqueueing while one runs queues exactly one follow-up, run after it', async () => {
    const release = gate();
    const started = gate();
    const log: string[] = [];
    let running = 0;
    let maxRunning = 0;
    a.queue.process<{ n: number }>('memory', async (p) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${p.n}`);
      if (p.n === 1) {
        started.open();
        await release.promise;
      }
      log.push(`end ${p.n}`);
      running--;
    }, { concurrency: 4 });
    const first = await a.queue.enqueue('memory', { n: 1 }, { dedupeKey: 'conv:2' });
    await started.promise;
    const second = await b.queue.enqueue('memory', { n: 2 }, { dedupeKey: 'conv:2' });
    const third = await a.queue.enqueue('memory', { n: 3 }, { dedupeKey: 'conv:2' });
    expect(second.deduplicated).toBe(false);
    expect(second.jobId).not.toBe(first.jobId);
    expect(third).toEqual({ jobId: second.jobId, deduplicated: true });
    release.open();
    await vi.waitFor(() => expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2']), { timeout: 5000 });
    await vi.waitFor(async () => expect(await a.queue.counts('memory')).toEqual({ waiting: 0, running: 0 }), { timeout: 5000 });
    expect(log).toHaveLength(4);
    expect(maxRunning).toBe(1);
  });

  it('cancel drops a waiting job and frees its dedupe key', async () => {
    const { jobId } = await a.queue.enqueue('memory', {}, { dedupeKey: 'conv:3' });
    expect((await a.queue.counts('memory')).waiting).toBe(1);
    await a.queue.cancel(jobId);
    expect((await a.queue.counts('memory')).waiting).toBe(0);
    expect((await a.queue.enqueue('memory', {}, { dedupeKey: 'conv:3' })).deduplicated).toBe(false);
  });

  it('cancel from another process aborts the running handler, without retry', async () => {
    const started = gate();
    let calls = 0;
    let abortedWith: unknown;
    a.queue.process('creation', async (_p, ctx) => {
      calls++;
      started.open();
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      abortedWith = ctx.signal.reason;
      throw new Error('aborted');
    }, { concurrency: 1 });
    const { jobId } = await a.queue.enqueue('creation', {}, { attempts: 3, backoffMs: 10 });
    await started.promise;
    await b.queue.cancel(jobId);
    await vi.waitFor(() => expect(failures).toHaveLength(1), { timeout: 5000 });
    expect(abortedWith).toBe('cancelled');
    expect(failures[0].final).toBe(true);
    await vi.waitFor(async () => expect(await a.queue.counts('creation')).toEqual({ waiting: 0, running: 0 }), { timeout: 5000 });
    expect(calls).toBe(1);
  });

  it('runs each job exactly once when two processes work the same queue', async () => {
    const runs = new Map<number, number>();
    const handler = async (p: { n: number }) => {
      await Promise.resolve();
      runs.set(p.n, (runs.get(p.n) ?? 0) + 1);
    };
    a.queue.process('memory', handler, { concurrency: 3 });
    b.queue.process('memory', handler, { concurrency: 3 });
    for (let n = 0; n < 20; n++) await (n % 2 ? a : b).queue.enqueue('memory', { n });
    await vi.waitFor(() => expect(runs.size).toBe(20), { timeout: 10_000 });
    await vi.waitFor(async () => expect(await a.queue.counts('memory')).toEqual({ waiting: 0, running: 0 }), { timeout: 5000 });
    expect([...runs.values()].every((c) => c === 1)).toBe(true);
  });

  it('close waits for the running job to finish', async () => {
    const started = gate();
    const release = gate();
    let finished = false;
    a.queue.process('creation', async () => {
      started.open();
      await release.promise;
      finished = true;
    }, { concurrency: 1 });
    await a.queue.enqueue('creation', {});
    await started.promise;
    // The job is still running when close starts; close must wait for it.
    const closing = a.queue.close(30_000);
    release.open();
    await closing;
    expect(finished).toBe(true);
    expect(await b.queue.counts('creation')).toEqual({ waiting: 0, running: 0 });
    expect(failures).toHaveLength(0);
  });

  it('close past its timeout aborts the job and puts it back, so another process runs it: no job lost', async () => {
    const started = gate();
    let signalReason: unknown;
    a.queue.process('creation', async (_p, ctx) => {
      started.open();
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
      signalReason = ctx.signal.reason;
      throw new Error('interrupted');
    }, { concurrency: 1 });
    const { jobId } = await a.queue.enqueue('creation', { id: 9 }, { attempts: 1 });
    await started.promise;
    await a.queue.close(200);
    expect(signalReason).toBe('shutdown');
    expect(failures).toHaveLength(0);
    const rerun = gate<JobContext>();
    b.queue.process('creation', async (_p, ctx) => rerun.open(ctx), { concurrency: 1 });
    const ctx = await rerun.promise;
    expect(ctx.jobId).toBe(jobId);
    expect(ctx.attempt).toBe(1); // the interruption spent no attempt
  });

  it('counts waiting and running jobs', async () => {
    const release = gate();
    const started = gate();
    a.queue.process('memory', async () => {
      started.open();
      await release.promise;
    }, { concurrency: 1 });
    await a.queue.enqueue('memory', {});
    await started.promise;
    await a.queue.enqueue('memory', {});
    await a.queue.enqueue('memory', {});
    expect(await b.queue.counts('memory')).toEqual({ waiting: 2, running: 1 });
    release.open();
    await vi.waitFor(async () => expect(await b.queue.counts('memory')).toEqual({ waiting: 0, running: 0 }), { timeout: 5000 });
  });
});

describe('BullMQ job queue without Redis', () => {
  it('maps any caller id to a BullMQ id and back, one to one', () => {
    for (const id of ['42', '-1', 'creation:7', 'a:b:c', 'j42', 'b42', '9f1c-uuid', 'bjQy']) {
      const bull = toBullId(id);
      expect(bull).not.toMatch(/^-?\d+$/);
      expect(bull).not.toContain(':');
      expect(fromBullId(bull)).toBe(id);
    }
    expect(new Set(['42', 'j42', 'b42', 'bNDI'].map(toBullId)).size).toBe(4);
  });

  it('enqueue fails fast with 503 unavailable when Redis is down', async () => {
    const opened: TestInfra[] = [];
    try {
      const down = await startInfra(DOWN_URL, freshPrefix(), opened, { readyTimeoutMs: 100 });
      // Fast means before any I/O could happen: the answer is there by the next macrotask.
      const err = await Promise.race([down.queue.enqueue('creation', {}).catch((e) => e), new Promise((r) => setImmediate(() => r('still waiting')))]);
      expect(isAppError(err, 'unavailable')).toBe(true);
      expect(err.status).toBe(503);
      await expect(down.queue.counts('creation')).rejects.toSatisfy((e) => isAppError(e, 'unavailable'));
    } finally {
      await closeAll(opened);
    }
  });
});
