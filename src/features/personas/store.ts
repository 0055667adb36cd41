/**
 * Personas: who the user plays in a chat. Every read and write takes the owner and ANDs it, so
 * another user's persona is simply not found. At most one default per user (a partial unique index).
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, PersonaRow } from '../../infra/db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Persona {
  id: number;
  userId: number;
  name: string;
  description: string;
  avatarFile: string | null;
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
}

export function rowToPersona(r: PersonaRow): Persona {
  return { id: r.id, userId: r.user_id, name: r.name, description: r.description, avatarFile: r.avatar_file, isDefault: r.is_default === 1, createdAt: r.created_at, updatedAt: r.updated_at };
}

export async function listPersonas(db: Db, userId: number): Promise<Persona[]> {
  const rows = await db.selectFrom('personas').selectAll().where('user_id', '=', userId).orderBy('id', 'asc').execute();
  return rows.map(rowToPersona);
}

export async function countPersonas(db: Db, userId: number): Promise<number> {
  const r = await db.selectFrom('personas').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function findPersona(db: Db, userId: number, id: number): Promise<Persona | undefined> {
  const r = await db.selectFrom('personas').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return r && rowToPersona(r);
}

export async function findDefaultPersona(db: Db, userId: number): Promise<Persona | undefined> {
  const r = await db.selectFrom('personas').selectAll().where('user_id', '=', userId).where('is_default', '=', 1).executeTakeFirst();
  return r && rowToPersona(r);
}

export async function insertPersona(db: Db, p: { userId: number; name: string; description: string; now: number }): Promise<Persona> {
  const r = await db
    .insertInto('personas')
    .values({ user_id: p.userId, name: p.name, description: p.description, avatar_file: null, is_default: 0, created_at: p.now, updated_at: p.now })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToPersona(r);
}

export async function updatePersona(db: Db, userId: number, id: number, patch: { name?: string; description?: string; avatarFile?: string | null }, now: number): Promise<Persona | undefined> {
  const r = await db
    .updateTable('personas')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.avatarFile !== undefined ? { avatar_file: patch.avatarFile } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .returningAll()
    .executeTakeFirst();
  return r && rowToPersona(r);
}

/** Makes `id` the user's one default (in the caller's transaction: the old one is cleared first). */
export async function setDefaultPersona(db: Db, userId: number, id: number): Promise<void> {
  await db.updateTable('personas').set({ is_default: 0 }).where('user_id', '=', userId).where('is_default', '=', 1).where('id', '!=', id).execute();
  await db.updateTable('personas').set({ is_default: 1 }).where('user_id', '=', userId).where('id', '=', id).execute();
}

export async function deletePersona(db: Db, userId: number, id: number): Promise<Persona | undefined> {
  const r = await db.deleteFrom('personas').where('id', '=', id).where('user_id', '=', userId).returningAll().executeTakeFirst();
  return r && rowToPersona(r);
}

/** The oldest persona left, which becomes the default when the default one is deleted. */
export async function oldestPersona(db: Db, userId: number): Promise<Persona | undefined> {
  const r = await db.selectFrom('personas').selectAll().where('user_id', '=', userId).orderBy('id', 'asc').limit(1).executeTakeFirst();
  return r && rowToPersona(r);
}
