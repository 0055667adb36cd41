/**
 * The job-queue interface: in-process now (MemoryJobQueue), BullMQ on Redis in scaled mode.
 *
 * Contract:
 * - `enqueue` returns at once. With `dedupeKey`, at most one job per key waits and one runs:
 *   enqueueing while one waits is a no-op; enqueueing while one runs queues exactly one follow-up.
 * - A handler that throws `PermanentJobError` is not retried; other errors retry with exponential
 *   backoff and full jitter up to `attempts`.
 * - `cancel(jobId)` aborts the handler's signal if the job is running here, and drops it if waiting.
 * - Durable state a user sees (a creation's progress) lives in the database, not in the queue.
 */
export interface JobContext {
  jobId: string;
  attempt: number;
  /** Attempts allowed in all (the last attempt should record a final failure). */
  maxAttempts?: number;
  signal: AbortSignal;
}

export type JobHandler<P> = (payload: P, ctx: JobContext) => Promise<void>;

export interface EnqueueOptions {
  jobId?: string;
  dedupeKey?: string;
  attempts?: number;
  /** Base of the exponential backoff, in ms. */
  backoffMs?: number;
  /** A finished (failed) job kept under `jobId` is dropped first, so the same id runs again (an admin's retry). */
  replace?: boolean;
}

export interface JobQueue {
  enqueue<P>(name: string, payload: P, options?: EnqueueOptions): Promise<{ jobId: string; deduplicated: boolean }>;
  /** Registers the handler for `name` and starts processing (only where jobs run). */
  process<P>(name: string, handler: JobHandler<P>, options: { concurrency: number }): void;
  cancel(jobId: string): Promise<void>;
  /** Waiting + running jobs per name, for metrics and tests. */
  counts(name: string): Promise<{ waiting: number; running: number }>;
  /** Stops taking jobs, lets running ones finish (up to the timeout), then closes. */
  close(timeoutMs?: number): Promise<void>;
}

/** Bad input or a state no retry can fix: the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string, readonly code = 'bad_input') {
    super(message);
    this.name = 'PermanentJobError';
  }
}

/** Full-jitter exponential backoff (AWS architecture blog, "Exponential Backoff And Jitter"). */
export function backoffDelay(attempt: number, baseMs: number, capMs = 60_000): number {
  return Math.floor(Math.random() * Math.min(capMs, baseMs * 2 ** (attempt - 1)));
}
