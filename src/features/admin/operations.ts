/** The operations view: what an operator checks first when the service feels slow or broken. */
import type { AppContext } from '../../app.js';
import { AppError, notFound } from '../../errors.js';
import { CREATION_ATTEMPTS, CREATION_JOB, jobChannel } from '../creation/service.js';
import { rowToJob } from '../creation/store.js';
import { EVALUATION_JOB } from '../evaluations/service.js';
import { MEMORY_JOB } from '../memory/service.js';

const BREAKER_STATES = ['closed', 'half-open', 'open'];

export function createOperations(ctx: Pick<AppContext, 'cache' | 'database' | 'queue' | 'metrics' | 'pubsub' | 'evaluations'>, now: () => number = Date.now) {
  const db = ctx.database.db;
  /** How each kind of recorded job goes back on the queue (memory jobs keep no record: the next turn schedules them again). */
  const requeue: Record<string, (jobId: string) => Promise<unknown>> = {
    [CREATION_JOB]: (jobId) => ctx.queue.enqueue(CREATION_JOB, { jobId }, { jobId, attempts: CREATION_ATTEMPTS, backoffMs: 2000, replace: true }),
    [EVALUATION_JOB]: (jobId) => ctx.evaluations.requeue(jobId),
  };

  return {
    async snapshot() {
      const { hits, misses } = ctx.cache.stats();
      const queues = await Promise.all([MEMORY_JOB, CREATION_JOB, EVALUATION_JOB].map(async (name) => ({ name, ...(await ctx.queue.counts(name)) })));
      const failed = await db.selectFrom('jobs').select(['id', 'kind', 'user_id', 'error_code', 'error_message', 'attempts', 'updated_at']).where('state', '=', 'failed').orderBy('updated_at', 'desc').limit(50).execute();
      // The gateway reports its breakers as a gauge per model (0 closed, 1 half-open, 2 open).
      const gauge = ctx.metrics.registry.getSingleMetric('fastnpc_llm_breaker_state');
      const values = gauge ? (await gauge.get()).values : [];
      return {
        cache: { hits, misses, hitRate: hits + misses ? Math.round((hits / (hits + misses)) * 1e4) / 1e4 : null },
        dbPool: ctx.database.poolStats(),
        queues,
        failedJobs: failed.map((j) => ({ id: j.id, kind: j.kind, userId: j.user_id, errorCode: j.error_code, errorMessage: j.error_message, attempts: j.attempts, updatedAt: j.updated_at, retryable: j.kind in requeue })),
        breakers: values.map((v) => ({ model: String(v.labels.model ?? ''), state: BREAKER_STATES[v.value] ?? String(v.value) })),
      };
    },

    /** A failed job back on the queue from the start; its owner's progress view follows it again. */
    async retry(jobId: string): Promise<{ id: string; state: string }> {
      const job = await db.selectFrom('jobs').select(['id', 'kind', 'state']).where('id', '=', jobId).executeTakeFirst();
      if (!job) throw notFound('job');
      if (job.state !== 'failed') throw new AppError('conflict:job_state', `Only failed jobs can be retried; this one is ${job.state}`);
      const again = requeue[job.kind];
      if (!again) throw new AppError('conflict:job_kind', `Jobs of kind "${job.kind}" cannot be retried`);
      const row = await db
        .updateTable('jobs')
        .set({ state: 'queued', progress_json: JSON.stringify({ step: 'queued', done: 0, total: 0 }), error_code: null, error_message: null, finished_at: null, updated_at: now() })
        .where('id', '=', jobId)
        .where('state', '=', 'failed')
        .returningAll()
        .executeTakeFirst();
      // Two admins clicking at once: the second finds it no longer failed.
      if (!row) throw new AppError('conflict:job_state', 'The job is no longer failed');
      await ctx.pubsub.publish(jobChannel(jobId), rowToJob(row));
      await again(jobId);
      return { id: jobId, state: 'queued' };
    },
  };
}

export type Operations = ReturnType<typeof createOperations>;
