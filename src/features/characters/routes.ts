import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, IdParams, NoContent, Pagination } from '../../http/schemas.js';
import { cropFrom, readUpload } from '../../http/upload.js';
import { ProfileSchema, type Profile } from './profile.js';
import { toView, type CharactersService } from './service.js';
import { MAX_AVATAR_BYTES } from './avatar-image.js';
import { MAX_CARD_BYTES } from './card.js';
import { contentDisposition, sendWebp } from '../../http/download.js';
import { LIMITS } from '../../shared/limits.js';

export const CharacterName = Type.String({ minLength: LIMITS.characterName.min, maxLength: LIMITS.characterName.max, pattern: '\\S' });

const Summary = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  biography: Type.String(),
  avatarUrl: Type.String(),
  source: Type.String(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
const CardFieldsSchema = Type.Object({
  systemPrompt: Type.String({ maxLength: 20_000, description: 'system_prompt: replaces our role-play rules; {{original}} stands for them' }),
  postHistoryInstructions: Type.String({ maxLength: 20_000, description: 'post_history_instructions: a system message after the history' }),
  alternateGreetings: Type.Array(Type.String({ maxLength: 20_000 }), { maxItems: 50, description: 'alternate_greetings: other openings, shown as alternatives of the greeting' }),
});
export const CharacterSchema = Type.Composite([Summary, Type.Object({ profile: Type.Unknown(), card: CardFieldsSchema })], { $id: 'Character' });

export interface CharacterRouteDeps {
  characters: CharactersService;
}

export function registerCharacterRoutes(root: FastifyInstance, deps: CharacterRouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { characters } = deps;
  const auth = { auth: 'user' as const };
  const tags = ['characters'];
  app.addSchema(CharacterSchema);
  const Character = Type.Ref('Character');

  app.get(
    '/api/characters',
    { config: auth, schema: { tags, summary: 'My characters, newest first, searchable by name', querystring: Type.Composite([Pagination, Type.Object({ q: Type.Optional(Type.String({ maxLength: 64 })) })]), response: { 200: Type.Object({ items: Type.Array(Summary), total: Type.Integer() }), ...errors(400, 401) } } },
    async (request) => {
      const { q, limit, offset } = request.query;
      return characters.list(currentUser(request).id, { q: q?.trim() || undefined, limit, offset });
    },
  );

  app.get('/api/characters/:id', { config: auth, schema: { tags, params: IdParams, response: { 200: Character, ...errors(401, 404) } } }, async (request) =>
    toView(await characters.get(actorOf(request), request.params.id)),
  );

  app.patch(
    '/api/characters/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Rename, edit the biography, or the card\'s own fields (system prompt, post-history instructions, alternate greetings)',
        params: IdParams,
        body: Type.Object({ name: Type.Optional(CharacterName), biography: Type.Optional(Type.String({ maxLength: LIMITS.biography.max })), card: Type.Optional(Type.Partial(CardFieldsSchema, { additionalProperties: false, minProperties: 1 })) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Character, ...errors(400, 401, 404, 409) },
      },
    },
    async (request) => {
      const body = request.body;
      if (body.card) {
        const c = await characters.setCardFields(ownerOf(request), request.params.id, body.card);
        if (body.name === undefined && body.biography === undefined) return toView(c);
      }
      return toView(await characters.patch(ownerOf(request), request.params.id, { name: body.name?.trim(), biography: body.biography }));
    },
  );

  app.put(
    '/api/characters/:id/profile',
    { config: auth, schema: { tags, summary: 'Replace the structured profile (unknown extra fields are kept)', params: IdParams, body: Type.Object({ profile: ProfileSchema }), response: { 200: Character, ...errors(400, 401, 404) } } },
    async (request) => toView(await characters.putProfile(ownerOf(request), request.params.id, request.body.profile as Profile)),
  );

  app.post('/api/characters/:id/copy', { config: auth, schema: { tags, summary: 'Copy a character', params: IdParams, response: { 201: Character, ...errors(401, 404) } } }, async (request, reply) =>
    reply.code(201).send(toView(await characters.copy(ownerOf(request), request.params.id))),
  );

  app.delete('/api/characters/:id', { config: auth, schema: { tags, summary: 'Delete a character with its messages, memories, memberships and avatar', params: IdParams, response: { 204: NoContent, ...errors(401, 404) } } }, async (request, reply) => {
    await characters.remove(ownerOf(request), request.params.id);
    return reply.code(204).send(null);
  });

  app.put(
    '/api/characters/:id/avatar',
    { config: auth, schema: { tags, summary: 'Upload an avatar (multipart `file`, ≤ 5 MB; optional cropX/cropY/cropWidth/cropHeight)', consumes: ['multipart/form-data'], params: IdParams, response: { 200: Type.Object({ avatarUrl: Type.String() }), ...errors(400, 401, 404, 413, 415) } } },
    async (request) => {
      const upload = await readUpload(request, MAX_AVATAR_BYTES);
      const c = await characters.setAvatar(ownerOf(request), request.params.id, upload.bytes, cropFrom(upload.fields));
      return { avatarUrl: toView(c).avatarUrl };
    },
  );

  app.get('/api/characters/:id/avatar', { config: auth, schema: { tags, summary: 'The avatar (WebP)', params: IdParams, querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 64 })) }) } }, async (request, reply) => {
    return sendWebp(request, reply, await characters.avatar(actorOf(request), request.params.id));
  });

  app.post(
    '/api/characters/import',
    { config: auth, schema: { tags, summary: 'Import a Character Card V1/V2/V3 (PNG or JSON, multipart `file`)', consumes: ['multipart/form-data'], response: { 201: Character, ...errors(400, 401, 413, 415) } } },
    async (request, reply) => {
      const upload = await readUpload(request, MAX_CARD_BYTES);
      const c = await characters.importCard(currentUser(request).id, upload);
      return reply.code(201).send(toView(c));
    },
  );

  app.get(
    '/api/characters/:id/card',
    { config: auth, schema: { tags, summary: 'Export as a Character Card (PNG with chara + ccv3 chunks, or V3 JSON)', params: IdParams, querystring: Type.Object({ format: Type.Union([Type.Literal('png'), Type.Literal('json')], { default: 'png' }) }) } },
    async (request, reply) => {
      const out = await characters.exportCard(actorOf(request), request.params.id, request.query.format);
      reply.header('content-disposition', contentDisposition(out.filename)).type(out.contentType);
      return reply.send(out.body);
    },
  );
}

const actorOf = (request: FastifyRequest) => {
  const u = currentUser(request);
  return { userId: u.id, isAdmin: u.isAdmin };
};
const ownerOf = (request: FastifyRequest) => ({ userId: currentUser(request).id });
