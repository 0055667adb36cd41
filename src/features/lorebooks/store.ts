/**
 * SQL for standalone lorebooks and what they are attached to. Reads and writes take the acting
 * user and AND the ownership predicate (on the book, and on the character or group it is attached
 * to), so a user can never read, change or attach another user's books.
 */
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { Database, LorebooksTable } from '../../infra/db/schema.js';
import type { BookFormat } from './book.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Lorebook {
  id: number;
  userId: number;
  name: string;
  format: BookFormat;
  /** As imported, with edits applied: what export returns. */
  bookJson: string;
  entryCount: number;
  createdAt: number;
  updatedAt: number;
}

export type AttachTarget = { kind: 'character'; id: number } | { kind: 'group'; id: number };

export function rowToLorebook(r: Selectable<LorebooksTable>): Lorebook {
  return { id: r.id, userId: r.user_id, name: r.name, format: r.format, bookJson: r.book_json, entryCount: r.entry_count, createdAt: r.created_at, updatedAt: r.updated_at };
}

export async function findLorebook(db: Db, userId: number, id: number): Promise<Lorebook | undefined> {
  const r = await db.selectFrom('lorebooks').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return r && rowToLorebook(r);
}

/** The user's books without their content, newest change first. */
export async function listLorebooks(db: Db, userId: number): Promise<Omit<Lorebook, 'bookJson'>[]> {
  const rows = await db
    .selectFrom('lorebooks')
    .select(['id', 'user_id', 'name', 'format', 'entry_count', 'created_at', 'updated_at'])
    .where('user_id', '=', userId)
    .orderBy('updated_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1000)
    .execute();
  return rows.map((r) => ({ id: r.id, userId: r.user_id, name: r.name, format: r.format, entryCount: r.entry_count, createdAt: r.created_at, updatedAt: r.updated_at }));
}

export async function insertLorebook(db: Db, b: { userId: number; name: string; format: BookFormat; bookJson: string; entryCount: number; now: number }): Promise<number> {
  const r = await db
    .insertInto('lorebooks')
    .values({ user_id: b.userId, name: b.name, format: b.format, book_json: b.bookJson, entry_count: b.entryCount, created_at: b.now, updated_at: b.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}

/** `ifUpdatedAt`: only if the book is still at that version (an entry edit must not lose a concurrent one). */
export async function updateLorebook(db: Db, userId: number, id: number, patch: { name?: string; bookJson?: string; entryCount?: number }, now: number, ifUpdatedAt?: number): Promise<boolean> {
  const r = await db
    .updateTable('lorebooks')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.bookJson !== undefined ? { book_json: patch.bookJson } : {}),
      ...(patch.entryCount !== undefined ? { entry_count: patch.entryCount } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .$if(ifUpdatedAt !== undefined, (q) => q.where('updated_at', '=', ifUpdatedAt!))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteLorebook(db: Db, userId: number, id: number): Promise<boolean> {
  const r = await db.deleteFrom('lorebooks').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Attaches book `lorebookId` to the target; nothing unless both are the user's. Idempotent. */
export async function attach(db: Db, userId: number, lorebookId: number, target: AttachTarget, now: number): Promise<boolean> {
  const book = await db.selectFrom('lorebooks').select('id').where('id', '=', lorebookId).where('user_id', '=', userId).executeTakeFirst();
  if (!book) return false;
  if (target.kind === 'character') {
    const owned = await db.selectFrom('characters').select('id').where('id', '=', target.id).where('user_id', '=', userId).executeTakeFirst();
    if (!owned) return false;
    await db.insertInto('character_lorebooks').values({ character_id: target.id, lorebook_id: lorebookId, created_at: now }).onConflict((oc) => oc.doNothing()).execute();
  } else {
    const owned = await db.selectFrom('groups').select('id').where('id', '=', target.id).where('user_id', '=', userId).executeTakeFirst();
    if (!owned) return false;
    await db.insertInto('group_lorebooks').values({ group_id: target.id, lorebook_id: lorebookId, created_at: now }).onConflict((oc) => oc.doNothing()).execute();
  }
  return true;
}

export async function detach(db: Db, userId: number, lorebookId: number, target: AttachTarget): Promise<boolean> {
  const mine = (eb: any) => eb.selectFrom('lorebooks').select('id').where('id', '=', lorebookId).where('user_id', '=', userId);
  const r =
    target.kind === 'character'
      ? await db.deleteFrom('character_lorebooks').where('character_id', '=', target.id).where('lorebook_id', '=', lorebookId).where('lorebook_id', 'in', mine).executeTakeFirst()
      : await db.deleteFrom('group_lorebooks').where('group_id', '=', target.id).where('lorebook_id', '=', lorebookId).where('lorebook_id', 'in', mine).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The books attached to a target (its owner's only), with what is needed to compile them. */
export async function attachedTo(db: Db, userId: number, target: AttachTarget): Promise<{ id: number; name: string; updatedAt: number; entryCount: number }[]> {
  const rows =
    target.kind === 'character'
      ? await db
          .selectFrom('character_lorebooks as l')
          .innerJoin('lorebooks as b', 'b.id', 'l.lorebook_id')
          .select(['b.id', 'b.name', 'b.updated_at', 'b.entry_count'])
          .where('l.character_id', '=', target.id)
          .where('b.user_id', '=', userId)
          .orderBy('l.created_at', 'asc')
          .orderBy('b.id', 'asc')
          .execute()
      : await db
          .selectFrom('group_lorebooks as l')
          .innerJoin('lorebooks as b', 'b.id', 'l.lorebook_id')
          .select(['b.id', 'b.name', 'b.updated_at', 'b.entry_count'])
          .where('l.group_id', '=', target.id)
          .where('b.user_id', '=', userId)
          .orderBy('l.created_at', 'asc')
          .orderBy('b.id', 'asc')
          .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, updatedAt: r.updated_at, entryCount: r.entry_count }));
}

/** Where a book is attached (to drop those targets' cached lists when it changes). */
export async function targetsOf(db: Db, lorebookId: number): Promise<AttachTarget[]> {
  const [chars, groups] = await Promise.all([
    db.selectFrom('character_lorebooks').select('character_id').where('lorebook_id', '=', lorebookId).execute(),
    db.selectFrom('group_lorebooks').select('group_id').where('lorebook_id', '=', lorebookId).execute(),
  ]);
  return [...chars.map((r) => ({ kind: 'character' as const, id: r.character_id })), ...groups.map((r) => ({ kind: 'group' as const, id: r.group_id }))];
}

/** The stored text of a book, whoever owns it (activation, after the owner's attachment was checked). */
export async function bookJsonOf(db: Db, id: number): Promise<{ format: BookFormat; bookJson: string; updatedAt: number } | undefined> {
  const r = await db.selectFrom('lorebooks').select(['format', 'book_json', 'updated_at']).where('id', '=', id).executeTakeFirst();
  return r && { format: r.format, bookJson: r.book_json, updatedAt: r.updated_at };
}
