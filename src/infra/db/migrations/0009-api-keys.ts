/**
 * API keys for the OpenAI-compatible endpoint (/v1). Only the SHA-256 of a key is stored; `prefix`
 * is its first characters, shown so a user can tell keys apart. `scope_json` limits a key to some
 * characters and groups (null = everything the user owns); `rate_per_min` is the key's own limit.
 */
import type { Kysely } from 'kysely';
import { dialectFlags } from '../dialect.js';

export async function up(db: Kysely<any>): Promise<void> {
  const f = dialectFlags(db);
  const ms = f.bigintType;
  await db.schema
    .createTable('api_keys')
    .addColumn('id', f.idType, (c) => (f.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('user_id', f.bigintType, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('scope_json', 'text')
    .addColumn('rate_per_min', 'integer')
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('last_used_at', ms)
    .addColumn('expires_at', ms)
    .execute();
  await db.schema.createIndex('api_keys_user').on('api_keys').columns(['user_id', 'id']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('api_keys').ifExists().execute();
}
