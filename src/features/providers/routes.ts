/**
 * Providers and models: the admin pages' API (providers, their models, test connection, per-purpose
 * defaults), the models users may choose, characters' and groups' own model settings, and users'
 * own keys where a provider allows them. Keys go in, never out: responses carry a masked hint.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, Id, IdParams, NoContent } from '../../http/schemas.js';
import { CHAT_LLM_RANGES, type ChatLlmSettingsService, type ChatLlmTarget } from './chat-settings.js';
import { PROVIDER_KINDS } from './presets.js';
import { PURPOSES, type ProvidersService } from './service.js';
import type { ProbeErrorKind } from '../../shared/llm.js';

const tags = ['admin: providers'];
const admin = { auth: 'admin' as const };
const user = { auth: 'user' as const };
const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

const ApiKey = Type.String({ minLength: 1, maxLength: 1000, pattern: '^[\\x21-\\x7e]+$', description: 'Sent as Bearer token; stored encrypted, never returned' });
const Headers = Type.Record(Type.String({ pattern: '^[A-Za-z0-9!#$%&\'*+.^_`|~-]{1,64}$' }), Type.String({ maxLength: 2000, pattern: '^[^\\r\\n]*$' }), {
  maxProperties: 20,
  additionalProperties: false,
  description: 'Extra request headers (values stored encrypted; only names are returned)',
});
const ProviderInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80, pattern: '\\S' }),
    kind: Type.Union(PROVIDER_KINDS.map((k) => Type.Literal(k))),
    baseUrl: Type.String({ minLength: 1, maxLength: 500, description: 'http(s) URL of the OpenAI-compatible API, usually ending in /v1' }),
    apiKey: Type.Optional(nullable(ApiKey)),
    headers: Type.Optional(Headers),
    connectTimeoutMs: Type.Integer({ minimum: 100, maximum: 60_000, default: 10_000 }),
    timeoutMs: Type.Integer({ minimum: 1000, maximum: 600_000, default: 300_000, description: 'Longest single request' }),
    concurrency: Type.Integer({ minimum: 1, maximum: 1000, default: 16, description: 'Connections to the provider at once' }),
    enabled: Type.Boolean({ default: true }),
    userKeys: Type.Boolean({ default: false, description: 'Users may add their own key for this provider (used only for their calls)' }),
  },
  { additionalProperties: false },
);
const JsonMode = Type.Union([Type.Literal('json_schema'), Type.Literal('json_object'), Type.Literal('none')]);
const Capabilities = Type.Object({ jsonMode: Type.Optional(JsonMode), streamUsage: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const Price = Type.Number({ minimum: 0, maximum: 1e6, description: 'Per million tokens' });
const ModelFields = {
  displayName: Type.Optional(Type.String({ maxLength: 120 })),
  offered: Type.Optional(Type.Boolean({ description: 'Users may choose it' })),
  contextLength: Type.Optional(nullable(Type.Integer({ minimum: 256, maximum: 10_000_000 }))),
  inputPerMillion: Type.Optional(nullable(Price)),
  outputPerMillion: Type.Optional(nullable(Price)),
  capabilities: Type.Optional(Capabilities),
};
const ModelInput = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200, pattern: '^\\S+$' }), ...ModelFields }, { additionalProperties: false });
const ModelPatch = Type.Object(ModelFields, { additionalProperties: false });
const Model = Type.Object({
  id: Type.Integer(),
  key: Type.String({ description: 'What settings and defaults refer to' }),
  providerId: Type.Integer(),
  name: Type.String(),
  displayName: Type.String(),
  offered: Type.Boolean(),
  contextLength: nullable(Type.Integer()),
  inputPerMillion: nullable(Type.Number()),
  outputPerMillion: nullable(Type.Number()),
  capabilities: Type.Object({ jsonMode: JsonMode, streamUsage: Type.Boolean() }),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
const Provider = Type.Object({
  id: Type.Union([Type.Integer(), Type.Literal('env')]),
  name: Type.String(),
  kind: Type.String(),
  baseUrl: nullable(Type.String()),
  readOnly: Type.Boolean({ description: 'Configured by environment variables' }),
  hasKey: Type.Boolean(),
  apiKeyHint: nullable(Type.String()),
  headerNames: Type.Array(Type.String()),
  connectTimeoutMs: nullable(Type.Integer()),
  timeoutMs: nullable(Type.Integer()),
  concurrency: nullable(Type.Integer()),
  enabled: Type.Boolean(),
  userKeys: Type.Boolean(),
  models: Type.Array(Model),
});
const Preset = Type.Object({ kind: Type.String(), label: Type.String(), baseUrl: Type.String(), needsKey: Type.Boolean() });
const ProbeErrorKinds = ['auth', 'http', 'dns', 'tls', 'refused', 'timeout', 'network', 'bad_response'] as const satisfies readonly ProbeErrorKind[];
const ProbeError = Type.Object({ kind: Type.Union(ProbeErrorKinds.map((k) => Type.Literal(k))), message: Type.String(), status: Type.Optional(Type.Integer()) });
const ProbeResult = Type.Object({
  ok: Type.Boolean(),
  models: Type.Object({ ok: Type.Boolean(), latencyMs: Type.Integer(), ids: Type.Array(Type.String()), error: Type.Optional(ProbeError) }),
  completion: Type.Object({ ok: Type.Boolean(), latencyMs: Type.Integer(), model: nullable(Type.String()), text: Type.Optional(Type.String()), error: Type.Optional(ProbeError) }),
});
const Purpose = Type.Union(PURPOSES.map((p) => Type.Literal(p)));
const ModelKey = Type.String({ minLength: 1, maxLength: 300 });
const Defaults = Type.Object({ items: Type.Array(Type.Object({ purpose: Purpose, model: nullable(Type.String()), effective: Type.String() })) });
const DefaultsInput = Type.Partial(Type.Object(Object.fromEntries(PURPOSES.map((p) => [p, nullable(ModelKey)]))), { additionalProperties: false });
const Choice = Type.Object({ key: Type.String(), displayName: Type.String(), provider: Type.String(), contextLength: nullable(Type.Integer()) });
const between = (r: { min: number; max: number }, integer: boolean) => nullable((integer ? Type.Integer : Type.Number)({ minimum: r.min, maximum: r.max }));
const ChatLlm = Type.Object(
  {
    model: nullable(ModelKey),
    temperature: between(CHAT_LLM_RANGES.temperature, false),
    maxTokens: between(CHAT_LLM_RANGES.maxTokens, true),
    contextTokens: between(CHAT_LLM_RANGES.contextTokens, true),
  },
  { additionalProperties: false, description: 'null = your default' },
);
const ProviderIdParams = Type.Object({ providerId: Id });

export function registerProviderRoutes(root: FastifyInstance, deps: { providers: ProvidersService; chatLlm: ChatLlmSettingsService }): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { providers, chatLlm } = deps;

  app.get('/api/admin/providers', { config: admin, schema: { tags, summary: 'Providers (the environment\'s one first, read-only) with their models, and the presets', response: { 200: Type.Object({ items: Type.Array(Provider), presets: Type.Array(Preset) }), ...errors(401, 403) } } }, async () => ({
    items: await providers.list(),
    presets: providers.presets(),
  }));
  app.post('/api/admin/providers', { config: admin, schema: { tags, summary: 'Connect a provider', body: ProviderInput, response: { 201: Provider, ...errors(400, 401, 403, 409) } } }, async (request, reply) =>
    reply.code(201).send(await providers.create(request.body)),
  );
  app.get('/api/admin/providers/:id', { config: admin, schema: { tags, summary: 'One provider', params: IdParams, response: { 200: Provider, ...errors(401, 403, 404) } } }, async (request) => providers.get(request.params.id));
  app.put(
    '/api/admin/providers/:id',
    { config: admin, schema: { tags, summary: 'Change a provider (omit apiKey/headers to keep them; apiKey null removes it)', params: IdParams, body: ProviderInput, response: { 200: Provider, ...errors(400, 401, 403, 404, 409) } } },
    async (request) => providers.update(request.params.id, request.body),
  );
  app.delete('/api/admin/providers/:id', { config: admin, schema: { tags, summary: 'Delete a provider and its models', params: IdParams, response: { 204: NoContent, ...errors(401, 403, 404) } } }, async (request, reply) => {
    await providers.remove(request.params.id);
    return reply.code(204).send(null);
  });
  app.post(
    '/api/admin/providers/:id/test',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Test connection: list the models and make one tiny completion, with latency or the exact error',
        params: IdParams,
        body: Type.Object({ model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }),
        response: { 200: ProbeResult, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => providers.test(request.params.id, request.body.model),
  );
  app.post(
    '/api/admin/providers/:providerId/models',
    { config: admin, schema: { tags, summary: 'Add a model of a provider', params: ProviderIdParams, body: ModelInput, response: { 201: Model, ...errors(400, 401, 403, 404, 409) } } },
    async (request, reply) => reply.code(201).send(await providers.addModel(request.params.providerId, request.body)),
  );
  app.patch('/api/admin/models/:id', { config: admin, schema: { tags, summary: 'Change a model', params: IdParams, body: ModelPatch, response: { 200: Model, ...errors(400, 401, 403, 404) } } }, async (request) =>
    providers.updateModel(request.params.id, request.body),
  );
  app.delete('/api/admin/models/:id', { config: admin, schema: { tags, summary: 'Delete a model', params: IdParams, response: { 204: NoContent, ...errors(401, 403, 404) } } }, async (request, reply) => {
    await providers.removeModel(request.params.id);
    return reply.code(204).send(null);
  });
  app.get('/api/admin/llm-defaults', { config: admin, schema: { tags, summary: 'The model of each purpose (null = the environment\'s)', response: { 200: Defaults, ...errors(401, 403) } } }, async () => ({ items: await providers.defaults() }));
  app.put('/api/admin/llm-defaults', { config: admin, schema: { tags, summary: 'Set or clear (null) purposes\' default models', body: DefaultsInput, response: { 200: Defaults, ...errors(400, 401, 403) } } }, async (request) => ({
    items: await providers.putDefaults(request.body),
  }));

  // Users --------------------------------------------------------------------------------------
  app.get('/api/models', { config: user, schema: { tags: ['models'], summary: 'Models you may choose, and the chat default', response: { 200: Type.Object({ items: Type.Array(Choice), chatDefault: Type.String() }), ...errors(401) } } }, async () => ({
    items: providers.choices(),
    chatDefault: providers.router.keyFor('chat'),
  }));
  for (const [target, path] of [['character', '/api/characters/:id/llm'], ['group', '/api/groups/:id/llm']] as [ChatLlmTarget, string][]) {
    const t = target === 'character' ? ['characters'] : ['groups'];
    app.get(path, { config: user, schema: { tags: t, summary: `The ${target}'s own model, temperature, reply length and context size`, params: IdParams, response: { 200: ChatLlm, ...errors(401, 404) } } }, async (request) =>
      chatLlm.get(actorOf(request), target, request.params.id),
    );
    app.put(path, { config: user, schema: { tags: t, summary: `Set the ${target}'s own model and sampling (null = your default)`, params: IdParams, body: ChatLlm, response: { 200: ChatLlm, ...errors(400, 401, 404) } } }, async (request) =>
      chatLlm.put(actorOf(request), target, request.params.id, request.body),
    );
  }
  app.get(
    '/api/me/provider-keys',
    { config: user, schema: { tags: ['me'], summary: 'Providers that accept your own key, and whether you set one (masked)', response: { 200: Type.Object({ items: Type.Array(Type.Object({ providerId: Type.Integer(), name: Type.String(), hasKey: Type.Boolean(), apiKeyHint: nullable(Type.String()) })) }), ...errors(401) } } },
    async (request) => ({ items: await providers.userKeys(currentUser(request).id) }),
  );
  // The provider goes in the body: a provider id is not the caller's resource, the key is.
  app.put(
    '/api/me/provider-keys',
    {
      config: user,
      schema: {
        tags: ['me'],
        summary: 'Use your own key for a provider that allows it (only your calls use it); apiKey null removes it',
        body: Type.Object({ providerId: Id, apiKey: nullable(ApiKey) }, { additionalProperties: false }),
        response: { 204: NoContent, ...errors(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const { providerId, apiKey } = request.body;
      if (apiKey === null) await providers.removeUserKey(currentUser(request).id, providerId);
      else await providers.putUserKey(currentUser(request).id, providerId, apiKey);
      return reply.code(204).send(null);
    },
  );
}

function actorOf(request: Parameters<typeof currentUser>[0]) {
  const u = currentUser(request);
  return { userId: u.id, isAdmin: u.isAdmin };
}
