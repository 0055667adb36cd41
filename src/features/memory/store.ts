/**
 * Memory items: short-term summaries belong to the conversation they summarise; long-term facts
 * belong to a character, shared by its one-to-one chat and its groups (see README, "Memory").
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database, MemoryItemRow } from '../../infra/db/schema.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface MemoryItem {
  id: number;
  kind: 'short_term' | 'long_term';
  content: string;
  importance: number;
  pinned: boolean;
  rangeStart: number | null;
  rangeEnd: number | null;
  createdAt: number;
  updatedAt: number;
}

export function rowToMemory(r: MemoryItemRow): MemoryItem {
  return {
    id: r.id,
    kind: r.kind,
    content: r.content,
    importance: r.importance,
    pinned: r.pinned === 1,
    rangeStart: r.range_start,
    rangeEnd: r.range_end,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function shortTermOf(db: Db, conversationId: number): Promise<MemoryItem[]> {
  const rows = await db.selectFrom('memory_items').selectAll().where('conversation_id', '=', conversationId).where('kind', '=', 'short_term').orderBy('id', 'asc').execute();
  return rows.map(rowToMemory);
}

export async function longTermOf(db: Db, characterId: number): Promise<MemoryItem[]> {
  const rows = await db.selectFrom('memory_items').selectAll().where('character_id', '=', characterId).where('kind', '=', 'long_term').orderBy('id', 'asc').execute();
  return rows.map(rowToMemory);
}

export async function insertShortTerm(db: Db, m: { conversationId: number; content: string; rangeStart: number; rangeEnd: number; now: number }): Promise<void> {
  await db
    .insertInto('memory_items')
    .values({ conversation_id: m.conversationId, character_id: null, kind: 'short_term', content: m.content, importance: 0.5, pinned: 0, range_start: m.rangeStart, range_end: m.rangeEnd, created_at: m.now, updated_at: m.now })
    .execute();
}

export async function insertLongTerm(db: Db, m: { characterId: number; content: string; importance: number; now: number }): Promise<void> {
  await db
    .insertInto('memory_items')
    .values({ character_id: m.characterId, conversation_id: null, kind: 'long_term', content: m.content, importance: m.importance, pinned: 0, range_start: null, range_end: null, created_at: m.now, updated_at: m.now })
    .execute();
}

export async function deleteItems(db: Db, ids: number[]): Promise<void> {
  if (ids.length) await db.deleteFrom('memory_items').where('id', 'in', ids).execute();
}

/** Scope: the item must belong to this character (long-term) or this conversation (short-term). */
export interface MemoryScope {
  characterIds: number[];
  conversationId: number;
}

function scoped(db: Db, scope: MemoryScope) {
  return (eb: any) =>
    eb.or([
      eb.and([eb('kind', '=', 'long_term'), eb('character_id', 'in', scope.characterIds.length ? scope.characterIds : [-1])]),
      eb.and([eb('kind', '=', 'short_term'), eb('conversation_id', '=', scope.conversationId)]),
    ]);
}

export async function updateItem(db: Db, scope: MemoryScope, id: number, patch: { content?: string; pinned?: boolean; importance?: number }, now: number): Promise<MemoryItem | undefined> {
  const r = await db
    .updateTable('memory_items')
    .set({
      ...(patch.content !== undefined ? { content: patch.content } : {}),
      ...(patch.pinned !== undefined ? { pinned: patch.pinned ? 1 : 0 } : {}),
      ...(patch.importance !== undefined ? { importance: patch.importance } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .where(scoped(db, scope))
    .returningAll()
    .executeTakeFirst();
  return r && rowToMemory(r);
}

export async function deleteItem(db: Db, scope: MemoryScope, id: number): Promise<MemoryItem | undefined> {
  const r = await db.deleteFrom('memory_items').where('id', '=', id).where(scoped(db, scope)).returningAll().executeTakeFirst();
  return r && rowToMemory(r);
}

export async function clearShortTerm(db: Db, conversationId: number): Promise<void> {
  await db.deleteFrom('memory_items').where('conversation_id', '=', conversationId).execute();
}

export async function clearLongTerm(db: Db, characterId: number): Promise<void> {
  await db.deleteFrom('memory_items').where('character_id', '=', characterId).where('kind', '=', 'long_term').execute();
}
