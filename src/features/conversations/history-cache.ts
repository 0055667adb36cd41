/**
 * A conversation's recent messages, kept in the process between turns: the prompt of every turn
 * reads the uncompressed tail, and reading it from SQLite (rows of CJK text decoded into strings)
 * was the largest statement of a turn (bench/RESULTS.md). A turn then reads no rows at all: its
 * own messages are appended as they are stored.
 *
 * Only where this process is the database's only writer (embedded mode: SQLite, no Redis), turned
 * on per database by `enableHistoryCache`. Every message write goes through ./store.ts, which tells
 * this module: an insert appends, any other change (edit, delete, swipe, compression, import,
 * clear) drops the conversation's entry. Entries remember the database they were read from, so a
 * write through a transaction (another Kysely instance) drops rather than appends, and tests that
 * open several databases in one process never see each other's rows. Ids are never reused
 * (AUTOINCREMENT), so a deleted conversation's entry can never be served to a new one.
 */
import { LRUCache } from 'lru-cache';

/** One message as a prompt reads it. */
export interface HistoryRow {
  id: number;
  role: 'user' | 'assistant';
  content: string;
  characterId: number | null;
  /** `estimateTokens(content)`, counted once when the row is read or stored, not on every turn that reads it. */
  tokens: number;
}

interface Entry {
  db: object;
  /** Oldest first; at most `readLimit` of the newest uncompressed messages. */
  rows: HistoryRow[];
  /** The read that filled it asked for this many; fewer came back = every uncompressed message is here. */
  readLimit: number;
  complete: boolean;
}

const enabled = new WeakSet<object>();
// Bounded by text held: ~32 M UTF-16 code units at most (the tails themselves are kept short by compression).
const entries = new LRUCache<number, Entry>({
  maxSize: 32 * 1024 * 1024,
  sizeCalculation: (e) => e.rows.reduce((n, r) => n + r.content.length + 64, 64),
});
/** Reads in flight per conversation, and its writes since: a read that saw a write start is not kept. */
const loading = new Map<number, { readers: number; writes: number }>();

/** Keeps recent history in this process for `db` (call only when no other process writes to it). */
export function enableHistoryCache(db: object): void {
  enabled.add(db);
}

/** The newest `limit` rows if the cache holds them for this database. */
export function cachedHistory(db: object, conversationId: number, limit: number): HistoryRow[] | undefined {
  if (!enabled.has(db)) return undefined;
  const e = entries.get(conversationId);
  if (!e || e.db !== db || (limit > e.rows.length && !e.complete)) return undefined;
  return e.rows.length > limit ? e.rows.slice(e.rows.length - limit) : e.rows.slice();
}

/**
 * Reads through the cache: `read` runs on a miss, and its rows are kept unless a write to the
 * conversation happened while it ran.
 */
export async function readHistory(db: object, conversationId: number, limit: number, read: () => Promise<HistoryRow[]>): Promise<HistoryRow[]> {
  const hit = cachedHistory(db, conversationId, limit);
  if (hit) return hit;
  if (!enabled.has(db)) return read();
  let flight = loading.get(conversationId);
  if (!flight) loading.set(conversationId, (flight = { readers: 0, writes: 0 }));
  flight.readers++;
  const writesBefore = flight.writes;
  try {
    const rows = await read();
    if (flight.writes === writesBefore) entries.set(conversationId, { db, rows: rows.slice(), readLimit: limit, complete: rows.length < limit });
    return rows;
  } finally {
    if (--flight.readers === 0) loading.delete(conversationId);
  }
}

/** A message was stored (uncompressed) in the conversation. */
export function historyAppended(db: object, conversationId: number, row: HistoryRow): void {
  const flight = loading.get(conversationId);
  if (flight) flight.writes++;
  const e = entries.get(conversationId);
  if (!e) return;
  if (e.db !== db) {
    entries.delete(conversationId);
    return;
  }
  // A read that ran after this insert may have been kept first: the row is already there.
  const last = e.rows[e.rows.length - 1];
  if (last && last.id >= row.id) return;
  e.rows.push(row);
  if (e.rows.length > e.readLimit) {
    e.rows.shift();
    e.complete = false;
  }
  // Re-set so the LRU's size accounting sees the new row.
  entries.set(conversationId, e);
}

/** The conversation's messages changed some other way (edited, deleted, compressed, imported, cleared). */
export function historyChanged(conversationId: number): void {
  const flight = loading.get(conversationId);
  if (flight) flight.writes++;
  entries.delete(conversationId);
}
