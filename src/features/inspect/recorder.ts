/**
 * What was really sent: for each stored reply, a compact record of the exact request — the prompt
 * versions active, the assembled messages as content hashes (each distinct part is stored once in
 * `prompt_parts`, so a character's rules and profile cost nothing after the first turn), model,
 * parameters, token counts and latency.
 *
 * Cheap by design: it runs after the reply is stored (never on the token path), hashes a few KB,
 * skips parts this process has already written, and writes batches of records in one transaction. Failures are
 * reported and dropped: an inspection record must never fail a turn.
 */
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Db } from '../../infra/db/index.js';
import type { ChatMessage, LlmUsage } from '../../infra/llm/index.js';
import type { FiredEntry } from '../lorebooks/activate.js';

export interface ReplyTrace {
  messageId: number;
  messages: ChatMessage[];
  model?: string;
  temperature?: number;
  maxTokens?: number;
  usage: LlmUsage;
  latencyMs: number;
  /** Lorebook entries that fired for this prompt. */
  lore?: FiredEntry[];
}

export interface InspectionRecord {
  v: 1;
  model: string;
  params: { temperature: number | null; maxTokens: number | null };
  promptVersions: Record<string, number>;
  parts: { role: ChatMessage['role']; hash: string; chars: number }[];
  usage: LlmUsage;
  latencyMs: number;
  /** Absent when no lorebook entry fired (and in records written before lore was kept). */
  lore?: { key: string; comment: string; position: FiredEntry['position']; tokens: number }[];
}

/** A group turn's moderator call: what it was asked, what it answered, and what the round loop made of it. */
export interface DecisionTrace {
  /** The reply it chose, or the turn's user message when it chose to wait. */
  messageId: number;
  prompt: string;
  model?: string;
  /** The answer as the loop read it (after JSON repair); null when the call failed. */
  answer: unknown;
  /** The model's text as written (two when the first answer was re-asked). */
  raw: string[];
  /** The failure's code when the call failed and the round fell back to round-robin. */
  error?: string;
  /** How the loop decided (moderator, moderator_draw, moderator_failed, or the wait reason). */
  outcome: string;
  candidates: string[];
  latencyMs: number;
}

/** As stored: the prompt as a `prompt_parts` hash (stored once, like a reply's parts), the model resolved. */
export type DecisionRecord = Omit<DecisionTrace, 'messageId' | 'prompt' | 'model'> & { v: 1; model: string; promptHash: string };

// Reads flush the queue first (the inspector, shutdown), so a record is never missing where it is
// looked for; a long batch makes the records' writes a few statements a second at any turn rate.
const BATCH_MS = 1000;
const sha = (text: string) => hash('sha256', text, 'base64url').slice(0, 32);
// The same parts (a character's rules and profile, the history's messages) come back every turn,
// mostly as the same string objects, whose hash V8 keeps: a lookup by the text costs ~0.03 µs,
// hashing it again ~0.7 µs even for a short message (30 history messages: 20 → 1 µs a turn).
const partHashes = new LRUCache<string, string>({ maxSize: 8 * 1024 * 1024, sizeCalculation: (_h, text) => text.length + 64 });
const hashOf = (text: string) => {
  let h = partHashes.get(text);
  if (h === undefined) partHashes.set(text, (h = sha(text)));
  return h;
};

export function createInspectionRecorder(deps: {
  db: Db;
  defaultModel: string;
  activeVersions: () => Promise<Record<string, number>>;
  onError?: (err: unknown) => void;
  now?: () => number;
}) {
  const now = deps.now ?? Date.now;
  // Hashes this process knows are stored; bounded, and a miss only costs an ignored insert.
  let written = new Set<string>();

  function recordOf(trace: ReplyTrace, promptVersions: Record<string, number>) {
    const parts = trace.messages.map((m) => ({ role: m.role, hash: hashOf(m.content), chars: m.content.length, content: m.content }));
    const record: InspectionRecord = {
      v: 1,
      model: trace.model ?? deps.defaultModel,
      params: { temperature: trace.temperature ?? null, maxTokens: trace.maxTokens ?? null },
      promptVersions,
      parts: parts.map(({ role, hash, chars }) => ({ role, hash, chars })),
      usage: trace.usage,
      latencyMs: Math.round(trace.latencyMs),
      ...(trace.lore?.length ? { lore: trace.lore.map((e) => ({ key: e.key, comment: e.comment, position: e.position, tokens: e.tokens })) } : {}),
    };
    return { parts, row: { message_id: trace.messageId, record_json: JSON.stringify(record) } };
  }

  /** A batch of records in one transaction: three statements however many turns it holds. */
  async function write(batch: ReplyTrace[]): Promise<void> {
    const promptVersions = await deps.activeVersions();
    const records = batch.map((trace) => recordOf(trace, promptVersions));
    const fresh = new Map<string, string>();
    for (const { parts } of records) for (const p of parts) if (!written.has(p.hash)) fresh.set(p.hash, p.content);
    const t = now();
    await deps.db.transaction().execute(async (trx) => {
      if (fresh.size) await trx.insertInto('prompt_parts').values([...fresh].map(([hash, content]) => ({ hash, content, created_at: t }))).onConflict((oc) => oc.column('hash').doNothing()).execute();
      // A reply deleted while its record waited (regenerated, cleared) must not sink the batch on
      // the foreign key: only records of messages that still exist are written.
      const ids = [...new Set(records.map((r) => r.row.message_id))];
      const alive = new Set((await trx.selectFrom('messages').select('id').where('id', 'in', ids).execute()).map((m) => m.id));
      const rows = records.filter((r) => alive.has(r.row.message_id)).map((r) => ({ ...r.row, created_at: t }));
      if (rows.length) await trx.insertInto('message_inspections').values(rows).onConflict((oc) => oc.column('message_id').doNothing()).execute();
    });
    if (written.size > 50_000) written = new Set();
    for (const hash of fresh.keys()) written.add(hash);
  }

  /** One moderator decision (a few per group turn at most, so not batched). */
  async function writeDecision(trace: DecisionTrace): Promise<void> {
    const promptHash = hashOf(trace.prompt);
    const record: DecisionRecord = {
      v: 1,
      model: trace.model ?? deps.defaultModel,
      promptHash,
      answer: trace.answer,
      raw: trace.raw,
      ...(trace.error ? { error: trace.error } : {}),
      outcome: trace.outcome,
      candidates: trace.candidates,
      latencyMs: Math.round(trace.latencyMs),
    };
    const fresh = !written.has(promptHash);
    const t = now();
    await deps.db.transaction().execute(async (trx) => {
      if (fresh) await trx.insertInto('prompt_parts').values({ hash: promptHash, content: trace.prompt, created_at: t }).onConflict((oc) => oc.column('hash').doNothing()).execute();
      await trx.insertInto('moderator_decisions').values({ message_id: trace.messageId, record_json: JSON.stringify(record), created_at: t }).onConflict((oc) => oc.column('message_id').doNothing()).execute();
    });
    if (fresh) written.add(promptHash);
  }

  // Records wait up to BATCH_MS and are written together: at a hundred turns a second that is
  // one transaction per ~100 turns instead of four statements per turn.
  let queued: ReplyTrace[] = [];
  let timer: NodeJS.Timeout | undefined;
  let pending = Promise.resolve();
  function drain(): Promise<void> {
    clearTimeout(timer);
    timer = undefined;
    const batch = queued;
    queued = [];
    if (batch.length) pending = pending.then(() => write(batch)).catch((err) => deps.onError?.(err));
    return pending;
  }
  return {
    /** Fire and forget: a turn never waits on its record. */
    record(trace: ReplyTrace): void {
      queued.push(trace);
      if (!timer) {
        timer = setTimeout(drain, BATCH_MS);
        timer.unref();
      }
    },
    /** A group moderator's decision, beside the message it led to; fire and forget like `record`. */
    recordDecision(trace: DecisionTrace): void {
      pending = pending.then(() => writeDecision(trace)).catch((err) => deps.onError?.(err));
    },
    /** Writes what is queued; resolves when every record so far is written (reads, tests, shutdown). */
    flush: drain,
  };
}

export type InspectionRecorder = ReturnType<typeof createInspectionRecorder>;
