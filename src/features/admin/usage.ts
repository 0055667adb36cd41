/**
 * Usage from `llm_usage` (tokens per user, model, purpose and day) with an estimated cost from the
 * price table administrators edit (per million tokens; a model without a price costs null).
 */
import { sql } from 'kysely';
import type { Db } from '../../infra/db/index.js';

export interface UsageRow {
  userId: number;
  username: string;
  day: string;
  model: string;
  purpose: string;
  requests: number;
  tokensIn: number;
  tokensOut: number;
  cost: number | null;
}

export interface Price {
  model: string;
  inputPerMillion: number;
  outputPerMillion: number;
  updatedAt: number;
}

/**
 * `readDb` (database.read) serves the reports, which may lag a moment; prices are written through `db`.
 * `priceOf`: prices from the models table (features/providers), which win over this table's.
 */
export function createUsageReports(deps: { db: Db; readDb?: Db; now?: () => number; priceOf?: (model: string) => { inputPerMillion: number; outputPerMillion: number } | null }) {
  const { db } = deps;
  const readDb = deps.readDb ?? db;
  const now = deps.now ?? Date.now;

  async function prices(): Promise<Price[]> {
    const rows = await db.selectFrom('model_prices').selectAll().orderBy('model').execute();
    return rows.map((r) => ({ model: r.model, inputPerMillion: Number(r.input_per_million), outputPerMillion: Number(r.output_per_million), updatedAt: r.updated_at }));
  }

  return {
    prices,

    /** Replaces the price table. */
    async putPrices(list: { model: string; inputPerMillion: number; outputPerMillion: number }[]): Promise<Price[]> {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('model_prices').execute();
        if (list.length) await trx.insertInto('model_prices').values(list.map((p) => ({ model: p.model, input_per_million: p.inputPerMillion, output_per_million: p.outputPerMillion, updated_at: now() }))).execute();
      });
      return prices();
    },

    /** Rows per user/day/model/purpose in a day range (YYYY-MM-DD, inclusive), newest first; totals. */
    async report(filter: { userId?: number; from?: string; to?: string; limit: number; offset: number }) {
      const priceOf = new Map((await prices()).map((p) => [p.model, p]));
      let q = readDb.selectFrom('llm_usage').innerJoin('users', 'users.id', 'llm_usage.user_id');
      if (filter.userId) q = q.where('llm_usage.user_id', '=', filter.userId);
      if (filter.from) q = q.where('llm_usage.day', '>=', filter.from);
      if (filter.to) q = q.where('llm_usage.day', '<=', filter.to);
      const [rows, totals] = await Promise.all([
        q
          .select(['llm_usage.user_id', 'users.username', 'llm_usage.day', 'llm_usage.model', 'llm_usage.purpose', 'llm_usage.requests', 'llm_usage.tokens_in', 'llm_usage.tokens_out'])
          .orderBy('llm_usage.day', 'desc')
          .orderBy('llm_usage.user_id')
          .orderBy('llm_usage.model')
          .orderBy('llm_usage.purpose')
          .limit(filter.limit)
          .offset(filter.offset)
          .execute(),
        q
          .select(['llm_usage.model'])
          .select([sql<number>`sum(llm_usage.requests)`.as('requests'), sql<number>`sum(llm_usage.tokens_in)`.as('tokens_in'), sql<number>`sum(llm_usage.tokens_out)`.as('tokens_out'), sql<number>`count(*)`.as('n')])
          .groupBy('llm_usage.model')
          .execute(),
      ]);
      const cost = (model: string, tin: number, tout: number) => {
        const p = deps.priceOf?.(model) ?? priceOf.get(model);
        return p ? Math.round(((tin * p.inputPerMillion + tout * p.outputPerMillion) / 1e6) * 1e6) / 1e6 : null;
      };
      const items: UsageRow[] = rows.map((r) => ({
        userId: r.user_id,
        username: r.username,
        day: r.day,
        model: r.model,
        purpose: r.purpose,
        requests: Number(r.requests),
        tokensIn: Number(r.tokens_in),
        tokensOut: Number(r.tokens_out),
        cost: cost(r.model, Number(r.tokens_in), Number(r.tokens_out)),
      }));
      const byModel = totals.map((t) => ({ model: t.model, requests: Number(t.requests), tokensIn: Number(t.tokens_in), tokensOut: Number(t.tokens_out), cost: cost(t.model, Number(t.tokens_in), Number(t.tokens_out)) }));
      const total = totals.reduce((a, t) => a + Number(t.n), 0);
      return { items, total, byModel };
    },
  };
}

export type UsageReports = ReturnType<typeof createUsageReports>;
