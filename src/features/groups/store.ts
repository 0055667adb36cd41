/**
 * SQL for groups and their members. Every read and write takes the acting user and ANDs the
 * ownership predicate — on the group and on every member character — so a user can never see,
 * change or fill a group with another user's data (the original skipped these checks, spec §4.1).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Selectable } from 'kysely';
import type { Database, GroupsTable } from '../../infra/db/schema.js';
import type { GroupMode } from './speaker.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface GroupMember {
  characterId: number;
  name: string;
  avatarFile: string | null;
  /** The character's updated_at, for its avatar URL. */
  updatedAt: number;
  position: number;
  /** Not chosen to speak before this time (epoch ms); null = not muted. */
  mutedUntil: number | null;
}

export interface Group {
  id: number;
  userId: number;
  name: string;
  mode: GroupMode;
  /** null: the owner's `groupRounds` setting. */
  maxRounds: number | null;
  /** The persona the user plays here; null = their default. */
  personaId: number | null;
  /** In speaking order. */
  members: GroupMember[];
  createdAt: number;
  updatedAt: number;
}

type GroupRow = Selectable<GroupsTable>;

export function rowToGroup(r: GroupRow, members: GroupMember[]): Group {
  return { id: r.id, userId: r.user_id, name: r.name, mode: r.mode as GroupMode, maxRounds: r.max_rounds, personaId: r.persona_id, members, createdAt: r.created_at, updatedAt: r.updated_at };
}

async function membersOf(db: Db, userId: number, groupIds: number[]): Promise<Map<number, GroupMember[]>> {
  const out = new Map<number, GroupMember[]>(groupIds.map((id) => [id, []]));
  if (!groupIds.length) return out;
  const rows = await db
    .selectFrom('group_members as gm')
    .innerJoin('characters as c', 'c.id', 'gm.character_id')
    .select(['gm.group_id', 'gm.character_id', 'gm.position', 'gm.muted_until', 'c.name', 'c.avatar_file', 'c.updated_at'])
    .where('gm.group_id', 'in', groupIds)
    .where('c.user_id', '=', userId)
    .orderBy('gm.position', 'asc')
    .orderBy('gm.character_id', 'asc')
    .execute();
  for (const r of rows) out.get(r.group_id)?.push({ characterId: r.character_id, name: r.name, avatarFile: r.avatar_file, updatedAt: r.updated_at, position: r.position, mutedUntil: r.muted_until });
  return out;
}

export async function findGroup(db: Db, userId: number, id: number): Promise<Group | undefined> {
  const row = await db.selectFrom('groups').selectAll().where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  if (!row) return undefined;
  return rowToGroup(row, (await membersOf(db, userId, [row.id])).get(row.id)!);
}

/** The user's groups, most recently active first. */
export async function listGroups(db: Db, userId: number): Promise<Group[]> {
  const rows = await db.selectFrom('groups').selectAll().where('user_id', '=', userId).orderBy('updated_at', 'desc').orderBy('id', 'desc').execute();
  const members = await membersOf(db, userId, rows.map((r) => r.id));
  return rows.map((r) => rowToGroup(r, members.get(r.id)!));
}

/** Which of `ids` are characters of `userId`. */
export async function ownedCharacterIds(db: Db, userId: number, ids: number[]): Promise<Set<number>> {
  if (!ids.length) return new Set();
  const rows = await db.selectFrom('characters').select('id').where('user_id', '=', userId).where('id', 'in', ids).execute();
  return new Set(rows.map((r) => r.id));
}

/** Inserts the group and its members; the caller has checked that every member is the user's. */
export async function insertGroup(db: Db, g: { userId: number; name: string; mode: GroupMode; maxRounds: number | null; memberIds: number[]; now: number }): Promise<number> {
  const row = await db
    .insertInto('groups')
    .values({ user_id: g.userId, name: g.name, mode: g.mode, max_rounds: g.maxRounds, created_at: g.now, updated_at: g.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('group_members')
    .values(g.memberIds.map((characterId, position) => ({ group_id: row.id, character_id: characterId, position, joined_at: g.now })))
    .execute();
  return row.id;
}

export async function updateGroup(db: Db, userId: number, id: number, patch: { name?: string; mode?: GroupMode; maxRounds?: number | null; personaId?: number | null }, now: number): Promise<boolean> {
  const r = await db
    .updateTable('groups')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.mode !== undefined ? { mode: patch.mode } : {}),
      ...(patch.maxRounds !== undefined ? { max_rounds: patch.maxRounds } : {}),
      ...(patch.personaId !== undefined ? { persona_id: patch.personaId } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Marks the group active (a new message), for the most-recent-first list. */
export async function touchGroup(db: Db, userId: number, id: number, now: number): Promise<void> {
  await db.updateTable('groups').set({ updated_at: now }).where('id', '=', id).where('user_id', '=', userId).execute();
}

/** Deletes the group; its members, conversation, messages and short-term memories cascade. */
export async function deleteGroup(db: Db, userId: number, id: number): Promise<boolean> {
  const r = await db.deleteFrom('groups').where('id', '=', id).where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/**
 * Adds a member at the end of the speaking order. Inserts nothing unless both the group and the
 * character belong to `userId` (one INSERT … SELECT, so the check and the write cannot drift apart).
 */
export async function addMember(db: Db, userId: number, groupId: number, characterId: number, now: number): Promise<boolean> {
  const r = await db
    .insertInto('group_members')
    .columns(['group_id', 'character_id', 'position', 'joined_at'])
    .expression((eb) =>
      eb
        .selectFrom('groups as g')
        .innerJoin('characters as c', (join) => join.on('c.id', '=', characterId).on('c.user_id', '=', userId))
        .where('g.id', '=', groupId)
        .where('g.user_id', '=', userId)
        .select([
          'g.id as group_id',
          'c.id as character_id',
          sql<number>`coalesce((select max(position) from group_members where group_id = ${groupId}), -1) + 1`.as('position'),
          sql<number>`cast(${now} as bigint)`.as('joined_at'),
        ]),
    )
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function removeMember(db: Db, userId: number, groupId: number, characterId: number): Promise<boolean> {
  const r = await db
    .deleteFrom('group_members')
    .where('group_id', '=', groupId)
    .where('character_id', '=', characterId)
    .where('group_id', 'in', (eb) => eb.selectFrom('groups').select('id').where('id', '=', groupId).where('user_id', '=', userId))
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Names of every character that ever spoke in a conversation of `userId` (memory transcripts keep former members' names). */
export async function speakerNames(db: Db, userId: number, conversationId: number): Promise<Map<number, string>> {
  const rows = await db
    .selectFrom('characters as c')
    .select(['c.id', 'c.name'])
    .where('c.user_id', '=', userId)
    .where('c.id', 'in', (eb) => eb.selectFrom('messages').select('character_id').where('conversation_id', '=', conversationId).where('character_id', 'is not', null))
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Mutes a member until `until` (null unmutes); false when the group is not the user's or the character not a member. */
export async function setMutedUntil(db: Db, userId: number, groupId: number, characterId: number, until: number | null): Promise<boolean> {
  const r = await db
    .updateTable('group_members')
    .set({ muted_until: until })
    .where('group_id', '=', groupId)
    .where('character_id', '=', characterId)
    .where('group_id', 'in', (eb) => eb.selectFrom('groups').select('id').where('id', '=', groupId).where('user_id', '=', userId))
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Why the round loop chose a reply's speaker (see SpeakerReason in service.ts). */
export interface StoredReason {
  by: string;
  /** The moderator's confidence, when it chose. */
  score?: number;
  /** The moderator's words, when it chose. */
  reason?: string;
}

/** The stored reasons of `ids` in a conversation (messages without one are absent). */
export async function speakerReasons(db: Db, conversationId: number, ids: number[]): Promise<Map<number, StoredReason>> {
  const out = new Map<number, StoredReason>();
  if (!ids.length) return out;
  const rows = await db.selectFrom('messages').select(['id', 'speaker_reason']).where('conversation_id', '=', conversationId).where('id', 'in', ids).where('speaker_reason', 'is not', null).execute();
  for (const r of rows) {
    try {
      out.set(r.id, JSON.parse(r.speaker_reason!) as StoredReason);
    } catch {
      // A malformed reason is no reason: the message shows without one.
    }
  }
  return out;
}
