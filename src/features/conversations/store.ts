/**
 * Conversations and their messages, shared by one-to-one and group chat. A conversation belongs
 * to a user and to either one character (direct) or one group. Ownership is checked by the
 * caller's feature when it resolves the character or group; message queries are by conversation.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { ConversationRow, Database, MessageRow } from '../../infra/db/schema.js';
import { isUniqueViolation } from '../../infra/db/index.js';
import { dialectFlags } from '../../infra/db/dialect.js';
import { prepared } from '../../infra/db/prepared.js';
import { directSqliteOf } from '../../infra/db/direct-sqlite.js';
import { estimateTokens } from '../../infra/llm/index.js';
import { historyAppended, historyChanged, readHistory, type HistoryRow } from './history-cache.js';

export type { HistoryRow } from './history-cache.js';
export { enableHistoryCache } from './history-cache.js';

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
  historyChanged(conversationId);
  return r && rowToMessage(r);
}

export type ConversationOwner = { kind: 'direct'; characterId: number } | { kind: 'group'; groupId: number };

/** A chat's opening message: a card's greeting, its alternate greetings as swipes. */
export interface Opening {
  content: string;
  characterId: number;
  alternatives?: string[];
}

/**
 * The conversation of a group, or a character's most recently used chat (a character has many:
 * see `createChat`), if one exists.
 */
export async function findConversation(db: Db, owner: ConversationOwner): Promise<number | undefined> {
  const r = await (owner.kind === 'direct'
    ? db.selectFrom('conversations').select('id').where('character_id', '=', owner.characterId).orderBy('updated_at', 'desc').orderBy('id', 'desc').limit(1)
    : db.selectFrom('conversations').select('id').where('group_id', '=', owner.groupId)
  ).executeTakeFirst();
  return r?.id;
}

/** Inserts a conversation and its opening message in one transaction, so the greeting always comes first. */
async function insertConversation(db: Db, userId: number, owner: ConversationOwner, now: number, opening?: Opening, title: string | null = null): Promise<number> {
  const create = async (tx: Db) => {
    const r = await tx
      .insertInto('conversations')
      .values({
        user_id: userId,
        kind: owner.kind,
        character_id: owner.kind === 'direct' ? owner.characterId : null,
        group_id: owner.kind === 'group' ? owner.groupId : null,
        title,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    if (opening) await insertOpening(tx, r.id, opening, now);
    return r.id;
  };
  return opening && !db.isTransaction ? (db as Kysely<Database>).transaction().execute(create) : create(db);
}

/** Stores a greeting (with its alternates as swipes) as a chat's first message; nothing for an empty one. */
export async function insertOpening(db: Db, conversationId: number, opening: Opening, now: number): Promise<void> {
  if (!opening.content.trim()) return;
  const m = await insertMessage(db, { conversationId, role: 'assistant', content: opening.content, characterId: opening.characterId, now });
  const versions = [opening.content, ...(opening.alternatives ?? [])];
  if (versions.length > 1) await setAlternatives(db, conversationId, m.id, versions, 0);
}

/**
 * The conversation of a group, or the current chat of a character, created on first use. For a
 * group the unique index makes this race-safe; two first looks at a character at once may each
 * create a chat, which costs an empty extra chat, not lost messages.
 */
export async function getOrCreateConversation(db: Db, userId: number, owner: ConversationOwner, now: number, opening?: Opening): Promise<number> {
  const existing = await findConversation(db, owner);
  if (existing !== undefined) return existing;
  try {
    return await insertConversation(db, userId, owner, now, opening);
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    return (await findConversation(db, owner))!;
  }
}

// Chats: a character's one-to-one conversations ------------------------------------------------

export interface Chat {
  id: number;
  characterId: number;
  /** The user's name for it; null = the client shows its first words or its date. */
  title: string | null;
  /** The persona the user plays here; null = their default. */
  personaId: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface ChatSummary extends Chat {
  messageCount: number;
  lastMessageAt: number | null;
  /** The start of the first user message (a default title). */
  firstWords: string | null;
}

const FIRST_WORDS = 40;

function rowToChat(r: Pick<ConversationRow, 'id' | 'character_id' | 'title' | 'persona_id' | 'created_at' | 'updated_at'>): Chat {
  return { id: r.id, characterId: r.character_id!, title: r.title, personaId: r.persona_id, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** The user's chat `chatId` (one-to-one), or undefined: another user's chat is not found. */
export async function findChat(db: Db, userId: number, chatId: number): Promise<Chat | undefined> {
  const r = await db.selectFrom('conversations').selectAll().where('id', '=', chatId).where('user_id', '=', userId).where('kind', '=', 'direct').executeTakeFirst();
  return r && rowToChat(r);
}

/** A character's chats, most recently used first. */
export async function listChats(db: Db, userId: number, characterId: number): Promise<ChatSummary[]> {
  const rows = await db
    .selectFrom('conversations as c')
    .select(['c.id', 'c.character_id', 'c.title', 'c.persona_id', 'c.created_at', 'c.updated_at'])
    .select((eb) => [
      eb.selectFrom('messages').select((m) => m.fn.countAll<number>().as('n')).whereRef('messages.conversation_id', '=', 'c.id').as('message_count'),
      eb.selectFrom('messages').select((m) => m.fn.max('created_at').as('t')).whereRef('messages.conversation_id', '=', 'c.id').as('last_message_at'),
      eb.selectFrom('messages').select('content').whereRef('messages.conversation_id', '=', 'c.id').where('role', '=', 'user').orderBy('id', 'asc').limit(1).as('first_user'),
    ])
    .where('c.user_id', '=', userId)
    .where('c.character_id', '=', characterId)
    .orderBy('c.updated_at', 'desc')
    .orderBy('c.id', 'desc')
    .limit(500)
    .execute();
  return rows.map((r) => ({
    ...rowToChat(r),
    messageCount: Number(r.message_count ?? 0),
    lastMessageAt: r.last_message_at === null || r.last_message_at === undefined ? null : Number(r.last_message_at),
    firstWords: r.first_user ? firstWords(r.first_user) : null,
  }));
}

/** About the first FIRST_WORDS characters of a message on one line, cut at a word where there is one. */
export function firstWords(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const chars = [...flat];
  if (chars.length <= FIRST_WORDS) return flat;
  const cut = chars.slice(0, FIRST_WORDS).join('');
  const space = cut.lastIndexOf(' ');
  return `${space > FIRST_WORDS / 2 ? cut.slice(0, space) : cut}…`;
}

/** A new chat with a character, opening with its greeting; it becomes the character's current chat. */
export async function createChat(db: Db, c: { userId: number; characterId: number; title?: string | null; personaId?: number | null; opening?: Opening; now: number }): Promise<Chat> {
  const id = await insertConversation(db, c.userId, { kind: 'direct', characterId: c.characterId }, c.now, c.opening, c.title ?? null);
  if (c.personaId) await db.updateTable('conversations').set({ persona_id: c.personaId }).where('id', '=', id).execute();
  return (await findChat(db, c.userId, id))!;
}

export async function updateChat(db: Db, userId: number, chatId: number, patch: { title?: string | null; personaId?: number | null }): Promise<Chat | undefined> {
  const set = { ...(patch.title !== undefined ? { title: patch.title } : {}), ...(patch.personaId !== undefined ? { persona_id: patch.personaId } : {}) };
  if (!Object.keys(set).length) return findChat(db, userId, chatId);
  const r = await db.updateTable('conversations').set(set).where('id', '=', chatId).where('user_id', '=', userId).where('kind', '=', 'direct').returningAll().executeTakeFirst();
  return r && rowToChat(r);
}

/** Marks a chat as its character's most recently used one (the chat list's order, the current chat). */
export async function touchChat(db: Db, chatId: number, now: number): Promise<void> {
  await db.updateTable('conversations').set({ updated_at: now }).where('id', '=', chatId).execute();
}

/** Deletes a chat; its messages and short-term memory cascade. */
export async function deleteChat(db: Db, userId: number, chatId: number): Promise<Chat | undefined> {
  const r = await db.deleteFrom('conversations').where('id', '=', chatId).where('user_id', '=', userId).where('kind', '=', 'direct').returningAll().executeTakeFirst();
  historyChanged(chatId);
  return r && rowToChat(r);
}

/** Stores imported messages (oldest first) in one transaction; each keeps its swipes and time. */
export async function insertImportedMessages(
  db: Kysely<Database>,
  conversationId: number,
  messages: { role: 'user' | 'assistant'; content: string; characterId: number | null; createdAt: number; alternatives?: string[]; alternativeIndex?: number }[],
): Promise<void> {
  if (!messages.length) return;
  const rows = messages.map((m) => {
    const multi = !!m.alternatives && m.alternatives.length > 1;
    return {
      conversation_id: conversationId,
      role: m.role,
      character_id: m.characterId,
      content: m.content,
      status: 'complete',
      compressed: 0,
      created_at: m.createdAt,
      edited_at: null,
      alternatives: multi ? JSON.stringify(m.alternatives) : null,
      alternative_index: multi ? (m.alternativeIndex ?? 0) : null,
    };
  });
  // Batches keep each statement's parameters well under SQLite's limit.
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < rows.length; i += 200) await trx.insertInto('messages').values(rows.slice(i, i + 200)).execute();
  });
  historyChanged(conversationId);
}

type NewMessage = { conversationId: number; role: 'user' | 'assistant'; content: string; characterId?: number | null; status?: Message['status']; tokensIn?: number; tokensOut?: number; speakerReason?: string | null; now: number };

// Every turn runs these: compiled once (src/infra/db/prepared.ts).
type NewMessageRow = Pick<MessageRow, 'conversation_id' | 'role' | 'character_id' | 'content' | 'status' | 'tokens_in' | 'tokens_out' | 'speaker_reason' | 'created_at'>;
const newMessageValues = (p: <K extends keyof NewMessageRow & string>(name: K) => NewMessageRow[K]) => ({
  conversation_id: p('conversation_id'),
  role: p('role'),
  character_id: p('character_id'),
  content: p('content'),
  status: p('status'),
  compressed: 0,
  tokens_in: p('tokens_in'),
  tokens_out: p('tokens_out'),
  speaker_reason: p('speaker_reason'),
  created_at: p('created_at'),
  edited_at: null,
});
const insertMessageRow = prepared<NewMessageRow, MessageRow>((db, p) => db.insertInto('messages').values(newMessageValues(p)).returningAll());
/** PostgreSQL: the reply and the settling of the user message it answers in one statement (one round trip, one commit). */
const insertReplySettlingRow = prepared<NewMessageRow & { settle_id: number }, MessageRow>((db, p) =>
  db
    .with('settled', (q) => q.updateTable('messages').set({ status: 'complete' }).where('id', '=', p('settle_id')).where('role', '=', 'user'))
    .insertInto('messages')
    .values(newMessageValues(p))
    .returningAll(),
);
const settleUserMessageRow = prepared<{ id: number; status: 'complete' | 'failed' }, never>((db, p) => db.updateTable('messages').set({ status: p('status') }).where('id', '=', p('id')).where('role', '=', 'user'));

const rowValues = (m: NewMessage): NewMessageRow => ({
  conversation_id: m.conversationId,
  role: m.role,
  character_id: m.characterId ?? null,
  content: m.content,
  status: m.status ?? 'complete',
  tokens_in: m.tokensIn ?? null,
  tokens_out: m.tokensOut ?? null,
  speaker_reason: m.speakerReason ?? null,
  created_at: m.now,
});

/** The stored row as a message, appended to the conversation's cached history. */
function stored(db: Db, conversationId: number, rows: MessageRow[]): Message {
  const row = rows[0];
  if (!row) throw new Error('insert into messages returned no row');
  // No conversations.updated_at bump here: it would double the writes of every turn, and the
  // newest message (indexed) already says when a conversation was last active.
  historyAppended(db, conversationId, { id: row.id, role: row.role, content: row.content, characterId: row.character_id, tokens: estimateTokens(row.content) });
  return rowToMessage(row);
}

export async function insertMessage(db: Db, m: NewMessage): Promise<Message> {
  return stored(db, m.conversationId, (await insertMessageRow(db, rowValues(m))).rows);
}

/**
 * A complete reply, and with it the user message it answers marked complete, in one commit:
 * PostgreSQL in one statement (a data-modifying WITH), SQLite in one direct transaction (it cannot
 * write in a WITH; see infra/db/direct-sqlite.ts). `settled` says whether that happened: not when
 * SQLite's connection is held by another transaction; then the caller settles it.
 */
export async function insertReply(db: Db, m: NewMessage, settleUserMessageId: number | undefined): Promise<{ message: Message; settled: boolean }> {
  if (settleUserMessageId !== undefined) {
    const values = rowValues(m);
    if (!dialectFlags(db).singleWriter) {
      const { rows } = await insertReplySettlingRow(db, { ...values, settle_id: settleUserMessageId });
      return { message: stored(db, m.conversationId, rows), settled: true };
    }
    const rows = directSqliteOf(db)?.transaction(() => {
      const { rows } = insertMessageRow.direct(db, values)!;
      settleUserMessageRow.direct(db, { id: settleUserMessageId, status: 'complete' });
      return rows;
    });
    if (rows) return { message: stored(db, m.conversationId, rows), settled: true };
  }
  return { message: await insertMessage(db, m), settled: false };
}

/** Settles a user message once its turn is over. */
export async function settleUserMessage(db: Db, messageId: number, status: 'complete' | 'failed'): Promise<void> {
  await settleUserMessageRow(db, { id: messageId, status });
}

// A literal, not a parameter: only `status = 'pending'` written out lets SQLite and PostgreSQL use
// the partial index (migration 0003); with `status = ?` the sweep walked the whole conversation.
// Prepared: with PostgreSQL every turn sweeps.
const failAbandonedRows = prepared<{ conversationId: number }, never>((db, p) =>
  db.updateTable('messages').set({ status: 'failed' }).where('conversation_id', '=', p('conversationId')).where('status', '=', sql.lit('pending')),
);

/** User messages a dead process left `pending` (its turn can no longer end): they failed. */
export async function failAbandonedMessages(db: Db, conversationId: number): Promise<void> {
  await failAbandonedRows(db, { conversationId });
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

// Prepared: with PostgreSQL (no history cache) every turn reads it.
const recentHistoryRows = prepared<{ conversationId: number; limit: number }, Pick<MessageRow, 'id' | 'role' | 'content' | 'character_id'>>((db, p) =>
  db.selectFrom('messages').select(['id', 'role', 'content', 'character_id']).where('conversation_id', '=', p('conversationId')).where('compressed', '=', 0).orderBy('id', 'desc').limit(p('limit')),
);

/**
 * The newest uncompressed messages as a prompt reads them, oldest first: from the process's
 * history cache when it holds them (embedded mode, ./history-cache.ts), else four columns from the
 * database. Writers above keep the cache right; anything else that changes messages must too.
 */
export async function recentHistory(db: Db, conversationId: number, limit: number): Promise<HistoryRow[]> {
  return readHistory(db, conversationId, limit, async () => {
    const { rows } = await recentHistoryRows(db, { conversationId, limit });
    return rows.reverse().map((r) => ({ id: r.id, role: r.role, content: r.content, characterId: r.character_id, tokens: estimateTokens(r.content) }));
  });
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
  historyChanged(conversationId);
  return r && rowToMessage(r);
}

export async function deleteMessage(db: Db, conversationId: number, id: number): Promise<boolean> {
  const r = await db.deleteFrom('messages').where('conversation_id', '=', conversationId).where('id', '=', id).executeTakeFirst();
  historyChanged(conversationId);
  return Number(r.numDeletedRows) > 0;
}

export async function clearMessages(db: Db, conversationId: number): Promise<void> {
  await db.deleteFrom('messages').where('conversation_id', '=', conversationId).execute();
  historyChanged(conversationId);
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
  historyChanged(conversationId);
  return Number(r.numUpdatedRows);
}
