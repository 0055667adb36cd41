/** Liveness, readiness, metrics and the public facts the web app needs before sign-in. */
import { Type } from '@sinclair/typebox';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
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
  /** /metrics for anyone (FASTNPC_METRICS_PUBLIC). */
  metricsPublic: boolean;
  /** Bearer token that opens /metrics to remote scrapers (FASTNPC_METRICS_TOKEN). */
  metricsToken?: string;
  /** Whether the request carries an administrator's session (for /readyz details). */
  isAdmin: (request: FastifyRequest) => Promise<boolean>;
}

/**
 * A caller on this machine, talking to us directly: the socket is loopback and no proxy header
 * says it forwards someone else (a reverse proxy on the same host would otherwise make everyone local).
 */
export function isLocalCaller(request: FastifyRequest): boolean {
  const addr = request.socket.remoteAddress ?? '';
  const loopback = addr === '::1' || /^(::ffff:)?127\./.test(addr);
  return loopback && !request.headers['x-forwarded-for'] && !request.headers.forwarded && !request.headers['x-real-ip'];
}

function bearerMatches(request: FastifyRequest, token: string | undefined): boolean {
  if (!token) return false;
  const m = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
  if (!m) return false;
  const given = createHash('sha256').update(m[1].trim()).digest();
  return timingSafeEqual(given, createHash('sha256').update(token).digest());
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
    async (request, reply) => {
      const results: Record<string, string> = {};
      let failed = false;
      let degraded = false;
      // Error texts name hosts and ports: only operators see them.
      const details = isLocalCaller(request) || (await deps.isAdmin(request).catch(() => false));
      await Promise.all(
        deps.checks.map(async (c) => {
          try {
            await withTimeout(c.check(), 2000);
            results[c.name] = 'ok';
          } catch (err) {
            results[c.name] = details ? `error: ${(err as Error).message}`.slice(0, 200) : 'error';
            if (c.critical) failed = true;
            else degraded = true;
          }
        }),
      );
      if (failed) return reply.code(503).send({ status: 'unavailable' as const, checks: results });
      return { status: degraded ? ('degraded' as const) : ('ok' as const), checks: results };
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['system'], summary: 'Prometheus metrics (loopback callers, `Authorization: Bearer $FASTNPC_METRICS_TOKEN`, or anyone with FASTNPC_METRICS_PUBLIC=true)', hide: false } },
    async (request, reply) => {
      if (!deps.metricsPublic && !isLocalCaller(request) && !bearerMatches(request, deps.metricsToken)) {
        if (deps.metricsToken) throw new AppError('unauthorized:metrics', 'Send Authorization: Bearer <FASTNPC_METRICS_TOKEN> to read /metrics');
        throw new AppError('forbidden:metrics', '/metrics answers loopback callers only; set FASTNPC_METRICS_TOKEN or FASTNPC_METRICS_PUBLIC=true to scrape it remotely');
      }
      const m = deps.metricsText ? await deps.metricsText() : { contentType: deps.metrics.registry.contentType, body: await deps.metrics.registry.metrics() };
      return reply.header('content-type', m.contentType).send(m.body);
    },
  );

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
