import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, IdParams, NoContent } from '../../http/schemas.js';
import { cropFrom, readUpload } from '../../http/upload.js';
import { sendWebp } from '../../http/download.js';
import { LIMITS } from '../../shared/limits.js';
import { MAX_AVATAR_BYTES } from '../characters/avatar-image.js';
import { personaView, type PersonasService } from './service.js';

const PersonaSchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    description: Type.String(),
    avatarUrl: Type.Union([Type.String(), Type.Null()]),
    isDefault: Type.Boolean(),
    createdAt: Type.Integer(),
    updatedAt: Type.Integer(),
  },
  { $id: 'Persona' },
);
const PersonaName = Type.String({ minLength: LIMITS.personaName.min, maxLength: LIMITS.personaName.max, pattern: '\\S' });
const PersonaDescription = Type.String({ maxLength: LIMITS.personaDescription.max });

export function registerPersonaRoutes(root: FastifyInstance, deps: { personas: PersonasService }): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { personas } = deps;
  const auth = { auth: 'user' as const };
  const tags = ['personas'];
  app.addSchema(PersonaSchema);
  const Persona = Type.Ref('Persona');
  const userId = (request: FastifyRequest) => currentUser(request).id;

  app.get('/api/personas', { config: auth, schema: { tags, summary: 'Your personas (who you play in chats); one is the default', response: { 200: Type.Object({ items: Type.Array(Persona) }), ...errors(401) } } }, async (request) => ({
    items: (await personas.list(userId(request))).map(personaView),
  }));

  app.post(
    '/api/personas',
    {
      config: auth,
      schema: { tags, summary: 'Create a persona (your first one becomes the default)', body: Type.Object({ name: PersonaName, description: Type.Optional(PersonaDescription), isDefault: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), response: { 201: Persona, ...errors(400, 401, 409) } },
    },
    async (request, reply) => reply.code(201).send(personaView(await personas.create(userId(request), request.body))),
  );

  app.patch(
    '/api/personas/:id',
    {
      config: auth,
      schema: {
        tags,
        summary: 'Edit a persona; `isDefault: true` makes it the default',
        params: IdParams,
        body: Type.Object({ name: Type.Optional(PersonaName), description: Type.Optional(PersonaDescription), isDefault: Type.Optional(Type.Literal(true)) }, { additionalProperties: false, minProperties: 1 }),
        response: { 200: Persona, ...errors(400, 401, 404) },
      },
    },
    async (request) => personaView(await personas.update(userId(request), request.params.id, request.body)),
  );

  app.delete('/api/personas/:id', { config: auth, schema: { tags, summary: 'Delete a persona; chats that used it use the default', params: IdParams, response: { 204: NoContent, ...errors(401, 404) } } }, async (request, reply) => {
    await personas.remove(userId(request), request.params.id);
    return reply.code(204).send(null);
  });

  app.put(
    '/api/personas/:id/avatar',
    { config: auth, schema: { tags, summary: 'Upload the persona\'s avatar (multipart `file`, ≤ 5 MB; optional cropX/cropY/cropWidth/cropHeight)', consumes: ['multipart/form-data'], params: IdParams, response: { 200: Persona, ...errors(400, 401, 404, 413, 415) } } },
    async (request) => {
      const upload = await readUpload(request, MAX_AVATAR_BYTES);
      return personaView(await personas.setAvatar(userId(request), request.params.id, upload.bytes, cropFrom(upload.fields)));
    },
  );

  app.delete('/api/personas/:id/avatar', { config: auth, schema: { tags, summary: 'Remove the persona\'s avatar', params: IdParams, response: { 200: Persona, ...errors(401, 404) } } }, async (request) =>
    personaView(await personas.removeAvatar(userId(request), request.params.id)),
  );

  app.get('/api/personas/:id/avatar', { config: auth, schema: { tags, summary: 'The persona\'s avatar (WebP)', params: IdParams, querystring: Type.Object({ v: Type.Optional(Type.String({ maxLength: 64 })) }) } }, async (request, reply) => {
    return sendWebp(request, reply, await personas.avatar(userId(request), request.params.id));
  });
}
