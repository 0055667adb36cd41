/** SQL for prompt templates (one per registry id, by `key`) and their immutable versions. */
import { sql } from 'kysely';
import type { Db } from '../../infra/db/index.js';

export interface PromptVersion {
  id: number;
  templateId: number;
  version: number;
  content: string;
  note: string | null;
  createdBy: number | null;
  authorName: string | null;
  createdAt: number;
}

export interface TemplateRow {
  id: number;
  key: string;
  description: string;
  activeVersionId: number | null;
  updatedAt: number;
}

const versionColumns = ['prompt_versions.id', 'prompt_versions.template_id', 'prompt_versions.version', 'prompt_versions.content', 'prompt_versions.note', 'prompt_versions.created_by', 'prompt_versions.created_at', 'users.username'] as const;

function selectVersions(db: Db) {
  return db.selectFrom('prompt_versions').leftJoin('users', 'users.id', 'prompt_versions.created_by').select(versionColumns);
}

type VersionRow = Awaited<ReturnType<ReturnType<typeof selectVersions>['executeTakeFirstOrThrow']>>;
function toVersion(r: VersionRow): PromptVersion {
  return { id: r.id, templateId: r.template_id, version: r.version, content: r.content, note: r.note, createdBy: r.created_by, authorName: r.username, createdAt: r.created_at };
}

export async function listTemplates(db: Db): Promise<TemplateRow[]> {
  const rows = await db.selectFrom('prompt_templates').select(['id', 'key', 'description', 'active_version_id', 'updated_at']).orderBy('key').execute();
  return rows.map((r) => ({ id: r.id, key: r.key, description: r.description, activeVersionId: r.active_version_id, updatedAt: r.updated_at }));
}

export async function findTemplate(db: Db, id: number): Promise<TemplateRow | undefined> {
  const r = await db.selectFrom('prompt_templates').select(['id', 'key', 'description', 'active_version_id', 'updated_at']).where('id', '=', id).executeTakeFirst();
  return r && { id: r.id, key: r.key, description: r.description, activeVersionId: r.active_version_id, updatedAt: r.updated_at };
}

/** Inserts the template if absent (concurrent starts race on the unique key); returns its id. */
export async function ensureTemplate(db: Db, key: string, description: string, now: number): Promise<number> {
  await db.insertInto('prompt_templates').values({ key, description, active_version_id: null, created_at: now, updated_at: now }).onConflict((oc) => oc.column('key').doNothing()).execute();
  const r = await db.selectFrom('prompt_templates').select('id').where('key', '=', key).executeTakeFirstOrThrow();
  return r.id;
}

export async function versionsOf(db: Db, templateId: number): Promise<PromptVersion[]> {
  return (await selectVersions(db).where('prompt_versions.template_id', '=', templateId).orderBy('prompt_versions.version', 'desc').execute()).map(toVersion);
}

export async function findVersion(db: Db, id: number): Promise<PromptVersion | undefined> {
  const r = await selectVersions(db).where('prompt_versions.id', '=', id).executeTakeFirst();
  return r && toVersion(r);
}

/** Appends a version (number = last + 1); two writers racing for a number retry on the unique constraint. */
export async function appendVersion(db: Db, v: { templateId: number; content: string; note: string | null; createdBy: number | null; now: number }): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const last = await db.selectFrom('prompt_versions').select((eb) => eb.fn.max('version').as('n')).where('template_id', '=', v.templateId).executeTakeFirst();
    const version = Number(last?.n ?? 0) + 1;
    const inserted = await db
      .insertInto('prompt_versions')
      .values({ template_id: v.templateId, version, content: v.content, note: v.note, created_by: v.createdBy, created_at: v.now })
      .onConflict((oc) => oc.columns(['template_id', 'version']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (inserted) return inserted.id;
    if (attempt >= 5) throw new Error('could not allocate a prompt version number');
  }
}

/** Version 1 of a template with no versions; processes starting together insert it once. */
export async function insertFirstVersion(db: Db, v: { templateId: number; content: string; note: string; now: number }): Promise<number> {
  await db.insertInto('prompt_versions').values({ template_id: v.templateId, version: 1, content: v.content, note: v.note, created_by: null, created_at: v.now }).onConflict((oc) => oc.columns(['template_id', 'version']).doNothing()).execute();
  const r = await db.selectFrom('prompt_versions').select('id').where('template_id', '=', v.templateId).where('version', '=', 1).executeTakeFirstOrThrow();
  return r.id;
}

export async function setActive(db: Db, templateId: number, versionId: number, now: number, onlyIfUnset = false): Promise<void> {
  let q = db.updateTable('prompt_templates').set({ active_version_id: versionId, updated_at: now }).where('id', '=', templateId);
  if (onlyIfUnset) q = q.where('active_version_id', 'is', null);
  await q.execute();
}

/** The active text of every template, in one query (the registry's cache is filled from this). */
export async function activeTexts(db: Db): Promise<{ key: string; versionId: number; version: number; content: string }[]> {
  return db
    .selectFrom('prompt_templates')
    .innerJoin('prompt_versions', 'prompt_versions.id', 'prompt_templates.active_version_id')
    .select(['prompt_templates.key', 'prompt_versions.id as versionId', 'prompt_versions.version', 'prompt_versions.content'])
    .execute();
}

export interface VersionStats {
  runs: number;
  judged: number;
  passed: number;
  averageScore: number | null;
  lastRunAt: number | null;
}

/** Evaluation statistics per version (runs with a score were judged). */
export async function versionStats(db: Db, versionIds: number[]): Promise<Map<number, VersionStats>> {
  const out = new Map<number, VersionStats>();
  if (!versionIds.length) return out;
  const rows = await db
    .selectFrom('evaluation_runs')
    .select(['prompt_version_id'])
    .select((eb) => [
      eb.fn.countAll<number>().as('runs'),
      eb.fn.count<number>('score').as('judged'),
      eb.fn.sum<number>(sql<number>`case when status = 'passed' then 1 else 0 end`).as('passed'),
      eb.fn.avg<number>('score').as('avg_score'),
      eb.fn.max('finished_at').as('last_run_at'),
    ])
    .where('prompt_version_id', 'in', versionIds)
    // Cases a run has not reached (or never will: cancelled) are not test runs of the version.
    .where('status', 'not in', ['pending', 'cancelled'])
    .groupBy('prompt_version_id')
    .execute();
  for (const r of rows) {
    out.set(Number(r.prompt_version_id), {
      runs: Number(r.runs),
      judged: Number(r.judged),
      passed: Number(r.passed ?? 0),
      averageScore: r.avg_score === null ? null : Math.round(Number(r.avg_score) * 100) / 100,
      lastRunAt: r.last_run_at === null ? null : Number(r.last_run_at),
    });
  }
  return out;
}
