import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, Id, IdParams, NoContent } from '../../http/schemas.js';
import { readUpload } from '../../http/upload.js';
import { LIMITS } from '../../shared/limits.js';
import { MAX_CHAT_FILE_BYTES } from './chat-file.js';
import { serveTurn, type TurnStreaming } from '../../http/sse.js';
import type { RateLimiter } from '../../infra/rate-limit/rate-limiter.js';
import { notFound } from '../../errors.js';
import { contentDisposition } from '../../http/download.js';
import { MessageContent, MessagePage, MessagePageQuery, MessageSchema } from '../conversations/schemas.js';
import type { MemoryService } from '../memory/service.js';
import type { ChatService, ChatTarget, ReplyResult } from './service.js';

/** A lorebook entry that fired, and on which key (`(constant)` for constant entries; round > 0 = by recursion). */
const FiredLoreSchema = Type.Object({ id: Type.String(), comment: Type.String(), key: Type.String(), round: Type.Integer(), position: Type.String(), tokens: Type.Integer() });
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
const ChatTitle = Type.String({ maxLength: LIMITS.chatTitle.max });
const ChatSchema = Type.Object(
  {
    id: Type.Integer(),
    characterId: Type.Integer(),
    title: Type.Union([Type.String(), Type.Null()], { description: 'Null: show firstWords, or the date' }),
    personaId: Type.Union([Type.Integer(), Type.Null()], { description: 'Null: the default persona plays' }),
    createdAt: Type.Integer(),
    updatedAt: Type.Integer({ description: 'When it was created, renamed or last became the current chat' }),
    messageCount: Type.Integer(),
    lastMessageAt: Type.Union([Type.Integer(), Type.Null()]),
    firstWords: Type.Union([Type.String(), Type.Null()], { description: 'The start of the first user message' }),
  },
  { $id: 'Chat' },
);
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
  /** How streamed turns are written: the frame window and the first-token metric. */
  streaming: TurnStreaming;
}

export function registerChatRoutes(root: FastifyInstance, deps: ChatRouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { chat, memory } = deps;
  const auth = { auth: 'user' as const };
  const tags = ['chat'];
  app.addSchema(MessageSchema);
  app.addSchema(ChatSchema);
  const owner = (request: FastifyRequest) => ({ userId: currentUser(request).id, userName: currentUser(request).username });

  const turnOptions = { limiter: deps.limiter, ratePerMin: deps.chatRatePerMin, ...deps.streaming };
  /** SSE ends with `done {messageId, userMessageId, usage}`; JSON is the stored reply. */
  const finish = {
    done: ({ messageId, userMessageId, usage }: ReplyResult) => ({ messageId, userMessageId, usage }),
    json: ({ message, userMessageId, usage }: ReplyResult) => ({ message, userMessageId, usage }),
  };

  // Every message route twice: by character id (its current chat, as before several chats) and by chat id.
  for (const scope of [
    { prefix: '/api/characters/:id', target: (id: number): ChatTarget => ({ characterId: id }), what: 'the character\'s current chat' },
    { prefix: '/api/chats/:id', target: (id: number): ChatTarget => ({ chatId: id }), what: 'this chat' },
  ]) {
    const { prefix, target, what } = scope;
    const on = (request: { params: { id: number } }) => target(request.params.id);

    app.post(
      `${prefix}/messages`,
      { config: auth, schema: { tags, summary: `Send a message to ${what}; the reply streams`, description: STREAM_DESCRIPTION, params: IdParams, body: Type.Object({ content: MessageContent }, { additionalProperties: false }), response: { 200: ReplyJson, ...errors(400, 401, 404, 409, 429, 502, 503, 504) } } },
      async (request, replyObj) => {
        const startedAt = performance.now() - replyObj.elapsedTime;
        return serveTurn(request, replyObj, turnOptions, (sink) => chat.turn(owner(request), on(request), request.body.content.trim(), sink, startedAt), finish);
      },
    );

    app.post(
      `${prefix}/messages/regenerate`,
      { config: auth, schema: { tags, summary: `Write the last reply of ${what} again; the old one stays as an alternative`, description: STREAM_DESCRIPTION, params: IdParams, response: { 200: ReplyJson, ...errors(401, 404, 409, 429, 502, 503, 504) } } },
      async (request, replyObj) => serveTurn(request, replyObj, turnOptions, (sink) => chat.regenerate(owner(request), on(request), sink), finish),
    );

    app.post(
      `${prefix}/messages/continue`,
      { config: auth, schema: { tags, summary: `Extend the last reply of ${what} without a new user message`, description: STREAM_DESCRIPTION, params: IdParams, response: { 200: ReplyJson, ...errors(401, 404, 409, 429, 502, 503, 504) } } },
      async (request, replyObj) => serveTurn(request, replyObj, turnOptions, (sink) => chat.continueReply(owner(request), on(request), sink), finish),
    );

    app.post(
      `${prefix}/messages/:messageId/regenerate`,
      {
        config: auth,
        schema: {
          tags,
          summary: 'Save an edit of your last message and answer it again; the old reply stays as an alternative',
          description: STREAM_DESCRIPTION,
          params: MessageParams,
          body: Type.Object({ content: MessageContent }, { additionalProperties: false }),
          response: { 200: ReplyJson, ...errors(400, 401, 404, 409, 429, 502, 503, 504) },
        },
      },
      async (request, replyObj) => serveTurn(request, replyObj, turnOptions, (sink) => chat.editAndRegenerate(owner(request), on(request), request.params.messageId, request.body.content.trim(), sink), finish),
    );

    app.put(
      `${prefix}/messages/:messageId/alternative`,
      {
        config: auth,
        schema: { tags, summary: 'Show another version of a reply (swipe); the shown one is what history, memory and export use', params: MessageParams, body: Type.Object({ index: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }), response: { 200: Type.Ref('Message'), ...errors(400, 401, 404, 409) } },
      },
      async (request) => chat.chooseAlternative(owner(request), on(request), request.params.messageId, request.body.index),
    );

    app.get(
      `${prefix}/messages`,
      { config: auth, schema: { tags, summary: `Messages of ${what}, newest first; pass \`before\` = the previous page's \`nextBefore\``, params: IdParams, querystring: MessagePageQuery, response: { 200: MessagePage, ...errors(400, 401, 404) } } },
      async (request) => chat.list(owner(request), on(request), request.query),
    );

    app.patch(
      `${prefix}/messages/:messageId`,
      { config: auth, schema: { tags, summary: 'Edit one of your messages', params: MessageParams, body: Type.Object({ content: MessageContent }, { additionalProperties: false }), response: { 200: Type.Ref('Message'), ...errors(400, 401, 404) } } },
      async (request) => chat.edit(owner(request), on(request), request.params.messageId, request.body.content.trim()),
    );

    app.delete(`${prefix}/messages/:messageId`, { config: auth, schema: { tags, params: MessageParams, response: { 204: NoContent, ...errors(401, 404) } } }, async (request, r) => {
      await chat.remove(owner(request), on(request), request.params.messageId);
      return r.code(204).send(null);
    });

    app.delete(
      `${prefix}/messages`,
      { config: auth, schema: { tags, summary: `Clear ${what} (long-term memories stay unless \`memories=true\`)`, params: IdParams, querystring: Type.Object({ memories: Type.Boolean({ default: false }) }), response: { 204: NoContent, ...errors(401, 404) } } },
      async (request, r) => {
        await chat.clear(owner(request), on(request), request.query.memories);
        return r.code(204).send(null);
      },
    );

    app.get(
      `${prefix}/export`,
      { config: auth, schema: { tags, summary: `Download ${what} (JSON keeps every version of a reply, for import)`, params: IdParams, querystring: Type.Object({ format: Type.Union([Type.Literal('json'), Type.Literal('md')], { default: 'json' }), tz: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone for the Markdown timestamps' })) }) } },
      async (request, r) => {
        const out = await chat.exportConversation(owner(request), on(request), request.query.format, request.query.tz);
        return r.header('content-disposition', contentDisposition(out.filename)).type(out.contentType).send(out.body);
      },
    );

    app.get(
      `${prefix}/prompt`,
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
              lore: Type.Optional(Type.Object({ fired: Type.Array(FiredLoreSchema), overBudget: Type.Array(FiredLoreSchema) })),
            }),
            ...errors(401, 404),
          },
        },
      },
      async (request) => chat.inspectPrompt(owner(request), on(request)),
    );

    // Memories: the chat's short-term summaries and the character's long-term memory.
    const scopeOf = async (request: FastifyRequest & { params: { id: number } }) => {
      const { character, conversationId } = await chat.resolve(owner(request), on(request));
      return { characterIds: [character.id], conversationId };
    };

    app.get(
      `${prefix}/memories`,
      { config: auth, schema: { tags: ['memory'], summary: `Short-term summaries of ${what} and the character's long-term memory`, params: IdParams, response: { 200: Type.Object({ shortTerm: Type.Array(MemorySchema), longTerm: Type.Array(MemorySchema) }), ...errors(401, 404) } } },
      async (request) => {
        const scope = await scopeOf(request);
        return memory.snapshot(scope.conversationId, scope.characterIds);
      },
    );

    app.patch(
      `${prefix}/memories/:memoryId`,
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
        const item = await memory.update(await scopeOf(request), request.params.memoryId, request.body);
        if (!item) throw notFound('memory');
        return item;
      },
    );

    app.delete(`${prefix}/memories/:memoryId`, { config: auth, schema: { tags: ['memory'], params: MemoryParams, response: { 204: NoContent, ...errors(401, 404) } } }, async (request, r) => {
      if (!(await memory.remove(await scopeOf(request), request.params.memoryId))) throw notFound('memory');
      return r.code(204).send(null);
    });

    app.post(
      `${prefix}/memories/compress`,
      { config: auth, schema: { tags: ['memory'], summary: `Compress the memory of ${what} now (a background job)`, params: IdParams, response: { 202: Type.Object({ status: Type.Literal('queued') }), ...errors(401, 404, 503) } } },
      async (request, r) => {
        const { conversationId } = await scopeOf(request);
        await memory.schedule(conversationId, true);
        return r.code(202).send({ status: 'queued' as const });
      },
    );
  }

  // Chats: a character's several conversations --------------------------------------------------

  app.get(
    '/api/characters/:id/chats',
    { config: auth, schema: { tags: ['chats'], summary: 'The character\'s chats, most recently used first', params: IdParams, response: { 200: Type.Object({ items: Type.Array(Type.Ref('Chat')) }), ...errors(401, 404) } } },
    async (request) => ({ items: await chat.listChats(owner(request), request.params.id) }),
  );

  app.post(
    '/api/characters/:id/chats',
    {
      config: auth,
      schema: {
        tags: ['chats'],
        summary: 'Start a new chat (it opens with the character\'s greeting and becomes the current chat; long-term memory carries over)',
        params: IdParams,
        body: Type.Object({ title: Type.Optional(ChatTitle), personaId: Type.Optional(Type.Union([Id, Type.Null()])) }, { additionalProperties: false }),
        response: { 201: Type.Ref('Chat'), ...errors(400, 401, 404) },
      },
    },
    async (request, r) => r.code(201).send(await chat.createChat(owner(request), request.params.id, request.body ?? {})),
  );

  app.post(
    '/api/characters/:id/chats/import',
    {
      config: auth,
      schema: {
        tags: ['chats'],
        summary: 'Import a chat file as a new chat (multipart `file`: our JSON export, or a SillyTavern .jsonl chat)',
        consumes: ['multipart/form-data'],
        params: IdParams,
        response: { 201: Type.Ref('Chat'), ...errors(400, 401, 404, 413, 415) },
      },
    },
    async (request, r) => {
      const upload = await readUpload(request, MAX_CHAT_FILE_BYTES);
      return r.code(201).send(await chat.importChat(owner(request), request.params.id, upload));
    },
  );

  app.get('/api/chats/:id', { config: auth, schema: { tags: ['chats'], summary: 'One chat', params: IdParams, response: { 200: Type.Ref('Chat'), ...errors(401, 404) } } }, async (request) =>
    chat.getChat(owner(request), request.params.id),
  );

  app.patch(
    '/api/chats/:id',
    {
      config: auth,
      schema: {
        tags: ['chats'],
        summary: 'Rename a chat (`title: null` = its first words or date) or choose its persona (`personaId: null` = your default)',
        params: IdParams,
        body: Type.Object({ title: Type.Optional(Type.Union([ChatTitle, Type.Null()])), personaId: Type.Optional(Type.Union([Id, Type.Null()])) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Type.Ref('Chat'), ...errors(400, 401, 404) },
      },
    },
    async (request) => chat.updateChat(owner(request), request.params.id, request.body),
  );

  app.delete('/api/chats/:id', { config: auth, schema: { tags: ['chats'], summary: 'Delete a chat with its messages and short-term memory (the character\'s long-term memory stays)', params: IdParams, response: { 204: NoContent, ...errors(401, 404, 409) } } }, async (request, r) => {
    await chat.deleteChat(owner(request), request.params.id);
    return r.code(204).send(null);
  });
}
