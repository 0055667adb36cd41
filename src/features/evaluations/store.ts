/** SQL for test cases, evaluation runs (`evaluations`) and their per-case results (`evaluation_runs`). */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, EvaluationRunsTable, TestCasesTable } from '../../infra/db/schema.js';
import type { EvalKind } from './rubrics.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface CaseMessage {
  role: 'user' | 'assistant';
  /** Group chats: who said it (a member's name); a user line may leave it out. */
  speaker?: string;
  content: string;
}

/** The set-up of a case; which fields a kind needs is checked by the service. */
export interface CaseInput {
  messages?: CaseMessage[];
  longTerm?: string[];
  shortTerm?: string[];
  userProfile?: string;
  speakerId?: number;
  section?: string;
  sourceText?: string;
  personaName?: string;
  profile?: Record<string, unknown>;
}

export interface CaseConfig {
  model?: string;
  temperature?: number;
  maxTokens?: number;
  budgets?: { session?: number; shortTerm?: number; longTerm?: number };
}

export interface TestCaseWrite {
  name: string;
  kind: EvalKind;
  characterId: number | null;
  groupId: number | null;
  input: CaseInput;
  expected: string;
  config: CaseConfig;
}

export interface TestCase extends TestCaseWrite {
  id: number;
  createdBy: number | null;
  createdAt: number;
  updatedAt: number;
}

function rowToCase(r: Selectable<TestCasesTable>): TestCase {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as EvalKind,
    characterId: r.character_id,
    groupId: r.group_id,
    input: JSON.parse(r.input_json) as CaseInput,
    expected: r.expected,
    config: r.config_json ? (JSON.parse(r.config_json) as CaseConfig) : {},
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const caseColumns = (c: TestCaseWrite, promptKey: string) => ({
  name: c.name,
  kind: c.kind,
  prompt_key: promptKey,
  character_id: c.characterId,
  group_id: c.groupId,
  input_json: JSON.stringify(c.input),
  expected: c.expected,
  // The pre-0010 column; the expectation now lives in `expected`.
  expectations_json: '{}',
  config_json: Object.keys(c.config).length ? JSON.stringify(c.config) : null,
});

export async function listCases(db: Db, opts: { kind?: EvalKind; limit: number; offset: number }): Promise<{ items: TestCase[]; total: number }> {
  let base = db.selectFrom('test_cases');
  if (opts.kind) base = base.where('kind', '=', opts.kind);
  const [rows, total] = await Promise.all([
    base.selectAll().orderBy('id', 'desc').limit(opts.limit).offset(opts.offset).execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(rowToCase), total: Number(total.n) };
}

export async function findCase(db: Db, id: number): Promise<TestCase | undefined> {
  const r = await db.selectFrom('test_cases').selectAll().where('id', '=', id).executeTakeFirst();
  return r && rowToCase(r);
}

export async function findCases(db: Db, ids: number[]): Promise<TestCase[]> {
  if (!ids.length) return [];
  const rows = await db.selectFrom('test_cases').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((r) => [r.id, rowToCase(r)]));
  return ids.map((id) => byId.get(id)).filter((c): c is TestCase => !!c);
}

export async function insertCase(db: Db, c: TestCaseWrite, promptKey: string, createdBy: number, now: number): Promise<number> {
  const r = await db
    .insertInto('test_cases')
    .values({ ...caseColumns(c, promptKey), created_by: createdBy, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

export async function updateCase(db: Db, id: number, c: TestCaseWrite, promptKey: string, now: number): Promise<boolean> {
  const r = await db.updateTable('test_cases').set({ ...caseColumns(c, promptKey), updated_at: now }).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteCase(db: Db, id: number): Promise<boolean> {
  const r = await db.deleteFrom('test_cases').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The owner of a group (admins read any group through its owner's view). */
export async function groupOwner(db: Db, groupId: number): Promise<number | undefined> {
  const r = await db.selectFrom('groups').select('user_id').where('id', '=', groupId).executeTakeFirst();
  return r?.user_id;
}

// Runs -------------------------------------------------------------------------------------------

export interface EvaluationRow {
  id: number;
  jobId: string;
  kind: EvalKind;
  note: string | null;
  promptVersionId: number | null;
  judgeVersionId: number | null;
  model: string;
  createdBy: number | null;
  createdAt: number;
  /** From the job: queued | running | done | failed | cancelled. */
  state: string;
  progress: { step: string; done: number; total: number };
  error: { code: string; message: string } | null;
  finishedAt: number | null;
}

function selectEvaluations(db: Db) {
  return db
    .selectFrom('evaluations')
    .innerJoin('jobs', 'jobs.id', 'evaluations.job_id')
    .select([
      'evaluations.id',
      'evaluations.job_id',
      'evaluations.kind',
      'evaluations.note',
      'evaluations.prompt_version_id',
      'evaluations.judge_version_id',
      'evaluations.model',
      'evaluations.created_by',
      'evaluations.created_at',
      'jobs.state',
      'jobs.progress_json',
      'jobs.error_code',
      'jobs.error_message',
      'jobs.finished_at',
    ]);
}
type EvaluationSelect = Awaited<ReturnType<ReturnType<typeof selectEvaluations>['executeTakeFirstOrThrow']>>;

function toEvaluation(r: EvaluationSelect): EvaluationRow {
  return {
    id: r.id,
    jobId: r.job_id,
    kind: r.kind as EvalKind,
    note: r.note,
    promptVersionId: r.prompt_version_id,
    judgeVersionId: r.judge_version_id,
    model: r.model,
    createdBy: r.created_by,
    createdAt: r.created_at,
    state: r.state,
    progress: JSON.parse(r.progress_json),
    error: r.error_code ? { code: r.error_code, message: r.error_message ?? '' } : null,
    finishedAt: r.finished_at,
  };
}

export async function insertEvaluation(
  db: Db,
  e: { jobId: string; kind: EvalKind; note: string | null; promptVersionId: number; judgeVersionId: number; model: string; createdBy: number; cases: TestCase[]; now: number },
): Promise<number> {
  const { id } = await db
    .insertInto('evaluations')
    .values({ job_id: e.jobId, kind: e.kind, note: e.note, prompt_version_id: e.promptVersionId, judge_version_id: e.judgeVersionId, model: e.model, created_by: e.createdBy, created_at: e.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  // One result row per case from the start, so a report lists every case while the run is going.
  await db
    .insertInto('evaluation_runs')
    .values(e.cases.map((c, i) => ({ evaluation_id: id, test_case_id: c.id, prompt_version_id: e.promptVersionId, judge_version_id: e.judgeVersionId, position: i, status: 'pending', output: null, score: null, verdict_json: null, created_by: e.createdBy, created_at: e.now, finished_at: null, latency_ms: null, error: null })))
    .execute();
  return id;
}

export async function findEvaluation(db: Db, id: number): Promise<EvaluationRow | undefined> {
  const r = await selectEvaluations(db).where('evaluations.id', '=', id).executeTakeFirst();
  return r && toEvaluation(r);
}

export async function findEvaluationByJob(db: Db, jobId: string): Promise<EvaluationRow | undefined> {
  const r = await selectEvaluations(db).where('evaluations.job_id', '=', jobId).executeTakeFirst();
  return r && toEvaluation(r);
}

export async function listEvaluations(db: Db, opts: { limit: number; offset: number }): Promise<{ items: EvaluationRow[]; total: number }> {
  const [rows, total] = await Promise.all([
    selectEvaluations(db).orderBy('evaluations.id', 'desc').limit(opts.limit).offset(opts.offset).execute(),
    db.selectFrom('evaluations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { items: rows.map(toEvaluation), total: Number(total.n) };
}

export type ResultStatus = 'pending' | 'passed' | 'failed' | 'error' | 'not_judged' | 'cancelled';

export interface CaseResult {
  id: number;
  testCaseId: number;
  caseName: string | null;
  /** The case's expected behaviour as it is now (what the judge was told, unless edited since). */
  expected: string | null;
  position: number;
  status: ResultStatus;
  output: string | null;
  score: number | null;
  verdict: Verdict | null;
  error: string | null;
  latencyMs: number | null;
  finishedAt: number | null;
}

/** The judge's answer as stored: per-dimension scores (0–10), its total, and its words. */
export interface Verdict {
  scores: Record<string, number>;
  total: number;
  passed: boolean;
  reasoning: string;
  strengths: string[];
  weaknesses: string[];
  suggestions: string[];
}

type ResultRow = Selectable<EvaluationRunsTable> & { case_name: string | null; case_expected: string | null };
function toResult(r: ResultRow): CaseResult {
  return {
    id: r.id,
    testCaseId: r.test_case_id,
    caseName: r.case_name,
    expected: r.case_expected,
    position: r.position,
    status: r.status as ResultStatus,
    output: r.output,
    score: r.score,
    verdict: r.verdict_json ? (JSON.parse(r.verdict_json) as Verdict) : null,
    error: r.error,
    latencyMs: r.latency_ms,
    finishedAt: r.finished_at,
  };
}

export async function resultsOf(db: Db, evaluationId: number): Promise<CaseResult[]> {
  const rows = await db
    .selectFrom('evaluation_runs')
    .leftJoin('test_cases', 'test_cases.id', 'evaluation_runs.test_case_id')
    .selectAll('evaluation_runs')
    .select(['test_cases.name as case_name', 'test_cases.expected as case_expected'])
    .where('evaluation_runs.evaluation_id', '=', evaluationId)
    .orderBy('evaluation_runs.position')
    .execute();
  return rows.map(toResult);
}

export async function finishResult(db: Db, id: number, r: { status: ResultStatus; output: string | null; score: number | null; verdict: Verdict | null; error: string | null; latencyMs: number | null; now: number }): Promise<void> {
  await db
    .updateTable('evaluation_runs')
    .set({ status: r.status, output: r.output, score: r.score, verdict_json: r.verdict ? JSON.stringify(r.verdict) : null, error: r.error, latency_ms: r.latencyMs, finished_at: r.now })
    .where('id', '=', id)
    .execute();
}

/** Cases a stopped run never reached. */
export async function cancelPending(db: Db, evaluationId: number, now: number): Promise<void> {
  await db.updateTable('evaluation_runs').set({ status: 'cancelled', finished_at: now }).where('evaluation_id', '=', evaluationId).where('status', '=', 'pending').execute();
}

/** A retried run starts over: every result goes back to pending. */
export async function resetResults(db: Db, evaluationId: number): Promise<void> {
  await db.updateTable('evaluation_runs').set({ status: 'pending', output: null, score: null, verdict_json: null, error: null, latency_ms: null, finished_at: null }).where('evaluation_id', '=', evaluationId).execute();
}

/** Version number and prompt key of prompt versions, for labels in reports. */
export async function versionLabels(db: Db, ids: (number | null)[]): Promise<Map<number, { id: number; key: string; version: number }>> {
  const wanted = [...new Set(ids.filter((i): i is number => i !== null))];
  if (!wanted.length) return new Map();
  const rows = await db
    .selectFrom('prompt_versions')
    .innerJoin('prompt_templates', 'prompt_templates.id', 'prompt_versions.template_id')
    .select(['prompt_versions.id', 'prompt_versions.version', 'prompt_templates.key'])
    .where('prompt_versions.id', 'in', wanted)
    .execute();
  return new Map(rows.map((r) => [r.id, { id: r.id, key: r.key, version: r.version }]));
}
