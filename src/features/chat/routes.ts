import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, IdParams, NoContent } from '../../http/schemas.js';
import { serveTurn } from '../../http/sse.js';
import type { RateLimiter } from '../../infra/rate-limit/rate-limiter.js';
import { notFound } from '../../errors.js';
import { contentDisposition } from '../../http/download.js';
import { MessageContent, MessagePage, MessagePageQuery, MessageSchema } from '../conversations/schemas.js';
import type { MemoryService } from '../memory/service.js';
import type { ChatService, ReplyResult } from './service.js';

const Usage = Type.Object({ promptTokens: Type.Integer(), completionTokens: Type.Integer() });
const ReplyJson = Type.Object({ message: Type.Ref('Message'), userMessageId: Type.Integer(), usage: Usage });
const MemorySchema = Type.Object({
  id: Type.Integer(),
  kind: Type.String(),
  content: Type.String(),
  importance: Type.Number(),
  pinned: Type.Boolean(),
  rangeStart: Type.Union([Type.Integer(), Type.Null()]),
  rangeEnd: Type.Union([Type.Integer(), Type.Null()]),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
const MessageParams = Type.Object({ id: Type.Integer({ minimum: 1 }), messageId: Type.Integer({ minimum: 1 }) });
const MemoryParams = Type.Object({ id: Type.Integer({ minimum: 1 }), memoryId: Type.Integer({ minimum: 1 }) });
const STREAM_DESCRIPTION =
  'With `Accept: text/event-stream`: SSE frames `token {text}` …, then `done {messageId, userMessageId, usage}` or `error {code, message}`; pings every 15 s. Otherwise JSON. ' +
  'A turn the server cannot take (LLM busy or down, 503; rate limit, 429; another turn running, 409) is refused with Retry-After before anything is stored.';

export interface ChatRouteDeps {
  chat: ChatService;
  memory: MemoryService;
  limiter: RateLimiter;
  chatRatePerMin: number;
  /** Request received → first token written, as the server sees it. */
  observeFirstToken?: (seconds: number) => void;
}

export function registerChatRoutes(root: FastifyInstance, deps: ChatRouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { chat, memory } = deps;
  const auth = { auth: 'user' as const };
  const tags = ['chat'];
  app.addSchema(MessageSchema);
  const owner = (request: FastifyRequest) => ({ userId: currentUser(request).id });

  const turnOptions = { limiter: deps.limiter, ratePerMin: deps.chatRatePerMin, observeFirstToken: deps.observeFirstToken };
  /** SSE ends with `done {messageId, userMessageId, usage}`; JSON is the stored reply. */
  const finish = {
    done: ({ messageId, userMessageId, usage }: ReplyResult) => ({ messageId, userMessageId, usage }),
    json: ({ message, userMessageId, usage }: ReplyResult) => ({ message, userMessageId, usage }),
  };

  app.post(
    '/api/characters/:id/messages',
    { config: auth, schema: { tags, summary: 'Send a message; the reply streams', description: STREAM_DESCRIPTION, params: IdParams, body: Type.Object({ content: MessageContent }, { additionalProperties: false }), response: { 200: ReplyJson, ...errors(400, 401, 404, 409, 429, 502, 503, 504) } } },
    async (request, replyObj) => {
      const startedAt = performance.now() - replyObj.elapsedTime;
      return serveTurn(request, replyObj, turnOptions, (sink) => chat.turn(owner(request), request.params.id, request.body.content.trim(), sink, startedAt), finish);
    },
  );

  app.post(
    '/api/characters/:id/messages/regenerate',
    { config: auth, schema: { tags, summary: 'Replace the last reply', description: STREAM_DESCRIPTION, params: IdParams, response: { 200: ReplyJson, ...errors(401, 404, 409, 429, 502, 503, 504) } } },
    async (request, replyObj) => serveTurn(request, replyObj, turnOptions, (sink) => chat.regenerate(owner(request), request.params.id, sink), finish),
  );

  app.get(
    '/api/characters/:id/messages',
    { config: auth, schema: { tags, summary: 'Messages, newest first; pass `before` = the previous page\'s `nextBefore`', params: IdParams, querystring: MessagePageQuery, response: { 200: MessagePage, ...errors(400, 401, 404) } } },
    async (request) => chat.list(owner(request), request.params.id, request.query),
  );

  app.patch(
    '/api/characters/:id/messages/:messageId',
    { config: auth, schema: { tags, summary: 'Edit one of your messages', params: MessageParams, body: Type.Object({ content: MessageContent }, { additionalProperties: false }), response: { 200: Type.Ref('Message'), ...errors(400, 401, 404) } } },
    async (request) => chat.edit(owner(request), request.params.id, request.params.messageId, request.body.content.trim()),
  );

  app.delete('/api/characters/:id/messages/:messageId', { config: auth, schema: { tags, params: MessageParams, response: { 204: NoContent, ...errors(401, 404) } } }, async (request, r) => {
    await chat.remove(owner(request), request.params.id, request.params.messageId);
    return r.code(204).send(null);
  });

  app.delete(
    '/api/characters/:id/messages',
    { config: auth, schema: { tags, summary: 'Clear the conversation (long-term memories stay unless `memories=true`)', params: IdParams, querystring: Type.Object({ memories: Type.Boolean({ default: false }) }), response: { 204: NoContent, ...errors(401, 404) } } },
    async (request, r) => {
      await chat.clear(owner(request), request.params.id, request.query.memories);
      return r.code(204).send(null);
    },
  );

  app.get(
    '/api/characters/:id/export',
    { config: auth, schema: { tags, summary: 'Download the conversation', params: IdParams, querystring: Type.Object({ format: Type.Union([Type.Literal('json'), Type.Literal('md')], { default: 'json' }), tz: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone for the Markdown timestamps' })) }) } },
    async (request, r) => {
      const out = await chat.exportConversation(owner(request), request.params.id, request.query.format, request.query.tz);
      return r.header('content-disposition', contentDisposition(out.filename)).type(out.contentType).send(out.body);
    },
  );

  app.get(
    '/api/characters/:id/prompt',
    {
      config: auth,
      schema: {
        tags,
        summary: 'The prompt the next turn would send, with each part\'s size in estimated tokens (owner only)',
        params: IdParams,
        response: {
          200: Type.Object({
            parts: Type.Array(Type.Object({ name: Type.String(), tokens: Type.Integer(), budget: Type.Integer(), text: Type.String() })),
            messages: Type.Array(Type.Object({ role: Type.String(), content: Type.String() })),
            totalTokens: Type.Integer(),
          }),
          ...errors(401, 404),
        },
      },
    },
    async (request) => chat.inspectPrompt(owner(request), request.params.id),
  );

  // Memories -----------------------------------------------------------------------------------

  const scopeOf = async (request: FastifyRequest, characterId: number) => {
    const { conversationId } = await chat.open(owner(request), characterId);
    return { characterIds: [characterId], conversationId };
  };

  app.get(
    '/api/characters/:id/memories',
    { config: auth, schema: { tags: ['memory'], summary: 'Short-term summaries of this chat and the character\'s long-term memory', params: IdParams, response: { 200: Type.Object({ shortTerm: Type.Array(MemorySchema), longTerm: Type.Array(MemorySchema) }), ...errors(401, 404) } } },
    async (request) => {
      const scope = await scopeOf(request, request.params.id);
      return memory.snapshot(scope.conversationId, scope.characterIds);
    },
  );

  app.patch(
    '/api/characters/:id/memories/:memoryId',
    {
      config: auth,
      schema: {
        tags: ['memory'],
        summary: 'Edit, pin or unpin a memory',
        params: MemoryParams,
        body: Type.Object({ content: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })), pinned: Type.Optional(Type.Boolean()), importance: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: MemorySchema, ...errors(400, 401, 404) },
      },
    },
    async (request) => {
      const item = await memory.update(await scopeOf(request, request.params.id), request.params.memoryId, request.body);
      if (!item) throw notFound('memory');
      return item;
    },
  );

  app.delete('/api/characters/:id/memories/:memoryId', { config: auth, schema: { tags: ['memory'], params: MemoryParams, response: { 204: NoContent, ...errors(401, 404) } } }, async (request, r) => {
    if (!(await memory.remove(await scopeOf(request, request.params.id), request.params.memoryId))) throw notFound('memory');
    return r.code(204).send(null);
  });

  app.post(
    '/api/characters/:id/memories/compress',
    { config: auth, schema: { tags: ['memory'], summary: 'Compress this chat\'s memory now (a background job)', params: IdParams, response: { 202: Type.Object({ status: Type.Literal('queued') }), ...errors(401, 404, 503) } } },
    async (request, r) => {
      const { conversationId } = await chat.open(owner(request), request.params.id);
      await memory.schedule(conversationId, true);
      return r.code(202).send({ status: 'queued' as const });
    },
  );
}
