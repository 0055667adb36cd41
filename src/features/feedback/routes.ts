/** Feedback: users send and read theirs; administrators list, reply and change status. */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, IdParams, NoContent, Pagination } from '../../http/schemas.js';
import { FEEDBACK_CATEGORIES, FEEDBACK_STATUSES, type FeedbackService } from './service.js';

const Status = Type.Union(FEEDBACK_STATUSES.map((v) => Type.Literal(v)));
const Category = Type.Union(FEEDBACK_CATEGORIES.map((v) => Type.Literal(v)));
const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const FeedbackView = Type.Object({
  id: Type.Integer(),
  userId: Type.Integer(),
  username: Type.String(),
  category: Type.String(),
  title: Type.String(),
  content: Type.String(),
  status: Type.String(),
  messageId: nullable(Type.Integer()),
  characterId: nullable(Type.Integer()),
  reply: nullable(Type.String()),
  repliedAt: nullable(Type.Integer()),
  unreadReply: Type.Boolean(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});

export function registerFeedbackRoutes(root: FastifyInstance, deps: { feedback: FeedbackService }): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { feedback } = deps;
  const user = { auth: 'user' as const };
  const admin = { auth: 'admin' as const };

  app.post(
    '/api/feedback',
    {
      config: user,
      schema: {
        tags: ['feedback'],
        summary: 'Send feedback, optionally about one of your messages or characters',
        body: Type.Object(
          { category: Category, content: Type.String({ minLength: 1, maxLength: 5000 }), title: Type.Optional(Type.String({ maxLength: 200 })), messageId: Type.Optional(Type.Integer({ minimum: 1 })), characterId: Type.Optional(Type.Integer({ minimum: 1 })) },
          { additionalProperties: false },
        ),
        response: { 201: FeedbackView, ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await feedback.submit(currentUser(request).id, request.body)),
  );

  app.get('/api/feedback', { config: user, schema: { tags: ['feedback'], summary: 'Your feedback with replies; `unread` counts replies not yet opened', response: { 200: Type.Object({ items: Type.Array(FeedbackView), unread: Type.Integer() }), ...errors(401) } } }, async (request) =>
    feedback.mine(currentUser(request).id),
  );

  app.post('/api/feedback/:id/read', { config: user, schema: { tags: ['feedback'], summary: 'Mark the reply as read', params: IdParams, response: { 204: NoContent, ...errors(401, 404) } } }, async (request, reply) => {
    await feedback.markRead(currentUser(request).id, request.params.id);
    return reply.code(204).send(null);
  });

  app.get(
    '/api/admin/feedback',
    {
      config: admin,
      schema: {
        tags: ['admin: feedback'],
        summary: 'All feedback, newest first, optionally by status',
        querystring: Type.Composite([Pagination, Type.Object({ status: Type.Optional(Status) })]),
        response: { 200: Type.Object({ items: Type.Array(FeedbackView), total: Type.Integer(), byStatus: Type.Record(Type.String(), Type.Integer()) }), ...errors(400, 401, 403) },
      },
    },
    async (request) => feedback.list(request.query),
  );

  app.patch(
    '/api/admin/feedback/:id',
    {
      config: admin,
      schema: {
        tags: ['admin: feedback'],
        summary: 'Reply and/or change the status',
        params: IdParams,
        body: Type.Object({ status: Type.Optional(Status), reply: Type.Optional(Type.String({ minLength: 1, maxLength: 5000 })) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: FeedbackView, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => feedback.update(request.params.id, request.body),
  );
}
