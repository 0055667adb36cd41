/** SQL for job records: the state a user sees, shared by every process through the database. */
import type { Kysely } from 'kysely';
import type { Database, JobRow } from '../../infra/db/schema.js';

type Db = Kysely<Database>;

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export type JobStep = 'queued' | 'fetching' | 'structuring' | 'writing_biography' | 'saving' | 'done';
export const TERMINAL: readonly JobState[] = ['done', 'failed', 'cancelled'];

export interface Job {
  id: string;
  kind: string;
  userId: number | null;
  state: JobState;
  progress: { step: JobStep; done: number; total: number };
  input: Record<string, unknown>;
  result?: { characterId: number };
  error?: { code: string; message: string };
  createdAt: number;
  updatedAt: number;
}

export function rowToJob(r: JobRow): Job {
  return {
    id: r.id,
    kind: r.kind,
    userId: r.user_id,
    state: r.state as JobState,
    progress: JSON.parse(r.progress_json),
    input: JSON.parse(r.input_json),
    ...(r.result_json ? { result: JSON.parse(r.result_json) } : {}),
    ...(r.error_code ? { error: { code: r.error_code, message: r.error_message ?? '' } } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function insertJob(db: Db, j: { id: string; kind: string; userId: number; input: object; now: number }): Promise<Job> {
  const row = await db
    .insertInto('jobs')
    .values({
      id: j.id,
      user_id: j.userId,
      kind: j.kind,
      state: 'queued',
      progress_json: JSON.stringify({ step: 'queued', done: 0, total: 0 }),
      input_json: JSON.stringify(j.input),
      result_json: null,
      error_code: null,
      error_message: null,
      attempts: 0,
      created_at: j.now,
      updated_at: j.now,
      finished_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToJob(row);
}

export async function findJob(db: Db, id: string, userId?: number): Promise<Job | undefined> {
  let q = db.selectFrom('jobs').selectAll().where('id', '=', id);
  if (userId !== undefined) q = q.where('user_id', '=', userId);
  const r = await q.executeTakeFirst();
  return r && rowToJob(r);
}

/**
 * Moves a job on, unless it already ended (a cancelled job stays cancelled even if its runner
 * has not noticed yet). Returns the updated job, or undefined when the job was terminal.
 */
export async function advanceJob(
  db: Db,
  id: string,
  patch: { state?: JobState; progress?: Job['progress']; result?: Job['result']; error?: Job['error']; attemptsIncrement?: boolean },
  now: number,
): Promise<Job | undefined> {
  const terminal = patch.state && TERMINAL.includes(patch.state);
  const row = await db
    .updateTable('jobs')
    .set((eb) => ({
      ...(patch.state ? { state: patch.state } : {}),
      ...(patch.progress ? { progress_json: JSON.stringify(patch.progress) } : {}),
      ...(patch.result ? { result_json: JSON.stringify(patch.result) } : {}),
      ...(patch.error ? { error_code: patch.error.code, error_message: patch.error.message } : {}),
      ...(patch.attemptsIncrement ? { attempts: eb('attempts', '+', 1) } : {}),
      ...(terminal ? { finished_at: now } : {}),
      updated_at: now,
    }))
    .where('id', '=', id)
    .where('state', 'not in', TERMINAL as JobState[])
    .returningAll()
    .executeTakeFirst();
  return row && rowToJob(row);
}

/** Jobs that were waiting or running when a process stopped (the embedded queue forgets them). */
export async function unfinishedJobs(db: Db, kind: string): Promise<Job[]> {
  const rows = await db.selectFrom('jobs').selectAll().where('kind', '=', kind).where('state', 'in', ['queued', 'running']).execute();
  return rows.map(rowToJob);
}
