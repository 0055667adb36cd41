/** Admin routes for versioned prompts: list, versions, new version, validate, activate, duplicate, diff, export/import. */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, IdParams } from '../../http/schemas.js';
import type { PromptsService } from './service.js';
import { promptCheckError } from './validate.js';

const tags = ['admin: prompts'];
const admin = { auth: 'admin' as const };
const PromptText = Type.String({ minLength: 1, maxLength: 100_000 });

const Stats = Type.Object({ runs: Type.Integer(), judged: Type.Integer(), passed: Type.Integer(), averageScore: Type.Union([Type.Number(), Type.Null()]), lastRunAt: Type.Union([Type.Integer(), Type.Null()]) });
const Version = Type.Object({
  id: Type.Integer(),
  templateId: Type.Integer(),
  version: Type.Integer(),
  content: Type.String(),
  note: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.Union([Type.Integer(), Type.Null()]),
  authorName: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Integer(),
  active: Type.Boolean(),
});
/** What every view of a prompt template shows. */
const TemplateBase = {
  id: Type.Integer(),
  key: Type.String(),
  category: Type.String(),
  description: Type.String(),
  variables: Type.Array(Type.String()),
  activeVersionId: Type.Union([Type.Integer(), Type.Null()]),
};
const Summary = Type.Object({ ...TemplateBase, activeVersion: Type.Union([Type.Integer(), Type.Null()]), updatedAt: Type.Integer() });
const Detail = Type.Object({ ...TemplateBase, versions: Type.Array(Type.Composite([Version, Type.Object({ stats: Stats })])) });
const Check = Type.Object({ valid: Type.Boolean(), unknown: Type.Array(Type.String()), missing: Type.Array(Type.String()) });
const ExportDoc = Type.Object({
  format: Type.Literal('fastnpc-prompts'),
  formatVersion: Type.Literal(1),
  exportedAt: Type.Integer(),
  prompts: Type.Array(
    Type.Object({
      key: Type.String({ maxLength: 100 }),
      active: Type.Union([Type.Integer(), Type.Null()]),
      versions: Type.Array(Type.Object({ version: Type.Integer(), content: PromptText, note: Type.Union([Type.String({ maxLength: 500 }), Type.Null()]), createdAt: Type.Integer() }), { maxItems: 1000 }),
    }),
    { maxItems: 200 },
  ),
});

export function registerPromptRoutes(root: FastifyInstance, deps: { prompts: PromptsService }): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { prompts } = deps;

  app.get(
    '/api/admin/prompts',
    { config: admin, schema: { tags, summary: 'Every prompt the server sends, with its active version', querystring: Type.Object({ category: Type.Optional(Type.String({ maxLength: 40 })) }), response: { 200: Type.Object({ items: Type.Array(Summary) }), ...errors(400, 401, 403) } } },
    async (request) => ({ items: await prompts.list(request.query.category) }),
  );

  app.get('/api/admin/prompts/export', { config: admin, schema: { tags, summary: 'All prompts with all versions, as JSON', response: { 200: ExportDoc, ...errors(401, 403) } } }, async () => prompts.exportAll());

  app.post(
    '/api/admin/prompts/import',
    { config: admin, schema: { tags, summary: 'Import an export: new texts become versions, the exported active ones become active', body: ExportDoc, response: { 200: Type.Object({ created: Type.Integer(), activated: Type.Integer() }), ...errors(400, 401, 403) } } },
    async (request) => prompts.importAll(request.body, currentUser(request).id),
  );

  app.get('/api/admin/prompts/:id', { config: admin, schema: { tags, summary: 'A prompt and its versions (author, time, note, active, test statistics)', params: IdParams, response: { 200: Detail, ...errors(401, 403, 404) } } }, async (request) =>
    prompts.show(request.params.id),
  );

  app.post(
    '/api/admin/prompts/:id/validate',
    { config: admin, schema: { tags, summary: 'Check a text against the prompt\'s variables (400 names unknown or missing ones)', params: IdParams, body: Type.Object({ content: PromptText }), response: { 200: Check, ...errors(400, 401, 403, 404) } } },
    async (request) => {
      const { key, check } = await prompts.validate(request.params.id, request.body.content);
      if (!check.valid) throw promptCheckError(key, check);
      return check;
    },
  );

  app.post(
    '/api/admin/prompts/:id/versions',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Save a new version (never overwrites); optionally activate it',
        params: IdParams,
        body: Type.Object({ content: PromptText, note: Type.Optional(Type.String({ maxLength: 500 })), activate: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 201: Type.Composite([Version, Type.Object({ key: Type.String() })]), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await prompts.createVersion(request.params.id, request.body, currentUser(request).id)),
  );

  app.get('/api/admin/prompt-versions/:id', { config: admin, schema: { tags, summary: 'One version', params: IdParams, response: { 200: Type.Composite([Version, Type.Object({ key: Type.String() })]), ...errors(401, 403, 404) } } }, async (request) =>
    prompts.getVersion(request.params.id),
  );

  app.post(
    '/api/admin/prompt-versions/:id/activate',
    { config: admin, schema: { tags, summary: 'Activate this version (an older one = roll back); every process uses it at once', params: IdParams, response: { 200: Type.Object({ ok: Type.Literal(true) }), ...errors(400, 401, 403, 404) } } },
    async (request) => prompts.activate(request.params.id),
  );

  app.post(
    '/api/admin/prompt-versions/:id/duplicate',
    { config: admin, schema: { tags, summary: 'Copy this version as a new, inactive one', params: IdParams, response: { 201: Type.Composite([Version, Type.Object({ key: Type.String() })]), ...errors(401, 403, 404) } } },
    async (request, reply) => reply.code(201).send(await prompts.duplicate(request.params.id, currentUser(request).id)),
  );

  app.get(
    '/api/admin/prompt-versions/:id/diff',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Line diff (LCS) from another version to this one',
        params: IdParams,
        querystring: Type.Object({ against: Type.Integer({ minimum: 1, description: 'The older version id' }) }),
        response: {
          200: Type.Object({ from: Type.Integer(), to: Type.Integer(), added: Type.Integer(), removed: Type.Integer(), unchanged: Type.Integer(), lines: Type.Array(Type.Object({ op: Type.Union([Type.Literal('='), Type.Literal('+'), Type.Literal('-')]), text: Type.String() })) }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => prompts.diff(request.query.against, request.params.id),
  );
}
