/**
 * Token usage per user, day, purpose and model, for the admin view. Counted in memory and written
 * in batches every few seconds, so a chat turn never waits for an accounting write.
 */
import { sql } from 'kysely';
import type { Db } from '../../infra/db/index.js';
import type { LlmPurpose, LlmUsage } from '../../infra/llm/index.js';

type UsageRow = { user_id: number; day: string; purpose: string; model: string; requests: number; tokens_in: number; tokens_out: number };

/** Rows per statement: 7 parameters each, well under SQLite's and PostgreSQL's limits. */
const ROWS_PER_STATEMENT = 500;

export function createUsageRecorder(db: Db, options: { flushMs?: number; onError?: (err: unknown) => void } = {}) {
  let pending = new Map<string, UsageRow>();

  /** Adds the rows to their day's counters (each key once per statement, as an upsert requires). */
  const upsert = (rows: UsageRow[]) =>
    db
      .insertInto('llm_usage')
      .values(rows)
      .onConflict((oc) =>
        oc.columns(['user_id', 'day', 'purpose', 'model']).doUpdateSet({
          requests: sql`llm_usage.requests + excluded.requests`,
          tokens_in: sql`llm_usage.tokens_in + excluded.tokens_in`,
          tokens_out: sql`llm_usage.tokens_out + excluded.tokens_out`,
        }),
      )
      .execute();

  /**
   * Writes what was counted: one statement per 500 rows (a statement per row was a commit per
   * user and flush, about one for every two chat turns under load). A batch that fails is written
   * row by row, so one deleted user (a foreign key) costs only their own usage.
   */
  async function flush(): Promise<void> {
    if (!pending.size) return;
    const batch = [...pending.values()];
    pending = new Map();
    for (let i = 0; i < batch.length; i += ROWS_PER_STATEMENT) {
      const rows = batch.slice(i, i + ROWS_PER_STATEMENT);
      try {
        await upsert(rows);
      } catch {
        for (const row of rows) await upsert([row]).catch((err) => options.onError?.(err));
      }
    }
  }

  const timer = setInterval(() => void flush(), options.flushMs ?? 5000);
  timer.unref();

  return {
    record(u: { userId: number; purpose: LlmPurpose; model: string; usage: LlmUsage }) {
      const day = new Date().toISOString().slice(0, 10);
      const key = `${u.userId}|${day}|${u.purpose}|${u.model}`;
      const row: UsageRow = pending.get(key) ?? { user_id: u.userId, day, purpose: u.purpose, model: u.model, requests: 0, tokens_in: 0, tokens_out: 0 };
      row.requests++;
      row.tokens_in += u.usage.promptTokens;
      row.tokens_out += u.usage.completionTokens;
      pending.set(key, row);
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
