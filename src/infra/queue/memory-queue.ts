import { randomUUID } from 'node:crypto';
import { backoffDelay, PermanentJobError, type EnqueueOptions, type JobHandler, type JobQueue } from './job-queue.js';

interface QueuedJob {
  id: string;
  name: string;
  payload: unknown;
  dedupeKey?: string;
  attempt: number;
  attempts: number;
  backoffMs: number;
}

interface Worker {
  handler: JobHandler<unknown>;
  concurrency: number;
  running: number;
  waiting: QueuedJob[];
}

/**
 * The embedded job queue: jobs run in this process, in order per name, `concurrency` at a time.
 * Jobs do not survive a restart; work whose state matters (creations) is recorded in the database
 * and re-enqueued at start-up by its feature.
 */
export class MemoryJobQueue implements JobQueue {
  private readonly workers = new Map<string, Worker>();
  private readonly pendingByName = new Map<string, QueuedJob[]>();
  private readonly running = new Map<string, { job: QueuedJob; abort: AbortController; done: Promise<void> }>();
  /** dedupeKey → state of the newest job for that key. */
  private readonly dedupe = new Map<string, { waiting?: string; running?: string }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly onError: (name: string, err: unknown, final: boolean) => void = () => {}) {}

  async enqueue<P>(name: string, payload: P, options: EnqueueOptions = {}) {
    if (this.closed) throw new Error('job queue is closed');
    const id = options.jobId ?? randomUUID();
    if (options.dedupeKey) {
      const d = this.dedupe.get(options.dedupeKey) ?? {};
      if (d.waiting) return { jobId: d.waiting, deduplicated: true };
      d.waiting = id;
      this.dedupe.set(options.dedupeKey, d);
    }
    const job: QueuedJob = { id, name, payload, dedupeKey: options.dedupeKey, attempt: 1, attempts: options.attempts ?? 3, backoffMs: options.backoffMs ?? 1000 };
    this.push(job);
    return { jobId: id, deduplicated: false };
  }

  process<P>(name: string, handler: JobHandler<P>, options: { concurrency: number }): void {
    const pending = this.pendingByName.get(name) ?? [];
    this.pendingByName.delete(name);
    this.workers.set(name, { handler: handler as JobHandler<unknown>, concurrency: options.concurrency, running: 0, waiting: pending });
    this.pump(name);
  }

  async cancel(jobId: string): Promise<void> {
    const r = this.running.get(jobId);
    if (r) {
      r.abort.abort(new Error('cancelled'));
      return;
    }
    for (const list of [...[...this.workers.values()].map((w) => w.waiting), ...this.pendingByName.values()]) {
      const i = list.findIndex((j) => j.id === jobId);
      if (i >= 0) {
        const [job] = list.splice(i, 1);
        this.clearDedupe(job, 'waiting');
      }
    }
  }

  async counts(name: string) {
    const w = this.workers.get(name);
    return { waiting: w ? w.waiting.length : (this.pendingByName.get(name)?.length ?? 0), running: w?.running ?? 0 };
  }

  async close(timeoutMs = 10_000): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    const all = [...this.running.values()].map((r) => r.done);
    const timeout = new Promise<void>((res) => setTimeout(res, timeoutMs).unref());
    await Promise.race([Promise.allSettled(all), timeout]);
    for (const r of this.running.values()) r.abort.abort(new Error('shutting down'));
  }

  private push(job: QueuedJob) {
    const w = this.workers.get(job.name);
    if (w) {
      w.waiting.push(job);
      this.pump(job.name);
    } else {
      const list = this.pendingByName.get(job.name) ?? [];
      list.push(job);
      this.pendingByName.set(job.name, list);
    }
  }

  private pump(name: string) {
    const w = this.workers.get(name);
    if (!w || this.closed) return;
    while (w.running < w.concurrency && w.waiting.length) {
      const idx = w.waiting.findIndex((j) => !j.dedupeKey || !this.dedupe.get(j.dedupeKey)?.running);
      if (idx < 0) return;
      const [job] = w.waiting.splice(idx, 1);
      this.start(w, job);
    }
  }

  private start(w: Worker, job: QueuedJob) {
    w.running++;
    if (job.dedupeKey) {
      const d = this.dedupe.get(job.dedupeKey) ?? {};
      if (d.waiting === job.id) d.waiting = undefined;
      d.running = job.id;
      this.dedupe.set(job.dedupeKey, d);
    }
    const abort = new AbortController();
    const done = (async () => {
      try {
        await w.handler(job.payload, { jobId: job.id, attempt: job.attempt, maxAttempts: job.attempts, signal: abort.signal });
      } catch (err) {
        const final = err instanceof PermanentJobError || abort.signal.aborted || job.attempt >= job.attempts;
        this.onError(job.name, err, final);
        if (!final && !this.closed) {
          const retry = { ...job, attempt: job.attempt + 1 };
          const t = setTimeout(() => {
            this.timers.delete(t);
            if (retry.dedupeKey) {
              // A retry takes the waiting slot unless a newer job already holds it.
              const d = this.dedupe.get(retry.dedupeKey) ?? {};
              if (d.waiting) return;
              d.waiting = retry.id;
              this.dedupe.set(retry.dedupeKey, d);
            }
            this.push(retry);
          }, backoffDelay(job.attempt, job.backoffMs));
          this.timers.add(t);
        }
      } finally {
        this.running.delete(job.id);
        w.running--;
        this.clearDedupe(job, 'running');
        this.pump(job.name);
      }
    })();
    this.running.set(job.id, { job, abort, done });
  }

  private clearDedupe(job: QueuedJob, slot: 'waiting' | 'running') {
    if (!job.dedupeKey) return;
    const d = this.dedupe.get(job.dedupeKey);
    if (!d || d[slot] !== job.id) return;
    d[slot] = undefined;
    if (!d.waiting && !d.running) this.dedupe.delete(job.dedupeKey);
  }
}
