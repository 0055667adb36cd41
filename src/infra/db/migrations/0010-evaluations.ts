/**
 * Evaluations with LLM judges: test cases get a kind, a target (a character or a group), the
 * expected behaviour in words and run overrides; a run (`evaluations`) is test cases × a prompt
 * version × a model × a judge version, executed as a job (`jobs.id`); each case's result is a row
 * of `evaluation_runs` (which the prompt statistics already read).
 */
import type { Kysely } from 'kysely';
import { dialectFlags } from '../dialect.js';

export async function up(db: Kysely<any>): Promise<void> {
  const f = dialectFlags(db);
  const ms = f.bigintType;
  const id = (c: any) => (f.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey());

  await db.schema.alterTable('test_cases').addColumn('kind', 'text', (c) => c.notNull().defaultTo('chat')).execute();
  // A deleted target leaves the case in place (its runs fail with "target gone") rather than erasing its history.
  await db.schema.alterTable('test_cases').addColumn('character_id', f.bigintType, (c) => c.references('characters.id').onDelete('set null')).execute();
  await db.schema.alterTable('test_cases').addColumn('group_id', f.bigintType, (c) => c.references('groups.id').onDelete('set null')).execute();
  await db.schema.alterTable('test_cases').addColumn('expected', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('test_cases').addColumn('config_json', 'text').execute();
  await db.schema.createIndex('test_cases_kind').on('test_cases').columns(['kind', 'id']).execute();

  await db.schema
    .createTable('evaluations')
    .addColumn('id', f.idType, id)
    .addColumn('job_id', 'text', (c) => c.notNull().unique().references('jobs.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('prompt_version_id', f.bigintType, (c) => c.references('prompt_versions.id').onDelete('set null'))
    .addColumn('judge_version_id', f.bigintType, (c) => c.references('prompt_versions.id').onDelete('set null'))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('created_by', f.bigintType, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('evaluations_time').on('evaluations').column('id').execute();

  await db.schema.alterTable('evaluation_runs').addColumn('evaluation_id', f.bigintType, (c) => c.references('evaluations.id').onDelete('cascade')).execute();
  await db.schema.alterTable('evaluation_runs').addColumn('judge_version_id', f.bigintType, (c) => c.references('prompt_versions.id').onDelete('set null')).execute();
  await db.schema.alterTable('evaluation_runs').addColumn('position', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('evaluation_runs').addColumn('latency_ms', 'integer').execute();
  await db.schema.alterTable('evaluation_runs').addColumn('error', 'text').execute();
  await db.schema.createIndex('evaluation_runs_evaluation').on('evaluation_runs').columns(['evaluation_id', 'position']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('evaluation_runs_evaluation').ifExists().execute();
  for (const c of ['error', 'latency_ms', 'position', 'judge_version_id', 'evaluation_id']) await db.schema.alterTable('evaluation_runs').dropColumn(c).execute();
  await db.schema.dropTable('evaluations').ifExists().execute();
  await db.schema.dropIndex('test_cases_kind').ifExists().execute();
  for (const c of ['config_json', 'expected', 'group_id', 'character_id', 'kind']) await db.schema.alterTable('test_cases').dropColumn(c).execute();
}
