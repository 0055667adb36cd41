/** Liveness, readiness, metrics and the public facts the web app needs before sign-in. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import '@fastify/swagger';
import type { Metrics } from '../../infra/metrics.js';
import { SETTINGS_RANGES } from '../users/settings.js';

export interface ReadinessCheck {
  name: string;
  /** Resolves when healthy. `critical: false` checks degrade readiness instead of failing it. */
  check(): Promise<void>;
  critical: boolean;
}

export interface SystemRouteDeps {
  metrics: Metrics;
  checks: ReadinessCheck[];
  llmProvider: () => string;
  models: () => string[];
  /** Whether any account exists; only a yes/no, so a fresh install can open on "register". */
  hasUsers?: () => Promise<boolean>;
  /** Text of /metrics; in cluster mode the primary aggregates all workers. */
  metricsText?: () => Promise<{ contentType: string; body: string }>;
}

const Range = Type.Object({ min: Type.Integer(), max: Type.Integer(), default: Type.Integer() });

export function registerSystemRoutes(root: FastifyInstance, deps: SystemRouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/healthz', { schema: { tags: ['system'], summary: 'The process is alive', response: { 200: Type.Object({ status: Type.Literal('ok') }) } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    {
      schema: {
        tags: ['system'],
        summary: 'Dependencies reachable (database; Redis when configured)',
        response: {
          200: Type.Object({ status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')]), checks: Type.Record(Type.String(), Type.String()) }),
          503: Type.Object({ status: Type.Literal('unavailable'), checks: Type.Record(Type.String(), Type.String()) }),
        },
      },
    },
    async (_request, reply) => {
      const results: Record<string, string> = {};
      let failed = false;
      let degraded = false;
      await Promise.all(
        deps.checks.map(async (c) => {
          try {
            await withTimeout(c.check(), 2000);
            results[c.name] = 'ok';
          } catch (err) {
            results[c.name] = `error: ${(err as Error).message}`.slice(0, 200);
            if (c.critical) failed = true;
            else degraded = true;
          }
        }),
      );
      if (failed) return reply.code(503).send({ status: 'unavailable' as const, checks: results });
      return { status: degraded ? ('degraded' as const) : ('ok' as const), checks: results };
    },
  );

  app.get('/metrics', { schema: { tags: ['system'], summary: 'Prometheus metrics', hide: false } }, async (_request, reply) => {
    const m = deps.metricsText ? await deps.metricsText() : { contentType: deps.metrics.registry.contentType, body: await deps.metrics.registry.metrics() };
    return reply.header('content-type', m.contentType).send(m.body);
  });

  app.get(
    '/api/meta',
    {
      schema: {
        tags: ['system'],
        summary: 'Public facts for clients: the LLM provider, models and setting ranges',
        response: {
          200: Type.Object({
            llmProvider: Type.String(),
            models: Type.Array(Type.String()),
            settingsRanges: Type.Object({ budgetSession: Range, budgetShortTerm: Range, budgetLongTerm: Range, groupRounds: Range }),
            hasUsers: Type.Boolean(),
          }),
        },
      },
    },
    async () => ({ llmProvider: deps.llmProvider(), models: deps.models(), settingsRanges: SETTINGS_RANGES, hasUsers: deps.hasUsers ? await deps.hasUsers() : true }),
  );
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timed out')), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}
