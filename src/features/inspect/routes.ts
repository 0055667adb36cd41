/** "What was really sent" for a message: the owner's view, and an administrator's (audited). */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, IdParams } from '../../http/schemas.js';
import type { createInspectionReader } from './service.js';
import { SpeakerReason } from '../groups/schemas.js';

const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Inspection = Type.Object({
  messageId: Type.Integer(),
  recorded: Type.Boolean({ description: 'false for user messages and replies stored before recording existed' }),
  model: Type.Optional(Type.String()),
  params: Type.Optional(Type.Object({ temperature: nullable(Type.Number()), maxTokens: nullable(Type.Integer()) })),
  usage: Type.Optional(Type.Object({ promptTokens: Type.Integer(), completionTokens: Type.Integer() })),
  latencyMs: Type.Optional(Type.Integer()),
  promptVersions: Type.Optional(Type.Array(Type.Object({ key: Type.String(), versionId: Type.Integer(), version: Type.Integer() }))),
  messages: Type.Optional(Type.Array(Type.Object({ role: Type.String(), hash: Type.String(), content: Type.String() }))),
  lore: Type.Optional(Type.Array(Type.Object({ key: Type.String(), comment: Type.String(), position: Type.String(), tokens: Type.Integer() }), { description: 'Lorebook entries that fired for this prompt' })),
  speakerReason: Type.Optional(SpeakerReason),
  moderator: Type.Optional(
    Type.Object(
      {
        model: Type.String(),
        prompt: Type.String(),
        answer: Type.Unknown({ description: 'The answer as the round loop read it (after JSON repair); null when the call failed' }),
        raw: Type.Array(Type.String(), { description: "The model's text as written (two when its first answer was re-asked)" }),
        error: Type.Optional(Type.String()),
        outcome: Type.String({ description: 'moderator | moderator_draw | moderator_failed, or why the loop waited (moderator_low_confidence)' }),
        candidates: Type.Array(Type.String()),
        latencyMs: Type.Integer(),
      },
      { description: 'Group turns: the moderator call that chose this speaker (or, on a user message, chose to wait)' },
    ),
  ),
});

export function registerInspectRoutes(root: FastifyInstance, deps: { inspections: ReturnType<typeof createInspectionReader> }): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/api/messages/:id/inspect',
    { config: { auth: 'user' }, schema: { tags: ['chat'], summary: 'What was really sent to the model for this reply (owner only)', params: IdParams, response: { 200: Inspection, ...errors(401, 404) } } },
    async (request) => deps.inspections.mine(currentUser(request).id, request.params.id),
  );
  app.get(
    '/api/admin/messages/:id/inspect',
    { config: { auth: 'admin' }, schema: { tags: ['admin'], summary: "What was really sent for any user's reply (audited)", params: IdParams, response: { 200: Inspection, ...errors(401, 403, 404) } } },
    async (request) => deps.inspections.asAdmin(currentUser(request).id, request.params.id),
  );
}
