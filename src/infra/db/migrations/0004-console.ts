/**
 * The operator's console: feedback categories and reply tracking, disabled accounts, the audit
 * log of admin reads, what each reply really sent (prompt parts stored once by hash), and the
 * price table for usage estimates.
 */
import type { Kysely } from 'kysely';
import { dialectFlags } from '../dialect.js';

export async function up(db: Kysely<any>): Promise<void> {
  const f = dialectFlags(db);
  const ms = f.bigintType;
  const id = (c: any) => (f.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey());

  await db.schema.alterTable('feedback').addColumn('category', 'text', (c) => c.notNull().defaultTo('other')).execute();
  await db.schema.alterTable('feedback').addColumn('message_id', f.bigintType).execute();
  await db.schema.alterTable('feedback').addColumn('character_id', f.bigintType).execute();
  await db.schema.alterTable('feedback').addColumn('replied_at', ms).execute();
  await db.schema.alterTable('feedback').addColumn('reply_seen_at', ms).execute();

  await db.schema.alterTable('users').addColumn('disabled_at', ms).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', f.idType, id)
    .addColumn('actor_id', f.bigintType, (c) => c.references('users.id').onDelete('set null'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_user_id', f.bigintType)
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_log_time').on('audit_log').column('id').execute();

  await db.schema
    .createTable('prompt_parts')
    .addColumn('hash', 'text', (c) => c.primaryKey())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('message_inspections')
    .addColumn('message_id', f.bigintType, (c) => c.primaryKey().references('messages.id').onDelete('cascade'))
    .addColumn('record_json', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('model_prices')
    .addColumn('model', 'text', (c) => c.primaryKey())
    .addColumn('input_per_million', f.realType, (c) => c.notNull())
    .addColumn('output_per_million', f.realType, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['model_prices', 'message_inspections', 'prompt_parts', 'audit_log']) await db.schema.dropTable(t).ifExists().execute();
  for (const c of ['category', 'message_id', 'character_id', 'replied_at', 'reply_seen_at']) await db.schema.alterTable('feedback').dropColumn(c).execute();
  await db.schema.alterTable('users').dropColumn('disabled_at').execute();
}
