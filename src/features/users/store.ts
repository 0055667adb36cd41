/** SQL for users, sessions and settings. Functions take the database (or a transaction) first. */
import { sql, type Kysely, type Selectable } from 'kysely';
import { dialectFlags } from '../../infra/db/dialect.js';
import type { Database, UserSettingsTable, UserRow } from '../../infra/db/schema.js';

type Db = Kysely<Database>;

export interface User {
  id: number;
  username: string;
  isAdmin: boolean;
  createdAt: number;
}

export function rowToUser(r: Pick<UserRow, 'id' | 'username' | 'is_admin' | 'created_at'>): User {
  return { id: r.id, username: r.username, isAdmin: r.is_admin === 1, createdAt: r.created_at };
}

/**
 * Inserts a user; the first account of the instance (or `namedAdmin`) is the administrator.
 * "First" is decided inside the insert's transaction with the table locked against other
 * registrations (PostgreSQL; SQLite has one writer), so concurrent first sign-ups make one admin.
 */
export async function insertUser(db: Db, u: { username: string; usernameKey: string; passwordHash: string; namedAdmin: boolean; now: number }): Promise<User> {
  return db.transaction().execute(async (trx) => {
    if (dialectFlags(trx).name === 'postgres') await sql`lock table users in share row exclusive mode`.execute(trx);
    const isAdmin = u.namedAdmin || !(await anyUser(trx));
    const row = await trx
      .insertInto('users')
      .values({ username: u.username, username_key: u.usernameKey, password_hash: u.passwordHash, is_admin: isAdmin ? 1 : 0, created_at: u.now })
      .returning(['id', 'username', 'is_admin', 'created_at'])
      .executeTakeFirstOrThrow();
    return rowToUser(row);
  });
}

/** Whether any account exists (one indexed row, not a count). */
export async function anyUser(db: Db): Promise<boolean> {
  return (await db.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
}

export async function countUsers(db: Db): Promise<number> {
  const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The account for a sign-in name: the exact name first (older look-alike accounts), else its look-alike key. */
export async function findUserForLogin(db: Db, username: string, key: string) {
  const rows = await db.selectFrom('users').selectAll().where((eb) => eb.or([eb('username', '=', username), eb('username_key', '=', key)])).limit(2).execute();
  return rows.find((r) => r.username === username) ?? rows[0];
}

/** Avatar files of every character the user owns (to delete with the account). */
export async function userAvatarFiles(db: Db, userId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('characters')
    .select('avatar_file')
    .where('user_id', '=', userId)
    .where('avatar_file', 'is not', null)
    // Persona avatars are the user's files too.
    .unionAll(db.selectFrom('personas').select('avatar_file').where('user_id', '=', userId).where('avatar_file', 'is not', null))
    .execute();
  return rows.map((r) => r.avatar_file!);
}

export function findUserById(db: Db, id: number) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function updatePasswordHash(db: Db, userId: number, hash: string): Promise<void> {
  await db.updateTable('users').set({ password_hash: hash }).where('id', '=', userId).execute();
}

export async function deleteUser(db: Db, userId: number): Promise<void> {
  await db.deleteFrom('users').where('id', '=', userId).execute();
}

export async function listUsers(db: Db, limit: number, offset: number) {
  const [items, total] = await Promise.all([
    db
      .selectFrom('users')
      .leftJoin('characters', 'characters.user_id', 'users.id')
      .select(['users.id', 'users.username', 'users.is_admin', 'users.created_at', 'users.disabled_at'])
      .select((eb) => eb.fn.count<number>('characters.id').as('character_count'))
      .groupBy(['users.id', 'users.username', 'users.is_admin', 'users.created_at', 'users.disabled_at'])
      .orderBy('users.id', 'asc')
      .limit(limit)
      .offset(offset)
      .execute(),
    countUsers(db),
  ]);
  return { items: items.map((r) => ({ ...rowToUser(r), characterCount: Number(r.character_count), disabled: r.disabled_at !== null })), total };
}

// Sessions ------------------------------------------------------------------------------------

export async function insertSession(db: Db, s: { tokenHash: string; userId: number; now: number; expiresAt: number }): Promise<void> {
  await db.insertInto('sessions').values({ token_hash: s.tokenHash, user_id: s.userId, created_at: s.now, expires_at: s.expiresAt }).execute();
}

export function findSession(db: Db, tokenHash: string) {
  return db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select(['sessions.expires_at', 'users.id', 'users.username', 'users.is_admin', 'users.created_at'])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function extendSession(db: Db, tokenHash: string, expiresAt: number): Promise<void> {
  await db.updateTable('sessions').set({ expires_at: expiresAt }).where('token_hash', '=', tokenHash).execute();
}

export async function deleteSession(db: Db, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

/** Deletes a user's sessions (except `keep`) and returns the hashes removed, to evict from cache. */
export async function deleteUserSessions(db: Db, userId: number, keep?: string): Promise<string[]> {
  let q = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (keep) q = q.where('token_hash', '!=', keep);
  const rows = await q.returning('token_hash').execute();
  return rows.map((r) => r.token_hash);
}

export async function deleteExpiredSessions(db: Db, now: number): Promise<number> {
  const r = await db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}

// Settings ------------------------------------------------------------------------------------

export type SettingsRow = Selectable<UserSettingsTable>;

export function findSettings(db: Db, userId: number) {
  return db.selectFrom('user_settings').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

export async function upsertSettings(db: Db, row: SettingsRow): Promise<void> {
  const { user_id, ...rest } = row;
  await db
    .insertInto('user_settings')
    .values(row)
    .onConflict((oc) => oc.column('user_id').doUpdateSet(rest))
    .execute();
}
