/** SQL for API keys. Every read and write but the bearer lookup is scoped to the owner. */
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, Database } from '../../infra/db/schema.js';

type Db = Kysely<Database>;
type ApiKeyRow = Selectable<ApiKeysTable>;

/** What a key may reach; undefined lists = everything the user owns. */
export interface ApiKeyScope {
  characterIds?: number[];
  groupIds?: number[];
}

export interface ApiKey {
  id: number;
  name: string;
  prefix: string;
  scope: ApiKeyScope | null;
  ratePerMin: number | null;
  createdAt: number;
  lastUsedAt: number | null;
  expiresAt: number | null;
}

function parseScope(json: string | null): ApiKeyScope | null {
  if (!json) return null;
  try {
    const s = JSON.parse(json) as ApiKeyScope;
    return { ...(s.characterIds ? { characterIds: s.characterIds } : {}), ...(s.groupIds ? { groupIds: s.groupIds } : {}) };
  } catch {
    // A scope we cannot read must not widen the key: it then reaches nothing.
    return { characterIds: [], groupIds: [] };
  }
}

export function rowToApiKey(r: ApiKeyRow): ApiKey {
  return { id: r.id, name: r.name, prefix: r.prefix, scope: parseScope(r.scope_json), ratePerMin: r.rate_per_min, createdAt: r.created_at, lastUsedAt: r.last_used_at, expiresAt: r.expires_at };
}

export async function insertApiKey(db: Db, k: { userId: number; name: string; prefix: string; tokenHash: string; scope: ApiKeyScope | null; ratePerMin: number | null; expiresAt: number | null; now: number }): Promise<ApiKey> {
  const row = await db
    .insertInto('api_keys')
    .values({ user_id: k.userId, name: k.name, prefix: k.prefix, token_hash: k.tokenHash, scope_json: k.scope ? JSON.stringify(k.scope) : null, rate_per_min: k.ratePerMin, expires_at: k.expiresAt, created_at: k.now, last_used_at: null })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToApiKey(row);
}

export async function listApiKeys(db: Db, userId: number): Promise<ApiKey[]> {
  const rows = await db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('id', 'desc').execute();
  return rows.map(rowToApiKey);
}

export async function renameApiKey(db: Db, userId: number, id: number, name: string): Promise<ApiKey | undefined> {
  const r = await db.updateTable('api_keys').set({ name }).where('user_id', '=', userId).where('id', '=', id).returningAll().executeTakeFirst();
  return r && rowToApiKey(r);
}

/** Deletes the owner's key; returns its hash (to evict from the cache), or undefined. */
export async function deleteApiKey(db: Db, userId: number, id: number): Promise<string | undefined> {
  const r = await db.deleteFrom('api_keys').where('user_id', '=', userId).where('id', '=', id).returning('token_hash').executeTakeFirst();
  return r?.token_hash;
}

/** The key behind a bearer token with its owner, if the owner's account is not disabled. */
export async function findByHash(db: Db, tokenHash: string) {
  const r = await db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .selectAll('api_keys')
    .select(['users.username', 'users.is_admin', 'users.disabled_at'])
    .where('api_keys.token_hash', '=', tokenHash)
    .executeTakeFirst();
  return r && { key: rowToApiKey(r), userId: r.user_id, username: r.username, disabled: r.disabled_at !== null };
}

/** The hashes of every key of a user (to evict from the cache). */
export async function apiKeyHashes(db: Db, userId: number): Promise<string[]> {
  const rows = await db.selectFrom('api_keys').select('token_hash').where('user_id', '=', userId).execute();
  return rows.map((r) => r.token_hash);
}

export async function touchApiKey(db: Db, id: number, now: number): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}
