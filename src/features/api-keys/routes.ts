import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, Id, IdParams, NoContent } from '../../http/schemas.js';
import { MAX_KEYS_PER_USER, type ApiKeysService } from './service.js';

const KeyName = Type.String({ minLength: 1, maxLength: 60, pattern: '\\S' });
export const ApiKeySchema = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    prefix: Type.String({ description: 'The first characters of the key (`fnpc_…`), to tell keys apart' }),
    scope: Type.Union([Type.Object({ characterIds: Type.Optional(Type.Array(Type.Integer())), groupIds: Type.Optional(Type.Array(Type.Integer())) }), Type.Null()], {
      description: 'The characters and groups the key may use; null = all of yours',
    }),
    ratePerMin: Type.Union([Type.Integer(), Type.Null()], { description: 'Requests a minute; null = the server default' }),
    createdAt: Type.Integer(),
    lastUsedAt: Type.Union([Type.Integer(), Type.Null()]),
    expiresAt: Type.Union([Type.Integer(), Type.Null()]),
  },
  { $id: 'ApiKey' },
);

export function registerApiKeyRoutes(root: FastifyInstance, deps: { apiKeys: ApiKeysService }): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { apiKeys } = deps;
  const config = { auth: 'user' as const };
  const tags = ['api keys'];
  app.addSchema(ApiKeySchema);

  app.get('/api/me/api-keys', { config, schema: { tags, summary: 'Your API keys for the OpenAI-compatible /v1 endpoint (never the keys themselves)', response: { 200: Type.Object({ items: Type.Array(Type.Ref('ApiKey')) }), ...errors(401) } } }, async (request) => ({
    items: await apiKeys.list(currentUser(request).id),
  }));

  app.post(
    '/api/me/api-keys',
    {
      config,
      schema: {
        tags,
        summary: 'Create an API key; `token` is shown this once',
        description: `Up to ${MAX_KEYS_PER_USER} keys. Send \`characterIds\` and/or \`groupIds\` to limit the key to them (a key limited to characters reaches no group unless groups are listed too).`,
        body: Type.Object(
          {
            name: KeyName,
            expiresInDays: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 3650 }), Type.Null()])),
            characterIds: Type.Optional(Type.Array(Id, { maxItems: 500 })),
            groupIds: Type.Optional(Type.Array(Id, { maxItems: 500 })),
            ratePerMin: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 100_000 }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ key: Type.Ref('ApiKey'), token: Type.String() }), ...errors(400, 401, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await apiKeys.create(currentUser(request).id, request.body)),
  );

  app.patch(
    '/api/me/api-keys/:id',
    { config, schema: { tags, summary: 'Rename an API key', params: IdParams, body: Type.Object({ name: KeyName }, { additionalProperties: false }), response: { 200: Type.Ref('ApiKey'), ...errors(400, 401, 404) } } },
    async (request) => apiKeys.rename(currentUser(request).id, request.params.id, request.body.name),
  );

  app.delete('/api/me/api-keys/:id', { config, schema: { tags, summary: 'Revoke an API key (at once)', params: IdParams, response: { 204: NoContent, ...errors(401, 404) } } }, async (request, reply) => {
    await apiKeys.revoke(currentUser(request).id, request.params.id);
    return reply.code(204).send(null);
  });
}
