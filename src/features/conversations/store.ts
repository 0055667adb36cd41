/**
 * Conversations and their messages, shared by one-to-one and group chat. A conversation belongs
 * to a user and to either one character (direct) or one group. Ownership is checked by the
 * caller's feature when it resolves the character or group; message queries are by conversation.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, MessageRow } from '../../infra/db/schema.js';
import { isUniqueViolation } from '../../infra/db/index.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Message {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  /** `pending`/`failed` only on user messages: the turn runs, or ended with no reply. */
  status: 'complete' | 'interrupted' | 'pending' | 'failed';
  characterId: number | null;
  compressed: boolean;
  createdAt: number;
  editedAt: number | null;
  /** Swipes: which version is shown and how many there are; null for a message with one version. */
  alternatives: { index: number; count: number } | null;
}

export function rowToMessage(r: MessageRow): Message {
  return {
    id: r.id,
    role: r.role,
    content: r.content,
    status: r.status as Message['status'],
    characterId: r.character_id,
    compressed: r.compressed === 1,
    createdAt: r.created_at,
    editedAt: r.edited_at,
    alternatives: r.alternatives ? { index: r.alternative_index ?? 0, count: alternativesOf(r).length } : null,
  };
}

/** Every version of a message (just its content when it has no alternatives). */
export function alternativesOf(r: Pick<MessageRow, 'alternatives' | 'content'>): string[] {
  if (!r.alternatives) return [r.content];
  try {
    const list = JSON.parse(r.alternatives) as unknown;
    return Array.isArray(list) && list.length && list.every((x) => typeof x === 'string') ? (list as string[]) : [r.content];
  } catch {
    return [r.content];
  }
}

/** The stored versions of a message, or undefined when it does not exist. */
export async function findAlternatives(db: Db, conversationId: number, id: number): Promise<string[] | undefined> {
  const r = await db.selectFrom('messages').select(['alternatives', 'content']).where('conversation_id', '=', conversationId).where('id', '=', id).executeTakeFirst();
  return r && alternativesOf(r);
}

/** Stores the versions of a message and shows version `index` (the caller checks the range). */
export async function setAlternatives(db: Db, conversationId: number, id: number, versions: string[], index: number): Promise<Message | undefined> {
  const r = await db
    .updateTable('messages')
    .set({ content: versions[index], alternatives: versions.length > 1 ? JSON.stringify(versions) : null, alternative_index: versions.length > 1 ? index : null })
    .where('conversation_id', '=', conversationId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return r && rowToMessage(r);
}

export type ConversationOwner = { kind: 'direct'; characterId: number } | { kind: 'group'; groupId: number };

/** The conversation of a character or group, if it exists. */
export async function findConversation(db: Db, owner: ConversationOwner): Promise<number | undefined> {
  const r = await (owner.kind === 'direct'
    ? db.selectFrom('conversations').select('id').where('character_id', '=', owner.characterId)
    : db.selectFrom('conversations').select('id').where('group_id', '=', owner.groupId)
  ).executeTakeFirst();
  return r?.id;
}

/**
 * The conversation of a character or group, created on first use (race-safe). `opening` (a card's
 * greeting) is stored as the first message in the same transaction, so it always comes first.
 */
export async function getOrCreateConversation(db: Db, userId: number, owner: ConversationOwner, now: number, opening?: { content: string; characterId: number; alternatives?: string[] }): Promise<number> {
  const existing = await findConversation(db, owner);
  if (existing !== undefined) return existing;
  const create = async (tx: Db) => {
    const r = await tx
      .insertInto('conversations')
      .values({
        user_id: userId,
        kind: owner.kind,
        character_id: owner.kind === 'direct' ? owner.characterId : null,
        group_id: owner.kind === 'group' ? owner.groupId : null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (opening?.content.trim()) {
      const m = await insertMessage(tx, { conversationId: r.id, role: 'assistant', content: opening.content, characterId: opening.characterId, now });
      const versions = [opening.content, ...(opening.alternatives ?? [])];
      if (versions.length > 1) await setAlternatives(tx, r.id, m.id, versions, 0);
    }
    return r.id;
  };
  try {
    return opening && !db.isTransaction ? await (db as Kysely<Database>).transaction().execute(create) : await create(db);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return (await findConversation(db, owner))!;
  }
}

export async function insertMessage(
  db: Db,
  m: { conversationId: number; role: 'user' | 'assistant'; content: string; characterId?: number | null; status?: Message['status']; tokensIn?: number; tokensOut?: number; now: number },
): Promise<Message> {
  const row = await db
    .insertInto('messages')
    .values({
      conversation_id: m.conversationId,
      role: m.role,
      character_id: m.characterId ?? null,
      content: m.content,
      status: m.status ?? 'complete',
      compressed: 0,
      tokens_in: m.tokensIn ?? null,
      tokens_out: m.tokensOut ?? null,
      created_at: m.now,
      edited_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  // No conversations.updated_at bump here: it would double the writes of every turn, and the
  // newest message (indexed) already says when a conversation was last active.
  return rowToMessage(row);
}

/** Settles a user message once its turn is over. */
export async function settleUserMessage(db: Db, messageId: number, status: 'complete' | 'failed'): Promise<void> {
  await db.updateTable('messages').set({ status }).where('id', '=', messageId).where('role', '=', 'user').execute();
}

/** User messages a dead process left `pending` (its turn can no longer end): they failed. */
export async function failAbandonedMessages(db: Db, conversationId: number): Promise<void> {
  // A literal, not a parameter: only `status = 'pending'` written out lets SQLite and PostgreSQL use
  // the partial index (migration 0003); with `status = ?` the sweep walked the whole conversation.
  await db.updateTable('messages').set({ status: 'failed' }).where('conversation_id', '=', conversationId).where('status', '=', sql.lit('pending')).execute();
}

/** Newest first; `before` is the id cursor of the previous page's last item. */
export async function listMessages(db: Db, conversationId: number, opts: { before?: number; limit: number }): Promise<{ items: Message[]; nextBefore: number | null }> {
  let q = db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId);
  if (opts.before) q = q.where('id', '<', opts.before);
  const rows = await q.orderBy('id', 'desc').limit(opts.limit + 1).execute();
  const items = rows.slice(0, opts.limit).map(rowToMessage);
  return { items, nextBefore: rows.length > opts.limit ? items[items.length - 1].id : null };
}

/** Every message, oldest first (export). */
export async function allMessages(db: Db, conversationId: number): Promise<Message[]> {
  const rows = await db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).orderBy('id', 'asc').execute();
  return rows.map(rowToMessage);
}

/** The newest uncompressed messages, oldest first (the prompt's recent part, and compression). */
export async function uncompressedMessages(db: Db, conversationId: number, limit = 400): Promise<Message[]> {
  const rows = await db
    .selectFrom('messages')
    .selectAll()
    .where('conversation_id', '=', conversationId)
    .where('compressed', '=', 0)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map(rowToMessage);
}

export async function lastMessage(db: Db, conversationId: number): Promise<Message | undefined> {
  const r = await db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return r && rowToMessage(r);
}

/** The message just before `id`, if any. */
export async function previousMessage(db: Db, conversationId: number, id: number): Promise<Message | undefined> {
  const r = await db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('id', '<', id).orderBy('id', 'desc').limit(1).executeTakeFirst();
  return r && rowToMessage(r);
}

export async function findMessage(db: Db, conversationId: number, id: number): Promise<Message | undefined> {
  const r = await db.selectFrom('messages').selectAll().where('conversation_id', '=', conversationId).where('id', '=', id).executeTakeFirst();
  return r && rowToMessage(r);
}

export async function updateMessageContent(db: Db, conversationId: number, id: number, content: string, now: number): Promise<Message | undefined> {
  const r = await db
    .updateTable('messages')
    .set({ content, edited_at: now })
    .where('conversation_id', '=', conversationId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
  return r && rowToMessage(r);
}

export async function deleteMessage(db: Db, conversationId: number, id: number): Promise<boolean> {
  const r = await db.deleteFrom('messages').where('conversation_id', '=', conversationId).where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function clearMessages(db: Db, conversationId: number): Promise<void> {
  await db.deleteFrom('messages').where('conversation_id', '=', conversationId).execute();
}

/** Marks a range compressed; only messages still uncompressed, so a rerun changes nothing twice. */
export async function markCompressed(db: Db, conversationId: number, fromId: number, toId: number): Promise<number> {
  const r = await db
    .updateTable('messages')
    .set({ compressed: 1 })
    .where('conversation_id', '=', conversationId)
    .where('id', '>=', fromId)
    .where('id', '<=', toId)
    .where('compressed', '=', 0)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
