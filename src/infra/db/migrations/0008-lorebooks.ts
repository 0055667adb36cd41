/**
 * Standalone lorebooks (SillyTavern World Info or a card's `character_book`, kept as imported so
 * export is faithful) attached to characters and groups; group message actions: muting a member
 * until a time, why a speaker was chosen (on the message), and the moderator's decision (prompt
 * part hash, answer, reason) beside the reply's inspection record.
 */
import type { Kysely } from 'kysely';
import { dialectFlags } from '../dialect.js';

export async function up(db: Kysely<any>): Promise<void> {
  const f = dialectFlags(db);
  const ms = f.bigintType;
  const fk = (table: string) => (c: any) => c.references(`${table}.id`).onDelete('cascade');

  await db.schema
    .createTable('lorebooks')
    .addColumn('id', f.idType, (c) => (f.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('user_id', f.bigintType, (c) => fk('users')(c.notNull()))
    .addColumn('name', 'text', (c) => c.notNull())
    /** world_info (entries keyed by uid) | character_book (entries array): the shape export gives back. */
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('book_json', 'text', (c) => c.notNull())
    .addColumn('entry_count', 'integer', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('lorebooks_user').on('lorebooks').columns(['user_id', 'updated_at']).execute();

  await db.schema
    .createTable('character_lorebooks')
    .addColumn('character_id', f.bigintType, (c) => fk('characters')(c.notNull()))
    .addColumn('lorebook_id', f.bigintType, (c) => fk('lorebooks')(c.notNull()))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('character_lorebooks_pk', ['character_id', 'lorebook_id'])
    .execute();
  await db.schema.createIndex('character_lorebooks_book').on('character_lorebooks').column('lorebook_id').execute();
  await db.schema
    .createTable('group_lorebooks')
    .addColumn('group_id', f.bigintType, (c) => fk('groups')(c.notNull()))
    .addColumn('lorebook_id', f.bigintType, (c) => fk('lorebooks')(c.notNull()))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('group_lorebooks_pk', ['group_id', 'lorebook_id'])
    .execute();
  await db.schema.createIndex('group_lorebooks_book').on('group_lorebooks').column('lorebook_id').execute();

  await db.schema.alterTable('group_members').addColumn('muted_until', ms).execute();
  /** JSON `{by, score?, reason?}`: why the round loop chose this speaker. */
  await db.schema.alterTable('messages').addColumn('speaker_reason', 'text').execute();
  await db.schema
    .createTable('moderator_decisions')
    .addColumn('message_id', f.bigintType, (c) => c.primaryKey().references('messages.id').onDelete('cascade'))
    .addColumn('record_json', 'text', (c) => c.notNull())
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['moderator_decisions', 'group_lorebooks', 'character_lorebooks', 'lorebooks']) await db.schema.dropTable(t).ifExists().execute();
  await db.schema.alterTable('messages').dropColumn('speaker_reason').execute();
  await db.schema.alterTable('group_members').dropColumn('muted_until').execute();
}
