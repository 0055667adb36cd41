import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, IdParams, NoContent } from '../../http/schemas.js';
import { contentDisposition } from '../../http/download.js';
import { SELECTIVE_LOGIC } from './book.js';
import type { BookRef, LorebooksService } from './service.js';

const Name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const Keys = Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 100 });
const EntryFields = {
  keys: Keys,
  secondaryKeys: Keys,
  selective: Type.Boolean({ description: 'Secondary keys apply, with selectiveLogic' }),
  selectiveLogic: Type.Union(SELECTIVE_LOGIC.map((l) => Type.Literal(l)), { description: 'and_any (a secondary key too) | not_all | not_any | and_all' }),
  content: Type.String({ maxLength: 20_000 }),
  comment: Type.String({ maxLength: 500 }),
  constant: Type.Boolean({ description: 'Always fires' }),
  enabled: Type.Boolean(),
  order: Type.Integer({ minimum: -100_000, maximum: 100_000, description: 'Insertion order: lower goes first' }),
  position: Type.Union([Type.Literal('before'), Type.Literal('after')], { description: "Before or after the character's profile" }),
  caseSensitive: Type.Boolean(),
  wholeWords: Type.Boolean({ description: 'Latin keys match whole words only (CJK keys always match as substrings)' }),
};
const Entry = Type.Object({ key: Type.String({ description: 'The World Info uid, or the index in a character_book' }), ...EntryFields }, { $id: 'LoreEntry' });
const EntryPatch = Type.Partial(Type.Object(EntryFields), { additionalProperties: false, minProperties: 1 });
const NewEntry = Type.Partial(Type.Object(EntryFields), { additionalProperties: false });
const Summary = Type.Object(
  {
    id: Type.Integer(),
    name: Type.String(),
    format: Type.Union([Type.Literal('world_info'), Type.Literal('character_book')]),
    entryCount: Type.Integer(),
    characterIds: Type.Array(Type.Integer()),
    groupIds: Type.Array(Type.Integer()),
    createdAt: Type.Integer(),
    updatedAt: Type.Integer(),
  },
  { $id: 'LorebookSummary' },
);
const Lorebook = Type.Composite([Summary, Type.Object({ entries: Type.Array(Type.Ref('LoreEntry')) })]);
const EntryKey = Type.String({ minLength: 1, maxLength: 40, pattern: '^[0-9A-Za-z_-]+$' });
const BookEntryParams = Type.Object({ id: Type.Integer({ minimum: 1 }), key: EntryKey });
const TargetParams = (name: 'characterId' | 'groupId') => Type.Object({ id: Type.Integer({ minimum: 1 }), [name]: Type.Integer({ minimum: 1 }) });

export function registerLorebookRoutes(root: FastifyInstance, deps: { lorebooks: LorebooksService }): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { lorebooks } = deps;
  const config = { auth: 'user' as const };
  const tags = ['lorebooks'];
  app.addSchema(Entry);
  app.addSchema(Summary);
  const owner = (request: FastifyRequest) => ({ userId: currentUser(request).id });

  app.get(
    '/api/lorebooks',
    { config, schema: { tags, summary: 'Your standalone lorebooks, most recently changed first', querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100 })) }), response: { 200: Type.Object({ items: Type.Array(Type.Ref('LorebookSummary')) }), ...errors(400, 401) } } },
    async (request) => ({ items: await lorebooks.list(owner(request), request.query.q) }),
  );

  app.post(
    '/api/lorebooks',
    {
      config,
      schema: {
        tags,
        summary: 'A new, empty lorebook',
        body: Type.Object({ name: Name, format: Type.Optional(Type.Union([Type.Literal('world_info'), Type.Literal('character_book')], { description: 'The shape export gives (default world_info)' })) }, { additionalProperties: false }),
        response: { 201: Lorebook, ...errors(400, 401) },
      },
    },
    async (request, reply) => reply.code(201).send(await lorebooks.create(owner(request), { ...request.body, name: request.body.name.trim() })),
  );

  app.post(
    '/api/lorebooks/import',
    {
      config,
      schema: {
        tags,
        summary: 'Import SillyTavern World Info JSON, a character_book JSON, or a card JSON (its character_book); kept as it came, so export gives it back',
        body: Type.Object({ content: Type.String({ minLength: 2, maxLength: 900_000, description: 'The file\'s text' }), name: Type.Optional(Name) }, { additionalProperties: false }),
        response: { 201: Lorebook, ...errors(400, 401, 413) },
      },
    },
    async (request, reply) => reply.code(201).send(await lorebooks.import(owner(request), request.body)),
  );

  app.get('/api/lorebooks/:id', { config, schema: { tags, params: IdParams, response: { 200: Lorebook, ...errors(401, 404) } } }, async (request) => lorebooks.get(owner(request), request.params.id));

  app.patch(
    '/api/lorebooks/:id',
    { config, schema: { tags, summary: 'Rename', params: IdParams, body: Type.Object({ name: Name }, { additionalProperties: false }), response: { 200: Lorebook, ...errors(400, 401, 404) } } },
    async (request) => lorebooks.rename(owner(request), request.params.id, request.body.name.trim()),
  );

  app.delete('/api/lorebooks/:id', { config, schema: { tags, summary: 'Delete (and detach everywhere)', params: IdParams, response: { 204: NoContent, ...errors(401, 404) } } }, async (request, reply) => {
    await lorebooks.remove(owner(request), request.params.id);
    return reply.code(204).send(null);
  });

  app.get('/api/lorebooks/:id/export', { config, schema: { tags, summary: 'Download the book in the format it came in', params: IdParams, response: { ...errors(401, 404) } } }, async (request, reply) => {
    const out = await lorebooks.exportBook(owner(request), request.params.id);
    return reply.header('content-disposition', contentDisposition(out.filename)).type('application/json; charset=utf-8').send(out.body);
  });

  // Entries, of a standalone book and of a character's own book (its card's character_book).
  const entryRoutes = (prefix: string, ref: (id: number) => BookRef, what: string) => {
    app.post(
      `${prefix}/entries`,
      { config, schema: { tags, summary: `Add an entry to ${what}`, params: IdParams, body: NewEntry, response: { 201: Type.Ref('LoreEntry'), ...errors(400, 401, 404, 409) } } },
      async (request, reply) => reply.code(201).send(await lorebooks.addEntry(owner(request), ref(request.params.id), request.body)),
    );
    app.patch(
      `${prefix}/entries/:key`,
      { config, schema: { tags, summary: `Edit an entry of ${what}; fields not sent stay as they were`, params: BookEntryParams, body: EntryPatch, response: { 200: Type.Ref('LoreEntry'), ...errors(400, 401, 404, 409) } } },
      async (request) => lorebooks.updateEntry(owner(request), ref(request.params.id), request.params.key, request.body),
    );
    app.delete(`${prefix}/entries/:key`, { config, schema: { tags, summary: `Delete an entry of ${what}`, params: BookEntryParams, response: { 204: NoContent, ...errors(401, 404, 409) } } }, async (request, reply) => {
      await lorebooks.deleteEntry(owner(request), ref(request.params.id), request.params.key);
      return reply.code(204).send(null);
    });
  };
  entryRoutes('/api/lorebooks/:id', (id) => ({ kind: 'standalone', id }), 'a lorebook');
  entryRoutes('/api/characters/:id/lorebook', (id) => ({ kind: 'character', id }), "the character's own lorebook (its card's character_book)");

  app.get(
    '/api/characters/:id/lorebook',
    {
      config,
      schema: {
        tags,
        summary: "The character's own lorebook: its card's character_book (exists: false until it has one)",
        params: IdParams,
        response: { 200: Type.Object({ characterId: Type.Integer(), exists: Type.Boolean(), entries: Type.Array(Type.Ref('LoreEntry')) }), ...errors(401, 404) },
      },
    },
    async (request) => lorebooks.characterBook(owner(request), request.params.id),
  );

  // Attachments.
  for (const kind of ['character', 'group'] as const) {
    const param = kind === 'character' ? 'characterId' : 'groupId';
    const plural = kind === 'character' ? 'characters' : 'groups';
    const target = (request: FastifyRequest) => ({ kind, id: (request.params as Record<string, number>)[param] });
    app.put(
      `/api/lorebooks/:id/${plural}/:${param}`,
      { config, schema: { tags, summary: `Attach to one of your ${plural}${kind === 'group' ? ' (used in every member\'s turns there)' : ' (used in its chats and groups)'}`, params: TargetParams(param), response: { 204: NoContent, ...errors(401, 404) } } },
      async (request, reply) => {
        await lorebooks.attach(owner(request), request.params.id, target(request));
        return reply.code(204).send(null);
      },
    );
    app.delete(`/api/lorebooks/:id/${plural}/:${param}`, { config, schema: { tags, summary: `Detach from a ${kind}`, params: TargetParams(param), response: { 204: NoContent, ...errors(401, 404) } } }, async (request, reply) => {
      await lorebooks.detach(owner(request), request.params.id, target(request));
      return reply.code(204).send(null);
    });
    app.get(
      `/api/${plural}/:id/lorebooks`,
      { config, schema: { tags, summary: `The standalone lorebooks attached to this ${kind}`, params: IdParams, response: { 200: Type.Object({ items: Type.Array(Type.Ref('LorebookSummary')) }), ...errors(401, 404) } } },
      async (request) => ({ items: await lorebooks.attachedTo(owner(request), { kind, id: request.params.id }) }),
    );
  }
}
