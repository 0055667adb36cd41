/**
 * The whole data model, the same on SQLite and PostgreSQL. Migrations take Kysely<any> and never
 * import application types: they describe the schema as it was when they were written.
 */
import { type Kysely, type CreateTableBuilder } from 'kysely';
import { dialectFlags } from '../dialect.js';

export async function up(db: Kysely<any>): Promise<void> {
  const f = dialectFlags(db);
  const ms = f.bigintType;
  const withId = <T extends string>(t: CreateTableBuilder<T, never>) =>
    t.addColumn('id', f.idType, (c) => (f.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()));
  const fk = (table: string, onDelete: 'cascade' | 'set null' = 'cascade') => (c: any) => c.references(`${table}.id`).onDelete(onDelete);

  await withId(db.schema.createTable('users'))
    .addColumn('username', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('is_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', ms, (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('sessions'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', f.bigintType, (c) => fk('users')(c.notNull()))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('expires_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

  await db.schema
    .createTable('user_settings')
    .addColumn('user_id', f.bigintType, (c) => fk('users')(c.primaryKey()))
    .addColumn('chat_model', 'text')
    .addColumn('budget_session', 'integer')
    .addColumn('budget_short_term', 'integer')
    .addColumn('budget_long_term', 'integer')
    .addColumn('profile_text', 'text')
    .addColumn('group_rounds', 'integer')
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('source_pages'))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_key', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('url', 'text')
    .addColumn('page_json', 'text', (c) => c.notNull())
    .addColumn('markdown', 'text', (c) => c.notNull())
    .addColumn('fetched_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('source_pages_key').on('source_pages').columns(['source', 'source_key', 'fetched_at']).execute();

  await withId(db.schema.createTable('characters'))
    .addColumn('user_id', f.bigintType, (c) => fk('users')(c.notNull()))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('profile_json', 'text', (c) => c.notNull())
    .addColumn('biography', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('avatar_file', 'text')
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('source_page_id', f.bigintType, fk('source_pages', 'set null'))
    .addColumn('card_json', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('characters_user_name', ['user_id', 'name'])
    .execute();
  await db.schema.createIndex('characters_user_updated').on('characters').columns(['user_id', 'updated_at']).execute();

  await withId(db.schema.createTable('groups'))
    .addColumn('user_id', f.bigintType, (c) => fk('users')(c.notNull()))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull().defaultTo('natural'))
    .addColumn('max_rounds', 'integer')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('groups_user_updated').on('groups').columns(['user_id', 'updated_at']).execute();

  await db.schema
    .createTable('group_members')
    .addColumn('group_id', f.bigintType, (c) => fk('groups')(c.notNull()))
    .addColumn('character_id', f.bigintType, (c) => fk('characters')(c.notNull()))
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('joined_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('group_members_pk', ['group_id', 'character_id'])
    .execute();
  await db.schema.createIndex('group_members_character').on('group_members').column('character_id').execute();

  await withId(db.schema.createTable('conversations'))
    .addColumn('user_id', f.bigintType, (c) => fk('users')(c.notNull()))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('character_id', f.bigintType, (c) => fk('characters')(c.unique()))
    .addColumn('group_id', f.bigintType, (c) => fk('groups')(c.unique()))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('messages'))
    .addColumn('conversation_id', f.bigintType, (c) => fk('conversations')(c.notNull()))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('character_id', f.bigintType, fk('characters', 'set null'))
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('complete'))
    .addColumn('compressed', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_in', 'integer')
    .addColumn('tokens_out', 'integer')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('edited_at', ms)
    .execute();
  // Newest-first pages and "uncompressed messages of a conversation" both walk this index.
  await db.schema.createIndex('messages_conversation').on('messages').columns(['conversation_id', 'compressed', 'id']).execute();
  await db.schema.createIndex('messages_conversation_id').on('messages').columns(['conversation_id', 'id']).execute();

  await withId(db.schema.createTable('memory_items'))
    .addColumn('character_id', f.bigintType, fk('characters'))
    .addColumn('conversation_id', f.bigintType, fk('conversations'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('importance', f.realType, (c) => c.notNull().defaultTo(0.5))
    .addColumn('pinned', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('range_start', f.bigintType)
    .addColumn('range_end', f.bigintType)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('memory_items_character').on('memory_items').columns(['character_id', 'kind', 'id']).execute();
  await db.schema.createIndex('memory_items_conversation').on('memory_items').columns(['conversation_id', 'kind', 'id']).execute();

  await withId(db.schema.createTable('prompt_templates'))
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('active_version_id', f.bigintType)
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  await withId(db.schema.createTable('prompt_versions'))
    .addColumn('template_id', f.bigintType, (c) => fk('prompt_templates')(c.notNull()))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addColumn('created_by', f.bigintType, fk('users', 'set null'))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addUniqueConstraint('prompt_versions_template_version', ['template_id', 'version'])
    .execute();

  await withId(db.schema.createTable('test_cases'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prompt_key', 'text', (c) => c.notNull())
    .addColumn('input_json', 'text', (c) => c.notNull())
    .addColumn('expectations_json', 'text', (c) => c.notNull())
    .addColumn('created_by', f.bigintType, fk('users', 'set null'))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('test_cases_prompt').on('test_cases').columns(['prompt_key', 'id']).execute();

  await withId(db.schema.createTable('evaluation_runs'))
    .addColumn('test_case_id', f.bigintType, (c) => fk('test_cases')(c.notNull()))
    .addColumn('prompt_version_id', f.bigintType, fk('prompt_versions', 'set null'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('output', 'text')
    .addColumn('score', f.realType)
    .addColumn('verdict_json', 'text')
    .addColumn('created_by', f.bigintType, fk('users', 'set null'))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('finished_at', ms)
    .execute();
  await db.schema.createIndex('evaluation_runs_case').on('evaluation_runs').columns(['test_case_id', 'id']).execute();

  await withId(db.schema.createTable('feedback'))
    .addColumn('user_id', f.bigintType, (c) => fk('users')(c.notNull()))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
    .addColumn('admin_reply', 'text')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('feedback_user').on('feedback').columns(['user_id', 'id']).execute();
  await db.schema.createIndex('feedback_status').on('feedback').columns(['status', 'id']).execute();

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', f.bigintType, fk('users'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('progress_json', 'text', (c) => c.notNull())
    .addColumn('input_json', 'text', (c) => c.notNull())
    .addColumn('result_json', 'text')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addColumn('finished_at', ms)
    .execute();
  await db.schema.createIndex('jobs_user').on('jobs').columns(['user_id', 'created_at']).execute();
  await db.schema.createIndex('jobs_state').on('jobs').columns(['kind', 'state']).execute();

  await db.schema
    .createTable('llm_usage')
    .addColumn('user_id', f.bigintType, (c) => fk('users')(c.notNull()))
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_in', f.bigintType, (c) => c.notNull().defaultTo(0))
    .addColumn('tokens_out', f.bigintType, (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('llm_usage_pk', ['user_id', 'day', 'purpose', 'model'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['llm_usage', 'jobs', 'feedback', 'evaluation_runs', 'test_cases', 'prompt_versions', 'prompt_templates', 'memory_items', 'messages', 'conversations', 'group_members', 'groups', 'characters', 'source_pages', 'user_settings', 'sessions', 'users']) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
