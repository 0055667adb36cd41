/** The operations view: what an operator checks first when the service feels slow or broken. */
import type { AppContext } from '../../app.js';
import { CREATION_JOB } from '../creation/service.js';
import { MEMORY_JOB } from '../memory/service.js';

const BREAKER_STATES = ['closed', 'half-open', 'open'];

export function createOperations(ctx: Pick<AppContext, 'cache' | 'database' | 'queue' | 'metrics'>) {
  return {
    async snapshot() {
      const { hits, misses } = ctx.cache.stats();
      const queues = await Promise.all([MEMORY_JOB, CREATION_JOB].map(async (name) => ({ name, ...(await ctx.queue.counts(name)) })));
      const failed = await ctx.database.db.selectFrom('jobs').select(['id', 'kind', 'user_id', 'error_code', 'error_message', 'attempts', 'updated_at']).where('state', '=', 'failed').orderBy('updated_at', 'desc').limit(50).execute();
      // The gateway reports its breakers as a gauge per model (0 closed, 1 half-open, 2 open).
      const gauge = ctx.metrics.registry.getSingleMetric('fastnpc_llm_breaker_state');
      const values = gauge ? (await gauge.get()).values : [];
      return {
        cache: { hits, misses, hitRate: hits + misses ? Math.round((hits / (hits + misses)) * 1e4) / 1e4 : null },
        dbPool: ctx.database.poolStats(),
        queues,
        failedJobs: failed.map((j) => ({ id: j.id, kind: j.kind, userId: j.user_id, errorCode: j.error_code, errorMessage: j.error_message, attempts: j.attempts, updatedAt: j.updated_at })),
        breakers: values.map((v) => ({ model: String(v.labels.model ?? ''), state: BREAKER_STATES[v.value] ?? String(v.value) })),
      };
    },
  };
}

export type Operations = ReturnType<typeof createOperations>;
