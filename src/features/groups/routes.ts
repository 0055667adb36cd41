import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, Id, IdParams, NoContent } from '../../http/schemas.js';
import { serveTurn, type TurnStreaming } from '../../http/sse.js';
import type { RateLimiter } from '../../infra/rate-limit/rate-limiter.js';
import { contentDisposition } from '../../http/download.js';
import { MessageContent, MessagePageQuery } from '../conversations/schemas.js';
import { MAX_MEMBERS, MIN_MEMBERS, type GroupsService } from './service.js';
import { GROUP_MODES } from './speaker.js';
import { SpeakerReason } from './schemas.js';
import { LIMITS } from '../../shared/limits.js';

const Mode = Type.Union(GROUP_MODES.map((m) => Type.Literal(m)), { description: 'natural (rules, then a moderator) | round_robin | everyone_once (each member once) | manual (speakerId answers)' });
const Rounds = Type.Integer({ minimum: 1, maximum: 10, description: 'Replies per user message; null = your groupRounds setting' });
const GroupName = Type.String({ minLength: LIMITS.groupName.min, maxLength: LIMITS.groupName.max, pattern: '\\S' });

const GroupSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    mode: Mode,
    maxRounds: Type.Integer({ description: 'In effect: the group\'s own value or your groupRounds setting' }),
    maxRoundsDefault: Type.Boolean({ description: 'maxRounds follows your setting' }),
    personaId: Type.Union([Type.Integer(), Type.Null()], { description: 'The persona you play here; null = your default' }),
    members: Type.Array(
      Type.Object({
        characterId: Type.Integer(),
        name: Type.String(),
        avatarUrl: Type.String(),
        mutedUntil: Type.Union([Type.Integer(), Type.Null()], { description: 'Not chosen to speak before this time (epoch ms); null = not muted' }),
      }),
    ),
    createdAt: Type.Integer(),
    updatedAt: Type.Integer(),
  },
  { $id: 'Group' },
);
const GroupMessageSchema = Type.Object(
  {
    id: Type.Integer(),
    role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
    content: Type.String(),
    status: Type.String({ description: 'complete | interrupted (reply cut short) | pending (user message, turn running) | failed (user message, no reply came)' }),
    characterId: Type.Union([Type.Integer(), Type.Null()], { description: 'The member who spoke; null for you' }),
    speakerName: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.Integer(),
    editedAt: Type.Union([Type.Integer(), Type.Null()]),
    alternatives: Type.Union([Type.Object({ index: Type.Integer(), count: Type.Integer() }), Type.Null()], { description: 'Swipes: the shown version and how many there are; null = one version' }),
    reason: Type.Union([SpeakerReason, Type.Null()]),
  },
  { $id: 'GroupMessage' },
);
const TurnSummary = Type.Object({
  userMessageId: Type.Integer(),
  messageIds: Type.Array(Type.Integer()),
  rounds: Type.Integer(),
  ruleRounds: Type.Integer({ description: 'Rounds whose speaker the rules chose without an LLM call' }),
  moderatorCalls: Type.Integer(),
  moderatorFailures: Type.Integer(),
  decidedBy: Type.Record(Type.String(), Type.Integer(), { description: 'Rounds per deciding rule: mention, addressed, only_choice, round_robin, everyone_once, manual, requested, moderator, moderator_draw, moderator_failed' }),
  stoppedBy: Type.String({ description: 'round_limit | everyone_spoke | manual_done | moderator_low_confidence | nobody' }),
});
const MemberParams = Type.Object({ id: Type.Integer({ minimum: 1 }), characterId: Type.Integer({ minimum: 1 }) });
const MessageParams = Type.Object({ id: Type.Integer({ minimum: 1 }), messageId: Type.Integer({ minimum: 1 }) });
const MemberIds = Type.Array(Type.Integer({ minimum: 1 }), { minItems: MIN_MEMBERS, maxItems: MAX_MEMBERS, uniqueItems: true });
const ONE_REPLY_DESCRIPTION =
  'With `Accept: text/event-stream`: `speaker {characterId, name}`, `token {text}` …, `message_done {messageId}`, then `done {…}` or `error {code, message}`. Otherwise JSON once the reply is stored.';
const TURN_DESCRIPTION =
  'With `Accept: text/event-stream` the whole round loop streams: per speaker `speaker {characterId, name}`, `token {text}` …, `message_done {messageId}`; ' +
  'then `done {rounds, ruleRounds, moderatorCalls, …}` or `error {code, message}`. Closing the connection stops the loop. Otherwise JSON once the loop ends.';

export interface GroupRouteDeps {
  groups: GroupsService;
  limiter: RateLimiter;
  chatRatePerMin: number;
  /** How streamed turns are written: the frame window and the first-token metric. */
  streaming: TurnStreaming;
}

export function registerGroupRoutes(root: FastifyInstance, deps: GroupRouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { groups } = deps;
  const config = { auth: 'user' as const };
  const tags = ['groups'];
  app.addSchema(GroupSchema);
  app.addSchema(GroupMessageSchema);
  const owner = (request: FastifyRequest) => ({ userId: currentUser(request).id });
  const Group = Type.Ref('Group');

  app.post(
    '/api/groups',
    {
      config,
      schema: {
        tags,
        summary: `Create a group of ${MIN_MEMBERS}–${MAX_MEMBERS} of your characters`,
        body: Type.Object({ name: GroupName, memberIds: MemberIds, mode: Type.Optional(Mode), maxRounds: Type.Optional(Type.Union([Rounds, Type.Null()])) }, { additionalProperties: false }),
        response: { 201: Group, ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await groups.create(owner(request), { ...request.body, name: request.body.name.trim() })),
  );

  app.get('/api/groups', { config, schema: { tags, summary: 'Your groups, most recently active first', response: { 200: Type.Object({ items: Type.Array(Group) }), ...errors(401) } } }, async (request) => ({
    items: await groups.list(owner(request)),
  }));

  app.get('/api/groups/:id', { config, schema: { tags, params: IdParams, response: { 200: Group, ...errors(401, 404) } } }, async (request) => groups.get(owner(request), request.params.id));

  app.patch(
    '/api/groups/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Rename, change the mode, the rounds per message (null: follow your setting) or your persona (null: your default)',
        params: IdParams,
        body: Type.Object({ name: Type.Optional(GroupName), mode: Type.Optional(Mode), maxRounds: Type.Optional(Type.Union([Rounds, Type.Null()])), personaId: Type.Optional(Type.Union([Id, Type.Null()])) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Group, ...errors(400, 401, 404) },
      },
    },
    async (request) => groups.update(owner(request), request.params.id, { ...request.body, name: request.body.name?.trim() }),
  );

  app.delete('/api/groups/:id', { config, schema: { tags, summary: 'Delete the group and its messages', params: IdParams, response: { 204: NoContent, ...errors(401, 404) } } }, async (request, reply) => {
    await groups.remove(owner(request), request.params.id);
    return reply.code(204).send(null);
  });

  app.post(
    '/api/groups/:id/members',
    {
      config,
      schema: {
        tags,
        summary: 'Add one of your characters',
        params: IdParams,
        body: Type.Object({ characterId: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
        response: { 200: Group, ...errors(400, 401, 404, 409) },
      },
    },
    async (request) => groups.addMember(owner(request), request.params.id, request.body.characterId),
  );

  app.delete(
    '/api/groups/:id/members/:characterId',
    { config, schema: { tags, summary: `Remove a member (a group keeps at least ${MIN_MEMBERS})`, params: MemberParams, response: { 200: Group, ...errors(400, 401, 404) } } },
    async (request) => groups.removeMember(owner(request), request.params.id, request.params.characterId),
  );

  app.post(
    '/api/groups/:id/messages',
    {
      config,
      schema: {
        tags,
        summary: 'Send a message; the members\' replies stream',
        description: TURN_DESCRIPTION,
        params: IdParams,
        body: Type.Object({ content: MessageContent, speakerId: Type.Optional(Type.Integer({ minimum: 1, description: 'Who answers (required in manual mode; first speaker otherwise)' })) }, { additionalProperties: false }),
        response: { 200: TurnSummary, ...errors(400, 401, 404, 409, 429, 502, 503, 504) },
      },
    },
    async (request, reply) => {
      const input = { content: request.body.content.trim(), speakerId: request.body.speakerId };
      return serveTurn(
        request,
        reply,
        { limiter: deps.limiter, ratePerMin: deps.chatRatePerMin, ...deps.streaming },
        (sink) => groups.turn(owner(request), request.params.id, input, sink),
        { done: (r) => r },
      );
    },
  );

  app.get(
    '/api/groups/:id/messages',
    {
      config,
      schema: {
        tags,
        summary: 'Messages, newest first; pass `before` = the previous page\'s `nextBefore`',
        params: IdParams,
        querystring: MessagePageQuery,
        response: { 200: Type.Object({ items: Type.Array(Type.Ref('GroupMessage')), nextBefore: Type.Union([Type.Integer(), Type.Null()]) }), ...errors(400, 401, 404) },
      },
    },
    async (request) => groups.listMessages(owner(request), request.params.id, request.query),
  );

  app.delete(
    '/api/groups/:id/messages',
    { config, schema: { tags, summary: 'Clear the messages and the group\'s short-term memory (members\' long-term memory stays)', params: IdParams, response: { 204: NoContent, ...errors(401, 404, 409) } } },
    async (request, reply) => {
      await groups.clear(owner(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  const turnOptions = { limiter: deps.limiter, ratePerMin: deps.chatRatePerMin, ...deps.streaming };
  const TurnResponses = { 200: TurnSummary, ...errors(401, 404, 409, 429, 502, 503, 504) };

  app.post(
    '/api/groups/:id/messages/regenerate',
    { config, schema: { tags, summary: 'Regenerate the newest reply (same member); the earlier versions stay as swipes', description: ONE_REPLY_DESCRIPTION, params: IdParams, response: TurnResponses } },
    async (request, reply) => serveTurn(request, reply, turnOptions, (sink) => groups.regenerate(owner(request), request.params.id, sink), { done: (r) => r }),
  );

  app.post(
    '/api/groups/:id/members/:characterId/speak',
    { config, schema: { tags, summary: 'Let this member speak now, without a message from you (muted or not)', description: ONE_REPLY_DESCRIPTION, params: MemberParams, response: TurnResponses } },
    async (request, reply) => serveTurn(request, reply, turnOptions, (sink) => groups.letSpeak(owner(request), request.params.id, request.params.characterId, sink), { done: (r) => r }),
  );

  app.put(
    '/api/groups/:id/members/:characterId/mute',
    {
      config,
      schema: {
        tags,
        summary: 'Mute a member until a time (it is not chosen to speak unless you ask for it), or unmute it with null',
        params: MemberParams,
        body: Type.Object({ until: Type.Union([Type.Integer({ minimum: 0, description: 'Epoch ms, in the future, at most 30 days ahead' }), Type.Null()]) }, { additionalProperties: false }),
        response: { 200: Group, ...errors(400, 401, 404) },
      },
    },
    async (request) => groups.mute(owner(request), request.params.id, request.params.characterId, request.body.until),
  );

  app.put(
    '/api/groups/:id/messages/:messageId/alternative',
    {
      config,
      schema: { tags, summary: 'Show another version of a reply (swipe); the shown one is what history, memory and export use', params: MessageParams, body: Type.Object({ index: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }), response: { 200: Type.Ref('GroupMessage'), ...errors(400, 401, 404, 409) } },
    },
    async (request) => groups.chooseAlternative(owner(request), request.params.id, request.params.messageId, request.body.index),
  );

  app.patch(
    '/api/groups/:id/messages/:messageId',
    { config, schema: { tags, summary: 'Edit one of your messages', params: MessageParams, body: Type.Object({ content: MessageContent }, { additionalProperties: false }), response: { 200: Type.Ref('GroupMessage'), ...errors(400, 401, 404, 409) } } },
    async (request) => groups.editMessage(owner(request), request.params.id, request.params.messageId, request.body.content.trim()),
  );

  app.delete('/api/groups/:id/messages/:messageId', { config, schema: { tags, summary: 'Delete one message', params: MessageParams, response: { 204: NoContent, ...errors(401, 404, 409) } } }, async (request, reply) => {
    await groups.deleteMessage(owner(request), request.params.id, request.params.messageId);
    return reply.code(204).send(null);
  });

  app.get(
    '/api/groups/:id/export',
    { config, schema: { tags, summary: 'Download the conversation', params: IdParams, querystring: Type.Object({ format: Type.Union([Type.Literal('json'), Type.Literal('md')], { default: 'json' }), tz: Type.Optional(Type.String({ maxLength: 64, description: 'IANA time zone for the Markdown timestamps' })) }), response: { ...errors(401, 404) } } },
    async (request, reply) => {
      const out = await groups.exportConversation(owner(request), request.params.id, request.query.format, request.query.tz);
      return reply.header('content-disposition', contentDisposition(out.filename)).type(out.contentType).send(out.body);
    },
  );
}
