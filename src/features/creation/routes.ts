import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { enforceRateLimit } from '../../http/rate-limit.js';
import { errors, NoContent } from '../../http/schemas.js';
import { runStreamed } from '../../http/sse.js';
import type { RateLimiter } from '../../infra/rate-limit/rate-limiter.js';
import type { SourceService } from '../sources/service.js';
import { isBundledCandidate } from '../sources/bundled/index.js';
import type { CreationService } from './service.js';
import { LIMITS } from '../../shared/limits.js';

const JobSchema = Type.Object(
  {
    id: Type.String(),
    kind: Type.String(),
    state: Type.String({ description: 'queued | running | done | failed | cancelled' }),
    progress: Type.Object({ step: Type.String({ description: 'queued | fetching | structuring | writing_biography | saving | done' }), done: Type.Integer(), total: Type.Integer() }),
    result: Type.Optional(Type.Object({ characterId: Type.Integer() })),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
    createdAt: Type.Integer(),
    updatedAt: Type.Integer(),
  },
  { $id: 'Job' },
);
const Candidate = Type.Object({ id: Type.String(), title: Type.String(), description: Type.String() });
const JobParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const LiveSource = Type.Union([Type.Literal('baike'), Type.Literal('zhwiki')]);

export interface CreationRouteDeps {
  creation: CreationService;
  sources: SourceService;
  limiter: RateLimiter;
  creationRatePerMin: number;
}

/** The job as clients see it (no input echo: it may hold a 200 KB text). */
const view = (j: { id: string; kind: string; state: string; progress: any; result?: any; error?: any; createdAt: number; updatedAt: number }) => ({
  id: j.id,
  kind: j.kind,
  state: j.state,
  progress: j.progress,
  ...(j.result ? { result: j.result } : {}),
  ...(j.error ? { error: j.error } : {}),
  createdAt: j.createdAt,
  updatedAt: j.updatedAt,
});

export function registerCreationRoutes(root: FastifyInstance, deps: CreationRouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const auth = { auth: 'user' as const };
  app.addSchema(JobSchema);

  app.get(
    '/api/sources/:source/candidates',
    { config: auth, schema: { tags: ['creation'], summary: 'Same-name pages for a name', params: Type.Object({ source: LiveSource }), querystring: Type.Object({ name: Type.String({ minLength: LIMITS.characterName.min, maxLength: LIMITS.characterName.max }) }), response: { 200: Type.Object({ candidates: Type.Array(Candidate), bundled: Type.Optional(Type.Boolean({ description: 'true when the candidates are bundled offline pages (the site was skipped or unreachable)' })) }), ...errors(400, 401, 404, 429, 502) } } },
    async (request) => {
      await enforceRateLimit(deps.limiter, `candidates:${currentUser(request).id}`, deps.creationRatePerMin * 6, 'look-ups');
      const candidates = await deps.sources.candidates(request.params.source, request.query.name);
      return candidates.some(isBundledCandidate) ? { candidates, bundled: true } : { candidates };
    },
  );

  app.post(
    '/api/characters/creations',
    {
      config: auth,
      schema: {
        tags: ['creation'],
        summary: 'Create a character from an encyclopedia page or pasted text (a background job)',
        description: 'An ambiguous name without `candidateId` answers 409 `ambiguous` with `candidates`.',
        body: Type.Object(
          {
            name: Type.String({ minLength: LIMITS.characterName.min, maxLength: LIMITS.characterName.max }),
            source: Type.Union([Type.Literal('baike'), Type.Literal('zhwiki'), Type.Literal('text')]),
            text: Type.Optional(Type.String({ maxLength: LIMITS.sourceText.max })),
            candidateId: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
            detail: Type.Union([Type.Literal('concise'), Type.Literal('detailed')], { default: 'concise' }),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Object({ job: Type.Ref('Job') }), ...errors(400, 401, 404, 409, 413, 429, 502, 503) },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      await enforceRateLimit(deps.limiter, `creation:${user.id}`, deps.creationRatePerMin, 'character creations');
      const job = await deps.creation.start(user.id, request.body);
      return reply.code(202).send({ job: view(job) });
    },
  );

  app.get('/api/jobs/:id', { config: auth, schema: { tags: ['creation'], params: JobParams, response: { 200: Type.Ref('Job'), ...errors(400, 401, 404) } } }, async (request) =>
    view(await deps.creation.get(currentUser(request).id, request.params.id)),
  );

  app.get(
    '/api/jobs/:id/events',
    { config: auth, schema: { tags: ['creation'], summary: 'Server-sent `job` events on every change; the stream ends after a terminal state', params: JobParams, response: errors(400, 401, 404) } },
    async (request, reply) => {
      const userId = currentUser(request).id;
      // The stream opens with the first state, so an unknown job is still a plain 404.
      await runStreamed(
        request,
        reply,
        ({ send, signal }) => deps.creation.follow(userId, request.params.id, signal, (job) => send('job', view(job))),
        // No job: the client left (nothing is sent) or the job was deleted with its owner.
        (job) => (job ? { event: 'job', data: view(job) } : { event: 'error', data: { code: 'not_found:job', message: 'job not found' } }),
      );
    },
  );

  app.delete('/api/jobs/:id', { config: auth, schema: { tags: ['creation'], summary: 'Cancel a job; LLM calls in flight are aborted', params: JobParams, response: { 204: NoContent, ...errors(400, 401, 404) } } }, async (request, reply) => {
    await deps.creation.cancel(currentUser(request).id, request.params.id);
    return reply.code(204).send(null);
  });
}
