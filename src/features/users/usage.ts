/**
 * Token usage per user, day, purpose and model, for the admin view. Counted in memory and written
 * in batches every few seconds, so a chat turn never waits for an accounting write.
 */
import { sql } from 'kysely';
import type { Db } from '../../infra/db/index.js';
import type { LlmPurpose, LlmUsage } from '../../infra/llm/index.js';

export function createUsageRecorder(db: Db, options: { flushMs?: number; onError?: (err: unknown) => void } = {}) {
  let pending = new Map<string, { user_id: number; day: string; purpose: string; model: string; requests: number; tokens_in: number; tokens_out: number }>();

  async function flush(): Promise<void> {
    if (!pending.size) return;
    const batch = [...pending.values()];
    pending = new Map();
    for (const row of batch) {
      await db
        .insertInto('llm_usage')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['user_id', 'day', 'purpose', 'model']).doUpdateSet({
            requests: sql`llm_usage.requests + excluded.requests`,
            tokens_in: sql`llm_usage.tokens_in + excluded.tokens_in`,
            tokens_out: sql`llm_usage.tokens_out + excluded.tokens_out`,
          }),
        )
        .execute()
        // The user may have been deleted meanwhile (foreign key): their usage goes with them.
        .catch((err) => options.onError?.(err));
    }
  }

  const timer = setInterval(() => void flush(), options.flushMs ?? 5000);
  timer.unref();

  return {
    record(u: { userId: number; purpose: LlmPurpose; model: string; usage: LlmUsage }) {
      const day = new Date().toISOString().slice(0, 10);
      const key = `${u.userId}|${day}|${u.purpose}|${u.model}`;
      const row = pending.get(key) ?? { user_id: u.userId, day, purpose: u.purpose, model: u.model, requests: 0, tokens_in: 0, tokens_out: 0 };
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
