/** Evaluations (admin only): test cases, runs with progress over SSE, reports and comparisons. */
import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/auth.js';
import { errors, Id, IdParams, NoContent, Pagination } from '../../http/schemas.js';
import { runStreamed } from '../../http/sse.js';
import { EVAL_KINDS, RUBRICS } from './rubrics.js';
import type { EvaluationsService } from './service.js';

const tags = ['evaluations'];
const admin = { auth: 'admin' as const };
const nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Kind = Type.Union(EVAL_KINDS.map((k) => Type.Literal(k)));
const Text = (max: number) => Type.String({ maxLength: max });

const CaseMessage = Type.Object({ role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]), speaker: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })), content: Type.String({ minLength: 1, maxLength: 8000 }) }, { additionalProperties: false });
const CaseInput = Type.Object(
  {
    messages: Type.Optional(Type.Array(CaseMessage, { maxItems: 100 })),
    longTerm: Type.Optional(Type.Array(Text(1000), { maxItems: 100 })),
    shortTerm: Type.Optional(Type.Array(Text(2000), { maxItems: 100 })),
    userProfile: Type.Optional(Text(2000)),
    speakerId: Type.Optional(Id),
    section: Type.Optional(Text(40)),
    sourceText: Type.Optional(Text(50_000)),
    personaName: Type.Optional(Text(100)),
    profile: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  {
    additionalProperties: false,
    description: 'The set-up; which fields a kind needs: chat/group_chat/memory_summarize → messages; structure → section + sourceText; memory_integrate → shortTerm (+ longTerm); biography → the character or profile',
    // An example a chat case accepts (documentation and the schema-driven chaos tests use it).
    default: { messages: [{ role: 'user', content: '你好' }] },
  },
);
const CaseConfig = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    temperature: Type.Optional(Type.Number({ minimum: 0, maximum: 2 })),
    maxTokens: Type.Optional(Type.Integer({ minimum: 16, maximum: 8192 })),
    budgets: Type.Optional(Type.Object({ session: Type.Optional(Type.Integer({ minimum: 200, maximum: 32_000 })), shortTerm: Type.Optional(Type.Integer({ minimum: 100, maximum: 16_000 })), longTerm: Type.Optional(Type.Integer({ minimum: 100, maximum: 16_000 })) }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
const CaseBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    kind: Kind,
    characterId: Type.Optional(nullable(Id)),
    groupId: Type.Optional(nullable(Id)),
    input: CaseInput,
    expected: Type.String({ maxLength: 4000, default: '' }),
    config: Type.Optional(CaseConfig),
  },
  { additionalProperties: false },
);
const TestCase = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  kind: Type.String(),
  characterId: nullable(Type.Integer()),
  groupId: nullable(Type.Integer()),
  input: Type.Unknown(),
  expected: Type.String(),
  config: Type.Unknown(),
  createdBy: nullable(Type.Integer()),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
});
const VersionLabel = nullable(Type.Object({ id: Type.Integer(), key: Type.String(), version: Type.Integer() }));
const Run = Type.Object(
  {
    id: Type.Integer(),
    jobId: Type.String(),
    kind: Type.String(),
    note: nullable(Type.String()),
    promptVersion: VersionLabel,
    judgeVersion: VersionLabel,
    model: Type.String(),
    state: Type.String({ description: 'queued | running | done | failed | cancelled' }),
    progress: Type.Object({ step: Type.String(), done: Type.Integer(), total: Type.Integer() }),
    error: nullable(Type.Object({ code: Type.String(), message: Type.String() })),
    createdBy: nullable(Type.Integer()),
    createdAt: Type.Integer(),
    finishedAt: nullable(Type.Integer()),
  },
  { $id: 'EvaluationRun' },
);
const Summary = Type.Object({
  total: Type.Integer(),
  judged: Type.Integer(),
  passed: Type.Integer(),
  failed: Type.Integer(),
  errors: Type.Integer(),
  notJudged: Type.Integer(),
  pending: Type.Integer(),
  cancelled: Type.Integer(),
  averageScore: nullable(Type.Number({ description: '0–100: the mean of the dimension scores × 10' })),
  dimensions: Type.Record(Type.String(), Type.Number()),
});
const Dimension = Type.Object({ key: Type.String(), label: Type.String(), ask: Type.String(), group: Type.Optional(Type.String()) });
const Verdict = Type.Object({
  scores: Type.Record(Type.String(), Type.Number()),
  total: Type.Number(),
  passed: Type.Boolean(),
  reasoning: Type.String(),
  strengths: Type.Array(Type.String()),
  weaknesses: Type.Array(Type.String()),
  suggestions: Type.Array(Type.String()),
});
const Result = Type.Object({
  id: Type.Integer(),
  testCaseId: Type.Integer(),
  caseName: nullable(Type.String()),
  expected: nullable(Type.String()),
  position: Type.Integer(),
  status: Type.String({ description: 'pending | passed | failed | error | not_judged | cancelled' }),
  output: nullable(Type.String()),
  score: nullable(Type.Number()),
  verdict: nullable(Verdict),
  error: nullable(Type.String()),
  latencyMs: nullable(Type.Integer()),
  finishedAt: nullable(Type.Integer()),
});
const Side = nullable(Type.Object({ status: Type.String(), score: nullable(Type.Number()) }));

export function registerEvaluationRoutes(root: FastifyInstance, deps: { evaluations: EvaluationsService }): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { evaluations } = deps;
  app.addSchema(Run);
  const write = (b: typeof CaseBody.static) => ({ name: b.name.trim(), kind: b.kind, characterId: b.characterId ?? null, groupId: b.groupId ?? null, input: b.input, expected: b.expected, config: b.config ?? {} });

  app.get(
    '/api/admin/evaluation-kinds',
    { config: admin, schema: { tags, summary: 'What can be evaluated: per kind, the prompt under test, its judge, its target and the rubric', response: { 200: Type.Object({ items: Type.Array(Type.Object({ kind: Type.String(), promptKey: Type.String(), judgeKey: Type.String(), target: Type.String(), dimensions: Type.Array(Dimension) })) }), ...errors(401, 403) } } },
    async () => ({ items: Object.values(RUBRICS).map((r) => ({ kind: r.kind, promptKey: r.promptKey, judgeKey: r.judgeKey, target: r.target, dimensions: r.dimensions })) }),
  );

  // Test cases -----------------------------------------------------------------------------------
  app.get('/api/admin/test-cases', { config: admin, schema: { tags, summary: 'Test cases, newest first', querystring: Type.Composite([Pagination, Type.Object({ kind: Type.Optional(Kind) })]), response: { 200: Type.Object({ items: Type.Array(TestCase), total: Type.Integer() }), ...errors(400, 401, 403) } } }, async (request) =>
    evaluations.listCases(request.query),
  );
  app.post('/api/admin/test-cases', { config: admin, schema: { tags, summary: 'Create a test case', body: CaseBody, response: { 201: TestCase, ...errors(400, 401, 403, 404) } } }, async (request, reply) =>
    reply.code(201).send(await evaluations.createCase(currentUser(request).id, write(request.body))),
  );
  app.get('/api/admin/test-cases/:id', { config: admin, schema: { tags, summary: 'One test case', params: IdParams, response: { 200: TestCase, ...errors(401, 403, 404) } } }, async (request) => evaluations.getCase(request.params.id));
  app.put('/api/admin/test-cases/:id', { config: admin, schema: { tags, summary: 'Replace a test case (its past results stay)', params: IdParams, body: CaseBody, response: { 200: TestCase, ...errors(400, 401, 403, 404) } } }, async (request) =>
    evaluations.updateCase(request.params.id, write(request.body)),
  );
  app.delete('/api/admin/test-cases/:id', { config: admin, schema: { tags, summary: 'Delete a test case and its results', params: IdParams, response: { 204: NoContent, ...errors(401, 403, 404) } } }, async (request, reply) => {
    await evaluations.deleteCase(request.params.id);
    return reply.code(204).send(null);
  });

  // Runs ---------------------------------------------------------------------------------------
  app.post(
    '/api/admin/evaluations',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Run test cases against a prompt version (for this run only, never activated), a model and a judge version — a background job',
        description: 'Omitted versions default to the active ones. Follow progress at /api/admin/evaluations/{id}/events.',
        body: Type.Object(
          {
            caseIds: Type.Array(Id, { minItems: 1, maxItems: 200 }),
            promptVersionId: Type.Optional(Id),
            judgeVersionId: Type.Optional(Id),
            model: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            note: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Ref('EvaluationRun'), ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => reply.code(202).send(await evaluations.start(currentUser(request).id, request.body)),
  );
  app.get('/api/admin/evaluations', { config: admin, schema: { tags, summary: 'Runs, newest first', querystring: Pagination, response: { 200: Type.Object({ items: Type.Array(Type.Ref('EvaluationRun')), total: Type.Integer() }), ...errors(400, 401, 403) } } }, async (request) =>
    evaluations.list(request.query),
  );
  app.get(
    '/api/admin/evaluations/compare',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Two runs side by side: per-dimension means and deltas (b − a), and each case',
        querystring: Type.Object({ a: Id, b: Id }),
        response: {
          200: Type.Object({
            a: Type.Object({ run: Type.Ref('EvaluationRun'), summary: Summary }),
            b: Type.Object({ run: Type.Ref('EvaluationRun'), summary: Summary }),
            dimensions: Type.Array(Type.Object({ key: Type.String(), label: Type.String(), a: nullable(Type.Number()), b: nullable(Type.Number()), delta: nullable(Type.Number()) })),
            averageDelta: nullable(Type.Number()),
            cases: Type.Array(Type.Object({ testCaseId: Type.Integer(), name: nullable(Type.String()), a: Side, b: Side, delta: nullable(Type.Number()) })),
          }),
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => evaluations.compare(request.query.a, request.query.b),
  );
  app.get(
    '/api/admin/evaluations/:id',
    { config: admin, schema: { tags, summary: 'A run\'s report: summary, rubric and every case with its reply, the judge\'s reasoning and scores', params: IdParams, response: { 200: Type.Object({ run: Type.Ref('EvaluationRun'), summary: Summary, dimensions: Type.Array(Dimension), results: Type.Array(Result) }), ...errors(401, 403, 404) } } },
    async (request) => evaluations.report(request.params.id),
  );
  app.get(
    '/api/admin/evaluations/:id/events',
    { config: admin, schema: { tags, summary: 'Server-sent `run` events on every change; the stream ends after a terminal state', params: IdParams, response: errors(401, 403, 404) } },
    async (request, reply) => {
      await runStreamed(
        request,
        reply,
        ({ send, signal }) => evaluations.follow(request.params.id, signal, (run) => send('run', run)),
        (run) => (run ? { event: 'run', data: run } : { event: 'error', data: { code: 'not_found:evaluation', message: 'evaluation not found' } }),
      );
    },
  );
  app.post('/api/admin/evaluations/:id/cancel', { config: admin, schema: { tags, summary: 'Cancel a run; cases not yet run are marked cancelled', params: IdParams, response: { 204: NoContent, ...errors(401, 403, 404) } } }, async (request, reply) => {
    await evaluations.cancel(request.params.id);
    return reply.code(204).send(null);
  });
}
