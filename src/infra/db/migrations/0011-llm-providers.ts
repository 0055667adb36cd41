/**
 * Providers and models managed in the admin area (issue 18): OpenAI-compatible endpoints with
 * their keys encrypted (AES-256-GCM, key derived from FASTNPC_SECRET), the models offered to
 * users with prices and capabilities, per-purpose defaults, users' own keys, and the model and
 * sampling settings of a character or a group.
 */
import type { Kysely } from 'kysely';
import { dialectFlags } from '../dialect.js';

export async function up(db: Kysely<any>): Promise<void> {
  const f = dialectFlags(db);
  const ms = f.bigintType;
  const id = (c: any) => (f.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey());
  const fk = (table: string) => (c: any) => c.notNull().references(`${table}.id`).onDelete('cascade');

  await db.schema
    .createTable('llm_providers')
    .addColumn('id', f.idType, id)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text', (c) => c.notNull())
    .addColumn('api_key_enc', 'text')
    .addColumn('api_key_hint', 'text')
    // Header values may carry credentials too: encrypted like the key; the names stay readable.
    .addColumn('headers_enc', 'text')
    .addColumn('header_names', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('connect_timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('timeout_ms', 'integer', (c) => c.notNull())
    .addColumn('concurrency', 'integer', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('user_keys', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('llm_models')
    .addColumn('id', f.idType, id)
    .addColumn('provider_id', f.bigintType, fk('llm_providers'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('offered', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('context_length', 'integer')
    .addColumn('input_per_million', f.realType)
    .addColumn('output_per_million', f.realType)
    .addColumn('capabilities_json', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addUniqueConstraint('llm_models_provider_name', ['provider_id', 'name'])
    .execute();

  await db.schema
    .createTable('llm_defaults')
    .addColumn('purpose', 'text', (c) => c.primaryKey())
    .addColumn('model_key', 'text', (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('llm_user_keys')
    .addColumn('user_id', f.bigintType, fk('users'))
    .addColumn('provider_id', f.bigintType, fk('llm_providers'))
    .addColumn('api_key_enc', 'text', (c) => c.notNull())
    .addColumn('api_key_hint', 'text', (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .addPrimaryKeyConstraint('llm_user_keys_pk', ['user_id', 'provider_id'])
    .execute();

  // A character's or a group's own model and sampling; null = the owner's default.
  for (const [table, target] of [['character_llm_settings', 'characters'], ['group_llm_settings', 'groups']] as const) {
    await db.schema
      .createTable(table)
      .addColumn('target_id', f.bigintType, (c) => fk(target)(c).primaryKey())
      .addColumn('model_key', 'text')
      .addColumn('temperature', f.realType)
      .addColumn('max_tokens', 'integer')
      .addColumn('context_tokens', 'integer')
      .addColumn('updated_at', ms, (c) => c.notNull())
      .execute();
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['group_llm_settings', 'character_llm_settings', 'llm_user_keys', 'llm_defaults', 'llm_models', 'llm_providers']) await db.schema.dropTable(t).ifExists().execute();
}
