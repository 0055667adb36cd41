/** Admin routes: accounts, read-only review (audited), the audit log, usage and prices, operations. Plus the user's own usage. */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, IdParams, NoContent, Pagination } from '../../http/schemas.js';
import type { AuditLog } from './audit.js';
import type { createAccountsAdmin } from './accounts.js';
import type { createReview } from './review.js';
import type { UsageReports } from './usage.js';
import type { Operations } from './operations.js';

export interface AdminRouteDeps {
  accounts: ReturnType<typeof createAccountsAdmin>;
  review: ReturnType<typeof createReview>;
  audit: AuditLog;
  usage: UsageReports;
  operations: Operations;
}

const tags = ['admin'];
const admin = { auth: 'admin' as const };
const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
const UsageRow = Type.Object({ userId: Type.Integer(), username: Type.String(), day: Type.String(), model: Type.String(), purpose: Type.String(), requests: Type.Integer(), tokensIn: Type.Integer(), tokensOut: Type.Integer(), cost: nullable(Type.Number()) });
const UsageReport = Type.Object({
  items: Type.Array(UsageRow),
  total: Type.Integer(),
  byModel: Type.Array(Type.Object({ model: Type.String(), requests: Type.Integer(), tokensIn: Type.Integer(), tokensOut: Type.Integer(), cost: nullable(Type.Number()) })),
});
const UsageQuery = Type.Composite([Pagination, Type.Object({ from: Type.Optional(Day), to: Type.Optional(Day) })]);
const PriceInput = Type.Object({ model: Type.String({ minLength: 1, maxLength: 200 }), inputPerMillion: Type.Number({ minimum: 0, maximum: 1e6 }), outputPerMillion: Type.Number({ minimum: 0, maximum: 1e6 }) }, { additionalProperties: false });
const Price = Type.Composite([PriceInput, Type.Object({ updatedAt: Type.Integer() })]);

export function registerAdminRoutes(root: FastifyInstance, deps: AdminRouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const actor = (request: Parameters<typeof currentUser>[0]) => currentUser(request).id;

  // Accounts -----------------------------------------------------------------------------------
  app.put(
    '/api/admin/users/:id/disabled',
    { config: admin, schema: { tags, summary: 'Disable (sessions end at once) or re-enable an account', params: IdParams, body: Type.Object({ disabled: Type.Boolean() }), response: { 200: Type.Object({ id: Type.Integer(), disabled: Type.Boolean() }), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => deps.accounts.setDisabled(actor(request), request.params.id, request.body.disabled),
  );
  app.put(
    '/api/admin/users/:id/admin',
    { config: admin, schema: { tags, summary: 'Promote or demote (never the last administrator)', params: IdParams, body: Type.Object({ isAdmin: Type.Boolean() }), response: { 200: Type.Object({ id: Type.Integer(), isAdmin: Type.Boolean() }), ...errors(400, 401, 403, 404, 409) } } },
    async (request) => deps.accounts.setAdmin(actor(request), request.params.id, request.body.isAdmin),
  );
  app.delete('/api/admin/users/:id', { config: admin, schema: { tags, summary: 'Delete an account and everything it owns', params: IdParams, response: { 204: NoContent, ...errors(401, 403, 404, 409) } } }, async (request, reply) => {
    await deps.accounts.remove(actor(request), request.params.id);
    return reply.code(204).send(null);
  });

  // Review (read-only, audited) ----------------------------------------------------------------
  app.get(
    '/api/admin/users/:id/review',
    {
      config: admin,
      schema: {
        tags,
        summary: "A user's characters, groups and conversations (read-only; audited)",
        params: IdParams,
        response: {
          200: Type.Object({
            user: Type.Object({ id: Type.Integer(), username: Type.String() }),
            characters: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), biography: Type.String(), source: Type.String(), createdAt: Type.Integer() })),
            groups: Type.Array(Type.Object({ id: Type.Integer(), name: Type.String(), createdAt: Type.Integer() })),
            conversations: Type.Array(Type.Object({ id: Type.Integer(), kind: Type.String(), title: Type.String(), messageCount: Type.Integer(), updatedAt: Type.Integer() })),
          }),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => deps.review.overview(actor(request), request.params.id),
  );
  app.get(
    '/api/admin/conversations/:id',
    {
      config: admin,
      schema: {
        tags,
        summary: "Any user's conversation, read-only (audited)",
        params: IdParams,
        response: {
          200: Type.Object({
            id: Type.Integer(),
            userId: Type.Integer(),
            kind: Type.String(),
            messages: Type.Array(Type.Object({ id: Type.Integer(), role: Type.String(), speaker: nullable(Type.String()), content: Type.String(), status: Type.String(), createdAt: Type.Integer() })),
          }),
          ...errors(401, 403, 404),
        },
      },
    },
    async (request) => deps.review.conversation(actor(request), request.params.id),
  );
  app.get(
    '/api/admin/audit',
    {
      config: admin,
      schema: {
        tags,
        summary: 'The audit log, newest first',
        querystring: Pagination,
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ id: Type.Integer(), actorId: nullable(Type.Integer()), actorName: nullable(Type.String()), action: Type.String(), targetUserId: nullable(Type.Integer()), subject: Type.String(), createdAt: Type.Integer() })), total: Type.Integer() }),
          ...errors(400, 401, 403),
        },
      },
    },
    async (request) => deps.audit.list(request.query.limit, request.query.offset),
  );

  // Usage and prices ---------------------------------------------------------------------------
  app.get('/api/admin/usage', { config: admin, schema: { tags, summary: 'Tokens and estimated cost per user, model, purpose and day', querystring: Type.Composite([UsageQuery, Type.Object({ userId: Type.Optional(Type.Integer({ minimum: 1 })) })]), response: { 200: UsageReport, ...errors(400, 401, 403) } } }, async (request) =>
    deps.usage.report(request.query),
  );
  app.get('/api/me/usage', { config: { auth: 'user' }, schema: { tags: ['me'], summary: 'Your own usage', querystring: UsageQuery, response: { 200: UsageReport, ...errors(400, 401) } } }, async (request) =>
    deps.usage.report({ ...request.query, userId: currentUser(request).id }),
  );
  app.get('/api/admin/prices', { config: admin, schema: { tags, summary: 'Price per million tokens, by model', response: { 200: Type.Object({ items: Type.Array(Price) }), ...errors(401, 403) } } }, async () => ({ items: await deps.usage.prices() }));
  app.put(
    '/api/admin/prices',
    { config: admin, schema: { tags, summary: 'Replace the price table', body: Type.Object({ items: Type.Array(PriceInput, { maxItems: 200 }) }), response: { 200: Type.Object({ items: Type.Array(Price) }), ...errors(400, 401, 403) } } },
    async (request) => ({ items: await deps.usage.putPrices(request.body.items) }),
  );

  // Operations ---------------------------------------------------------------------------------
  app.get(
    '/api/admin/operations',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Cache hit rate, database pool, queue depth, failed jobs, LLM breaker state',
        response: {
          200: Type.Object({
            cache: Type.Object({ hits: Type.Integer(), misses: Type.Integer(), hitRate: nullable(Type.Number()) }),
            dbPool: Type.Object({ total: Type.Integer(), idle: Type.Integer(), waiting: Type.Integer() }),
            queues: Type.Array(Type.Object({ name: Type.String(), waiting: Type.Integer(), running: Type.Integer() })),
            failedJobs: Type.Array(Type.Object({ id: Type.String(), kind: Type.String(), userId: nullable(Type.Integer()), errorCode: nullable(Type.String()), errorMessage: nullable(Type.String()), attempts: Type.Integer(), updatedAt: Type.Integer(), retryable: Type.Boolean() })),
            breakers: Type.Array(Type.Object({ model: Type.String(), state: Type.String() })),
          }),
          ...errors(401, 403),
        },
      },
    },
    async () => deps.operations.snapshot(),
  );
  app.post(
    '/api/admin/failed-jobs/:id/retry',
    { config: admin, schema: { tags, summary: 'Put a failed job (a creation, an evaluation run) back on the queue from the start', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }), response: { 202: Type.Object({ id: Type.String(), state: Type.String() }), ...errors(401, 403, 404, 409, 503) } } },
    async (request, reply) => reply.code(202).send(await deps.operations.retry(request.params.id)),
  );
}
