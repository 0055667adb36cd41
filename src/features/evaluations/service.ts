/**
 * Evaluations with LLM judges: test cases (CRUD), runs (test cases × a prompt version × a model ×
 * a judge version) executed as a background job with progress on the shared job record, and the
 * reports — per run, per case, and two runs side by side with per-dimension deltas.
 *
 * A run never activates anything: the prompt under test is resolved for that run only, through
 * a registry of its own. The offline model does not judge: its cases are reported "not judged".
 */
import { randomUUID } from 'node:crypto';
import { AppError, isAppError, notFound } from '../../errors.js';
import type { Db } from '../../infra/db/index.js';
import type { LlmGateway } from '../../infra/llm/index.js';
import type { PubSub } from '../../infra/pubsub/pubsub.js';
import { PermanentJobError, type JobQueue } from '../../infra/queue/job-queue.js';
import { createPromptRegistry } from '../prompts/registry.js';
import type { PromptsService } from '../prompts/service.js';
import * as jobStore from '../creation/store.js';
import { TERMINAL, type Job, type JobStep } from '../creation/store.js';
import { jobChannel, type CreationService } from '../creation/service.js';
import * as characterStore from '../characters/store.js';
import { SECTION_KEYS } from '../characters/profile.js';
import * as groupStore from '../groups/store.js';
import { RUBRICS, type EvalKind } from './rubrics.js';
import { executeCase, judge, type RunContext } from './runner.js';
import * as store from './store.js';
import type { CaseResult, EvaluationRow, TestCase, TestCaseWrite } from './store.js';

export const EVALUATION_JOB = 'evaluation';
/** The step shown while cases run (the job record's steps are creation's; clients show it as text). */
const RUNNING = 'running' as JobStep;

export interface EvaluationsDeps {
  db: Db;
  llm: LlmGateway;
  queue: JobQueue;
  pubsub: PubSub;
  prompts: PromptsService;
  /** Following and cancelling a job record (shared with character creation). */
  jobs: Pick<CreationService, 'follow' | 'cancel'>;
  /** The model a run uses when none is chosen. */
  defaultModel: string;
  now?: () => number;
}

export interface RunInput {
  caseIds: number[];
  promptVersionId?: number;
  judgeVersionId?: number;
  model?: string;
  note?: string;
}

const bad = (field: string, message: string) => new AppError(`validation:${field}`, message, { details: { field } });

/** Per-dimension means over the judged results. */
function dimensionMeans(results: CaseResult[]): Record<string, number> {
  const sums = new Map<string, { total: number; n: number }>();
  for (const r of results) {
    for (const [k, v] of Object.entries(r.verdict?.scores ?? {})) {
      const s = sums.get(k) ?? { total: 0, n: 0 };
      sums.set(k, { total: s.total + v, n: s.n + 1 });
    }
  }
  return Object.fromEntries([...sums].map(([k, s]) => [k, Math.round((s.total / s.n) * 100) / 100]));
}

function summarise(results: CaseResult[]) {
  const judged = results.filter((r) => r.score !== null);
  const count = (s: CaseResult['status']) => results.filter((r) => r.status === s).length;
  return {
    total: results.length,
    judged: judged.length,
    passed: count('passed'),
    failed: count('failed'),
    errors: count('error'),
    notJudged: count('not_judged'),
    pending: count('pending'),
    cancelled: count('cancelled'),
    averageScore: judged.length ? Math.round((judged.reduce((a, r) => a + r.score!, 0) / judged.length) * 100) / 100 : null,
    dimensions: dimensionMeans(results),
  };
}

export function createEvaluationsService(deps: EvaluationsDeps) {
  const { db } = deps;
  const now = deps.now ?? Date.now;

  async function advance(id: string, patch: Parameters<typeof jobStore.advanceJob>[2]): Promise<Job | undefined> {
    const job = await jobStore.advanceJob(db, id, patch, now());
    if (job) await deps.pubsub.publish(jobChannel(id), job);
    return job;
  }

  /** Checks a case against what its kind needs; names the field that is wrong. */
  async function checkCase(c: TestCaseWrite): Promise<void> {
    const rubric = RUBRICS[c.kind];
    const messages = c.input.messages ?? [];
    if (rubric.target === 'character' || (c.characterId !== null && rubric.target === 'none')) {
      if (c.characterId === null) {
        if (c.kind !== 'biography' || !c.input.profile) throw bad('characterId', `A ${c.kind} case needs a character`);
      } else if (!(await characterStore.findCharacter(db, { userId: 0, isAdmin: true }, c.characterId))) throw notFound('character');
    }
    if (rubric.target === 'group') {
      if (c.groupId === null) throw bad('groupId', `A ${c.kind} case needs a group`);
      const owner = await store.groupOwner(db, c.groupId);
      const group = owner === undefined ? undefined : await groupStore.findGroup(db, owner, c.groupId);
      if (!group) throw notFound('group');
      if (c.input.speakerId !== undefined && !group.members.some((m) => m.characterId === c.input.speakerId)) throw bad('input.speakerId', 'speakerId must be a member of the group');
    }
    if (['chat', 'group_chat', 'memory_summarize'].includes(c.kind) && !messages.length) throw bad('input.messages', `A ${c.kind} case needs at least one message`);
    if ((c.kind === 'chat' || c.kind === 'group_chat') && messages[messages.length - 1].role !== 'user') throw bad('input.messages', 'The last set-up message must be the user\'s (the reply under test answers it)');
    if (c.kind === 'structure') {
      if (!c.input.section || c.input.section === 'source' || !(SECTION_KEYS as readonly string[]).includes(c.input.section)) throw bad('input.section', `section must be one of ${SECTION_KEYS.filter((k) => k !== 'source').join(', ')}`);
      if (!c.input.sourceText?.trim()) throw bad('input.sourceText', 'A structure case needs the source text');
    }
    if (c.kind === 'memory_integrate' && !(c.input.shortTerm ?? []).length) throw bad('input.shortTerm', 'A memory_integrate case needs short-term memories to integrate');
  }

  async function getCase(id: number): Promise<TestCase> {
    const c = await store.findCase(db, id);
    if (!c) throw notFound('test_case');
    return c;
  }

  /** The version to use: the one asked for (it must belong to `key`), else the active one. */
  async function versionFor(key: string, id: number | undefined, field: string) {
    const versionId = id ?? (await deps.prompts.activeVersionIds())[key];
    if (versionId === undefined) throw bad(field, `No version of ${key} exists`);
    const v = await deps.prompts.getVersion(versionId);
    if (v.key !== key) throw bad(field, `Version ${versionId} belongs to ${v.key}; this run needs a version of ${key}`);
    return v;
  }

  async function view(e: EvaluationRow) {
    const labels = await store.versionLabels(db, [e.promptVersionId, e.judgeVersionId]);
    return {
      id: e.id,
      jobId: e.jobId,
      kind: e.kind,
      note: e.note,
      promptVersion: (e.promptVersionId !== null && labels.get(e.promptVersionId)) || null,
      judgeVersion: (e.judgeVersionId !== null && labels.get(e.judgeVersionId)) || null,
      model: e.model,
      state: e.state,
      progress: e.progress,
      error: e.error,
      createdBy: e.createdBy,
      createdAt: e.createdAt,
      finishedAt: e.finishedAt,
    };
  }

  async function evaluation(id: number): Promise<EvaluationRow> {
    const e = await store.findEvaluation(db, id);
    if (!e) throw notFound('evaluation');
    return e;
  }

  async function enqueue(jobId: string, replace = false) {
    await deps.queue.enqueue(EVALUATION_JOB, { jobId }, { jobId, attempts: 1, replace });
  }

  /** The job handler: every pending case in order, each executed and judged; stops between cases when cancelled. */
  async function run(jobId: string, signal: AbortSignal): Promise<void> {
    const job = await jobStore.findJob(db, jobId);
    const e = await store.findEvaluationByJob(db, jobId);
    if (!job || !e || TERMINAL.includes(job.state) || job.userId === null) return;
    const rubric = RUBRICS[e.kind];
    try {
      const [prompt, judgeVersion] = await Promise.all([
        e.promptVersionId === null ? undefined : deps.prompts.getVersion(e.promptVersionId).catch(() => undefined),
        e.judgeVersionId === null ? undefined : deps.prompts.getVersion(e.judgeVersionId).catch(() => undefined),
      ]);
      const registry = createPromptRegistry({
        override: async (id) => (id === rubric.promptKey && prompt ? prompt.content : id === rubric.judgeKey && judgeVersion ? judgeVersion.content : deps.prompts.activeText(id)),
      });
      const ctx: RunContext = { db, llm: deps.llm, prompts: registry, model: e.model, userId: job.userId, signal };
      const offline = deps.llm.provider === 'offline';
      const results = await store.resultsOf(db, e.id);
      const cases = new Map((await store.findCases(db, results.map((r) => r.testCaseId))).map((c) => [c.id, c]));
      let done = results.filter((r) => r.status !== 'pending').length;
      if (!(await advance(jobId, { state: 'running', progress: { step: RUNNING, done, total: results.length } }))) return;
      for (const r of results) {
        if (r.status !== 'pending') continue;
        if (signal.aborted) break;
        const c = cases.get(r.testCaseId);
        const started = performance.now();
        let output: string | null = null;
        try {
          if (!c) throw notFound('test_case');
          const exec = await executeCase(ctx, c);
          output = exec.output;
          if (offline) {
            await store.finishResult(db, r.id, { status: 'not_judged', output, score: null, verdict: null, error: 'The offline model does not judge', latencyMs: Math.round(performance.now() - started), now: now() });
          } else {
            const j = await judge(ctx, c, exec);
            await store.finishResult(db, r.id, { status: j.passed ? 'passed' : 'failed', output, score: j.score, verdict: j.verdict, error: null, latencyMs: Math.round(performance.now() - started), now: now() });
          }
        } catch (err) {
          if (signal.aborted) break;
          // A case that cannot run or be judged is marked and reported; the run goes on. No score is invented.
          const message = isAppError(err) ? `${err.code}: ${err.message}` : 'Unexpected error while running the case';
          await store.finishResult(db, r.id, { status: 'error', output, score: null, verdict: null, error: message, latencyMs: Math.round(performance.now() - started), now: now() });
        }
        if (!(await advance(jobId, { progress: { step: RUNNING, done: ++done, total: results.length } }))) break;
      }
      if (signal.aborted || !(await advance(jobId, { state: 'done', progress: { step: 'done', done, total: results.length } }))) {
        await store.cancelPending(db, e.id, now());
      }
    } catch (err) {
      if (signal.aborted) {
        await store.cancelPending(db, e.id, now());
        return;
      }
      const message = isAppError(err) ? err.message : 'The run failed unexpectedly; retry it from the operations page';
      await advance(jobId, { state: 'failed', error: { code: isAppError(err) ? err.code : 'internal', message } });
      throw new PermanentJobError(message);
    }
  }

  return {
    run,

    // Test cases ---------------------------------------------------------------------------------
    listCases: (opts: { kind?: EvalKind; limit: number; offset: number }) => store.listCases(db, opts),
    getCase,
    async createCase(actorId: number, c: TestCaseWrite): Promise<TestCase> {
      await checkCase(c);
      return getCase(await store.insertCase(db, c, RUBRICS[c.kind].promptKey, actorId, now()));
    },
    async updateCase(id: number, c: TestCaseWrite): Promise<TestCase> {
      await getCase(id);
      await checkCase(c);
      await store.updateCase(db, id, c, RUBRICS[c.kind].promptKey, now());
      return getCase(id);
    },
    async deleteCase(id: number): Promise<void> {
      if (!(await store.deleteCase(db, id))) throw notFound('test_case');
    },

    // Runs ---------------------------------------------------------------------------------------
    async start(actorId: number, input: RunInput) {
      const ids = [...new Set(input.caseIds)];
      const cases = await store.findCases(db, ids);
      const missing = ids.find((id) => !cases.some((c) => c.id === id));
      if (missing !== undefined) throw new AppError('not_found:test_case', `test case ${missing} not found`, { details: { testCaseId: missing } });
      const kinds = [...new Set(cases.map((c) => c.kind))];
      if (kinds.length !== 1) throw bad('caseIds', `A run tests one kind of output; these cases are ${kinds.join(', ')}`);
      const rubric = RUBRICS[kinds[0]];
      const [prompt, judgeVersion] = await Promise.all([versionFor(rubric.promptKey, input.promptVersionId, 'promptVersionId'), versionFor(rubric.judgeKey, input.judgeVersionId, 'judgeVersionId')]);
      if (input.model !== undefined && !deps.llm.models().includes(input.model)) throw bad('model', `model must be one of ${deps.llm.models().join(', ')}`);
      const model = input.model ?? deps.defaultModel;
      const jobId = randomUUID();
      const id = await db.transaction().execute(async (trx) => {
        await jobStore.insertJob(trx, { id: jobId, kind: EVALUATION_JOB, userId: actorId, input: { caseIds: ids }, now: now() });
        return store.insertEvaluation(trx, { jobId, kind: rubric.kind, note: input.note?.trim() || null, promptVersionId: prompt.id, judgeVersionId: judgeVersion.id, model, createdBy: actorId, cases, now: now() });
      });
      try {
        await enqueue(jobId);
      } catch (err) {
        await advance(jobId, { state: 'failed', error: { code: 'unavailable', message: 'The job queue is unavailable; retry the run from the operations page' } });
        throw err;
      }
      return view(await evaluation(id));
    },

    async list(opts: { limit: number; offset: number }) {
      const page = await store.listEvaluations(db, opts);
      return { items: await Promise.all(page.items.map(view)), total: page.total };
    },

    async report(id: number) {
      const e = await evaluation(id);
      const results = await store.resultsOf(db, id);
      return { run: await view(e), summary: summarise(results), dimensions: RUBRICS[e.kind].dimensions, results };
    },

    /** Two runs of the same kind side by side: per-dimension means, their deltas (b − a), and each case. */
    async compare(aId: number, bId: number) {
      const [a, b] = await Promise.all([this.report(aId), this.report(bId)]);
      if (a.run.kind !== b.run.kind) throw bad('b', `Runs of different kinds (${a.run.kind}, ${b.run.kind}) cannot be compared`);
      const delta = (x: number | null | undefined, y: number | null | undefined) => (x === null || x === undefined || y === null || y === undefined ? null : Math.round((y - x) * 100) / 100);
      const byCaseB = new Map(b.results.map((r) => [r.testCaseId, r]));
      const caseIds = [...new Set([...a.results.map((r) => r.testCaseId), ...b.results.map((r) => r.testCaseId)])];
      const byCaseA = new Map(a.results.map((r) => [r.testCaseId, r]));
      const side = (r: CaseResult | undefined) => (r ? { status: r.status, score: r.score } : null);
      return {
        a: { run: a.run, summary: a.summary },
        b: { run: b.run, summary: b.summary },
        dimensions: RUBRICS[a.run.kind].dimensions.map((d) => ({ key: d.key, label: d.label, a: a.summary.dimensions[d.key] ?? null, b: b.summary.dimensions[d.key] ?? null, delta: delta(a.summary.dimensions[d.key], b.summary.dimensions[d.key]) })),
        averageDelta: delta(a.summary.averageScore, b.summary.averageScore),
        cases: caseIds.map((id) => {
          const ra = byCaseA.get(id);
          const rb = byCaseB.get(id);
          return { testCaseId: id, name: ra?.caseName ?? rb?.caseName ?? null, a: side(ra), b: side(rb), delta: delta(ra?.score, rb?.score) };
        }),
      };
    },

    /** Follows a run's job: `onChange` on every change; resolves with the final state. */
    async follow(id: number, signal: AbortSignal, onChange: (run: Awaited<ReturnType<typeof view>>) => void) {
      const e = await evaluation(id);
      const toRun = async (job: Job) => view({ ...e, state: job.state, progress: job.progress, error: job.error ?? null, finishedAt: TERMINAL.includes(job.state) ? job.updatedAt : null });
      const last = await deps.jobs.follow(e.createdBy!, e.jobId, signal, (job) => void toRun(job).then(onChange));
      return last ? toRun(last) : undefined;
    },

    async cancel(id: number): Promise<void> {
      const e = await evaluation(id);
      await deps.jobs.cancel(e.createdBy!, e.jobId);
      if (TERMINAL.includes(e.state as Job['state'])) return;
      await store.cancelPending(db, id, now());
    },

    /** Re-enqueues runs a stopped process left behind (the embedded queue keeps nothing). */
    async resumeUnfinished(): Promise<number> {
      const jobs = await jobStore.unfinishedJobs(db, EVALUATION_JOB);
      for (const j of jobs) await enqueue(j.id).catch(() => undefined);
      return jobs.length;
    },

    /** For the operations page's retry: a failed run starts over with every case pending. */
    async requeue(jobId: string): Promise<void> {
      const e = await store.findEvaluationByJob(db, jobId);
      if (e) await store.resetResults(db, e.id);
      await enqueue(jobId, true);
    },
  };
}

export type EvaluationsService = ReturnType<typeof createEvaluationsService>;
