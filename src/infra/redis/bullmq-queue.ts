/**
 * JobQueue on BullMQ: one Queue (producer) and, where jobs run, one Worker per job name.
 *
 * How the contract maps onto BullMQ:
 * - Dedupe: `deduplication: { id, keepLastIfActive: true }`. While a job with that id waits (or
 *   waits for a retry), adding is a no-op; while one is active, the new job is stored and created
 *   when the active one finishes — one follow-up, never two running at once. Several adds during
 *   one run keep one follow-up (the first; later ones are no-ops, checked before adding).
 * - Retries: `attempts` with a custom backoff strategy, exponential with full jitter
 *   (`backoffDelay`). `PermanentJobError` and user cancellation become `UnrecoverableError`.
 * - Lock: short (15 s), renewed every half of it while the handler runs, so a slow LLM call
 *   never makes BullMQ think the job stalled, yet a killed process's lock lapses within seconds.
 *   Every worker checks for stalled jobs every 5 s and puts a lapsed job back to wait: another
 *   process runs it within about lock + check interval (≈ 20 s), not after a 5-minute lock.
 * - Cancel: a waiting job is removed; a running one is aborted through a pub/sub message, so the
 *   process that runs it (maybe another) aborts the handler's signal.
 * - Close: stop taking jobs, let running ones finish up to the timeout, then abort them and put
 *   them back to wait (not failed, no attempt spent) so another process picks them up.
 * - Redis down: `enqueue` throws AppError `unavailable` at once (producers fail fast, callers
 *   decide); workers wait for Redis and resume.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Queue, UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { AppError } from '../../errors.js';
import { backoffDelay, PermanentJobError, type EnqueueOptions, type JobHandler, type JobQueue } from '../queue/job-queue.js';
import type { PubSub } from '../pubsub/pubsub.js';
import type { ErrorReporter } from './connection.js';

export interface BullMqJobQueueOptions {
  /** Key prefix of every queue (tests use a fresh one each). */
  prefix: string;
  /** Shared non-blocking client for producers (no offline queue: enqueue fails fast). */
  producer: Redis;
  /** Shared client with `maxRetriesPerRequest: null`; each Worker duplicates it for blocking. */
  workerConnection: Redis;
  pubsub: PubSub;
  reporter: ErrorReporter;
  /** Called when a handler fails; `final` when no retry follows. */
  onError?: (name: string, err: unknown, final: boolean) => void;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Longest wait for Redis to accept a job before `unavailable`. */
  enqueueTimeoutMs?: number;
}

const BACKOFF_TYPE = 'fullJitter';
const CANCELLED = 'cancelled';
const SHUTDOWN = 'shutdown';
const RETRY_AFTER_S = 5;
/** Renewed every LOCK_DURATION_MS / 2 while a handler runs; lapses this long after its process died. */
export const LOCK_DURATION_MS = 15_000;
export const STALLED_INTERVAL_MS = 5_000;

/**
 * BullMQ rejects custom ids that are integers or contain ':'; ours may be either (a creation id).
 * The two prefixes keep the mapping one-to-one.
 */
export function toBullId(id: string): string {
  return id.includes(':') || /^-?\d+$/.test(id) ? `b${Buffer.from(id).toString('base64url')}` : `j${id}`;
}

export function fromBullId(bullId: string): string {
  return bullId.startsWith('b') ? Buffer.from(bullId.slice(1), 'base64url').toString() : bullId.slice(1);
}

export class BullMqJobQueue implements JobQueue {
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  private readonly cancelChannel: string;
  private unsubscribeCancel?: () => Promise<void>;
  private closing?: Promise<void>;

  private constructor(private readonly options: BullMqJobQueueOptions) {
    this.cancelChannel = `${options.prefix}:jobs:cancel`;
  }

  static async create(options: BullMqJobQueueOptions): Promise<BullMqJobQueue> {
    const q = new BullMqJobQueue(options);
    q.unsubscribeCancel = await options.pubsub.subscribe(q.cancelChannel, (m: { jobId?: string }) => {
      if (typeof m?.jobId === 'string') void q.cancelHere(m.jobId);
    });
    return q;
  }

  async enqueue<P>(name: string, payload: P, options: EnqueueOptions = {}) {
    if (this.closing) throw new Error('job queue is closed');
    const { producer, prefix } = this.options;
    if (producer.status !== 'ready') throw unavailable(new Error(`redis connection ${producer.status}`));
    const id = options.jobId ?? randomUUID();
    const bullId = toBullId(id);
    const nextKey = options.dedupeKey ? `${prefix}:${name}:dn:${options.dedupeKey}` : undefined;
    try {
      return await withTimeout(
        (async () => {
          // A follow-up is already stored behind a running job: this enqueue adds nothing.
          const stored = nextKey ? await producer.hget(nextKey, 'jid') : null;
          if (stored) return { jobId: fromBullId(stored), deduplicated: true };
          // BullMQ keeps failed jobs (removeOnFail) and ignores an add under a kept id.
          if (options.replace) await this.queue(name).remove(bullId);
          const job = await this.queue(name).add(name, payload, {
            jobId: bullId,
            attempts: options.attempts ?? 3,
            backoff: { type: BACKOFF_TYPE, delay: options.backoffMs ?? 1000 },
            removeOnComplete: { count: 1000, age: 24 * 3600 },
            removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
            ...(options.dedupeKey ? { deduplication: { id: options.dedupeKey, keepLastIfActive: true } } : {}),
          });
          if (job.id === bullId) return { jobId: id, deduplicated: false };
          // BullMQ answers with the job that holds the dedupe id; ours may be the stored follow-up.
          if (nextKey && (await producer.hget(nextKey, 'jid')) === bullId) return { jobId: id, deduplicated: false };
          return { jobId: fromBullId(job.id ?? bullId), deduplicated: true };
        })(),
        this.options.enqueueTimeoutMs ?? 2000,
      );
    } catch (err) {
      throw unavailable(err);
    }
  }

  process<P>(name: string, handler: JobHandler<P>, options: { concurrency: number }): void {
    if (this.closing) throw new Error('job queue is closed');
    if (this.workers.has(name)) throw new Error(`a handler for job "${name}" is already registered`);
    const { prefix, workerConnection, onError, reporter } = this.options;
    const worker = new Worker(
      name,
      async (job: Job, token?: string, signal?: AbortSignal) => {
        const abort = signal ?? new AbortController().signal;
        try {
          await handler(job.data as P, { jobId: fromBullId(job.id!), attempt: job.attemptsMade + 1, signal: abort });
        } catch (err) {
          if (abort.aborted && abort.reason === SHUTDOWN && token) {
            // Interrupted by our own shutdown, not by the job: back to wait, no attempt spent.
            await job.moveToWait(token);
            throw new WaitingError();
          }
          const final = err instanceof PermanentJobError || abort.aborted || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          onError?.(name, err, final);
          if (err instanceof PermanentJobError) throw new UnrecoverableError(err.message);
          if (abort.aborted) throw new UnrecoverableError(CANCELLED);
          throw err;
        }
      },
      {
        connection: workerConnection,
        prefix,
        concurrency: options.concurrency,
        lockDuration: this.options.lockDurationMs ?? LOCK_DURATION_MS,
        stalledInterval: this.options.stalledIntervalMs ?? STALLED_INTERVAL_MS,
        maxStalledCount: 1,
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: { opts: { backoff?: number | { delay?: number } } }) => {
            const b = job?.opts.backoff;
            return backoffDelay(attemptsMade, typeof b === 'number' ? b : (b?.delay ?? 1000));
          },
        },
      },
    );
    worker.on('error', (err) => reporter.error(`queue:${name}`, err));
    this.workers.set(name, worker);
  }

  async cancel(jobId: string): Promise<void> {
    await this.cancelHere(jobId);
    // The job may run in another process; the one running it aborts it on this message.
    await this.options.pubsub.publish(this.cancelChannel, { jobId });
  }

  async counts(name: string) {
    // BullMQ would wait for the connection indefinitely; a metrics scrape must not.
    if (this.options.producer.status !== 'ready') throw unavailable(new Error(`redis connection ${this.options.producer.status}`));
    const c = await this.queue(name).getJobCounts('waiting', 'delayed', 'prioritized', 'paused', 'active');
    return { waiting: (c.waiting ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0) + (c.paused ?? 0), running: c.active ?? 0 };
  }

  close(timeoutMs = 10_000): Promise<void> {
    this.closing ??= this.shutdown(timeoutMs);
    return this.closing;
  }

  private async shutdown(timeoutMs: number) {
    await this.unsubscribeCancel?.().catch(() => {});
    const workers = [...this.workers.values()];
    // pause() stops fetching and resolves when the running jobs are done.
    const drained = Promise.allSettled(workers.map((w) => w.pause()));
    const timedOut = await Promise.race([drained.then(() => false), sleep(timeoutMs).then(() => true)]);
    if (timedOut) {
      for (const w of workers) w.cancelAllJobs(SHUTDOWN);
      await Promise.race([drained, sleep(2000)]);
    }
    await Promise.allSettled(workers.map((w) => w.close(timedOut)));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
  }

  /** Aborts the job if it runs in this process, or removes it if it waits in a queue we know. */
  private async cancelHere(jobId: string) {
    const bullId = toBullId(jobId);
    for (const w of this.workers.values()) if (w.cancelJob(bullId, CANCELLED)) return;
    if (this.options.producer.status !== 'ready') return;
    // remove() leaves a locked (running) job alone.
    await Promise.allSettled([...this.queues.values()].map((q) => q.remove(bullId)));
  }

  private queue(name: string): Queue {
    let q = this.queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.options.producer, prefix: this.options.prefix });
      q.on('error', (err) => this.options.reporter.error(`queue:${name}`, err));
      this.queues.set(name, q);
    }
    return q;
  }
}

function unavailable(cause: unknown) {
  return new AppError('unavailable:queue', 'The job queue is unavailable; try again shortly', { retryAfter: RETRY_AFTER_S, cause });
}

function sleep(ms: number) {
  return new Promise<void>((r) => setTimeout(r, ms).unref());
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
