/**
 * What was really sent: for each stored reply, a compact record of the exact request — the prompt
 * versions active, the assembled messages as content hashes (each distinct part is stored once in
 * `prompt_parts`, so a character's rules and profile cost nothing after the first turn), model,
 * parameters, token counts and latency.
 *
 * Cheap by design: it runs after the reply is stored (never on the token path), hashes a few KB,
 * skips parts this process has already written, and writes in one transaction. Failures are
 * reported and dropped: an inspection record must never fail a turn.
 */
import { createHash } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { Db } from '../../infra/db/index.js';
import type { Database } from '../../infra/db/schema.js';
import type { ChatMessage, LlmUsage } from '../../infra/llm/index.js';

export interface ReplyTrace {
  messageId: number;
  messages: ChatMessage[];
  model?: string;
  temperature?: number;
  maxTokens?: number;
  usage: LlmUsage;
  latencyMs: number;
}

export interface InspectionRecord {
  v: 1;
  model: string;
  params: { temperature: number | null; maxTokens: number | null };
  promptVersions: Record<string, number>;
  parts: { role: ChatMessage['role']; hash: string; chars: number }[];
  usage: LlmUsage;
  latencyMs: number;
}

/** A group turn's moderator call: what it was asked, what it answered, and what the round loop made of it. */
export interface DecisionTrace {
  /** The reply it chose, or the turn's user message when it chose to wait. */
  messageId: number;
  prompt: string;
  model?: string;
  /** The answer as the model gave it (after JSON repair); null when the call failed. */
  answer: unknown;
  /** The failure's code when the call failed and the round fell back to round-robin. */
  error?: string;
  /** How the loop decided (moderator, moderator_draw, moderator_failed, or the wait reason). */
  outcome: string;
  candidates: string[];
  latencyMs: number;
}

export interface DecisionRecord {
  v: 1;
  model: string;
  promptHash: string;
  answer: unknown;
  error?: string;
  outcome: string;
  candidates: string[];
  latencyMs: number;
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 32);

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

  async function write(trace: ReplyTrace): Promise<void> {
    const parts = trace.messages.map((m) => ({ role: m.role, hash: hashOf(m.content), chars: m.content.length, content: m.content }));
    const record: InspectionRecord = {
      v: 1,
      model: trace.model ?? deps.defaultModel,
      params: { temperature: trace.temperature ?? null, maxTokens: trace.maxTokens ?? null },
      promptVersions: await deps.activeVersions(),
      parts: parts.map(({ role, hash, chars }) => ({ role, hash, chars })),
      usage: trace.usage,
      latencyMs: Math.round(trace.latencyMs),
    };
    await writeWithParts(parts, (trx, t) =>
      trx.insertInto('message_inspections').values({ message_id: trace.messageId, record_json: JSON.stringify(record), created_at: t }).onConflict((oc) => oc.column('message_id').doNothing()).execute(),
    );
  }

  /** Stores the parts this process has not written yet and the record, in one transaction. */
  async function writeWithParts(parts: { hash: string; content: string }[], insertRecord: (trx: Transaction<Database>, t: number) => Promise<unknown>): Promise<void> {
    const fresh = [...new Map(parts.filter((p) => !written.has(p.hash)).map((p) => [p.hash, p])).values()];
    const t = now();
    await deps.db.transaction().execute(async (trx) => {
      if (fresh.length) await trx.insertInto('prompt_parts').values(fresh.map((p) => ({ hash: p.hash, content: p.content, created_at: t }))).onConflict((oc) => oc.column('hash').doNothing()).execute();
      await insertRecord(trx, t);
    });
    if (written.size > 50_000) written = new Set();
    for (const p of fresh) written.add(p.hash);
  }

  async function writeDecision(trace: DecisionTrace): Promise<void> {
    const promptHash = hashOf(trace.prompt);
    const record: DecisionRecord = {
      v: 1,
      model: trace.model ?? deps.defaultModel,
      promptHash,
      answer: trace.answer,
      ...(trace.error ? { error: trace.error } : {}),
      outcome: trace.outcome,
      candidates: trace.candidates,
      latencyMs: Math.round(trace.latencyMs),
    };
    await writeWithParts([{ hash: promptHash, content: trace.prompt }], (trx, t) =>
      trx.insertInto('moderator_decisions').values({ message_id: trace.messageId, record_json: JSON.stringify(record), created_at: t }).onConflict((oc) => oc.column('message_id').doNothing()).execute(),
    );
  }

  let pending = Promise.resolve();
  return {
    /** Fire and forget; records are written one after another so a turn never waits on them. */
    record(trace: ReplyTrace): void {
      pending = pending.then(() => write(trace)).catch((err) => deps.onError?.(err));
    },
    /** A group moderator's decision, beside the message it led to; fire and forget like `record`. */
    recordDecision(trace: DecisionTrace): void {
      pending = pending.then(() => writeDecision(trace)).catch((err) => deps.onError?.(err));
    },
    /** Resolves when every record so far is written (tests, shutdown). */
    flush: () => pending,
  };
}

export type InspectionRecorder = ReturnType<typeof createInspectionRecorder>;
