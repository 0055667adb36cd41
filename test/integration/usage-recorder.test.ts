/**
 * Token usage is counted in memory and written in batches (src/features/users/usage.ts): the
 * counters add up across flushes, on both databases, and a user deleted meanwhile costs only
 * their own counts, not the batch's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateToLatest, openDatabase, type DatabaseHandle } from '../../src/infra/db/index.js';
import { createUsageRecorder } from '../../src/features/users/usage.js';
import { DIALECTS, createPgDatabase } from '../support/services.js';

describe.each(DIALECTS)('usage recorder on %s', (dialect) => {
  let handle: DatabaseHandle;
  let drop: (() => Promise<void>) | undefined;
  const users: number[] = [];
  beforeAll(async () => {
    if (dialect === 'postgres') {
      const pg = await createPgDatabase();
      drop = pg.drop;
      handle = openDatabase({ databaseUrl: pg.url });
    } else {
      handle = openDatabase({ sqliteFile: ':memory:' });
    }
    await migrateToLatest(handle.db);
    for (const name of ['usage_a', 'usage_b', 'usage_c']) {
      const row = await handle.db.insertInto('users').values({ username: name, username_key: name, password_hash: 'x', is_admin: 0, created_at: 0 }).returning('id').executeTakeFirstOrThrow();
      users.push(row.id);
    }
  });
  afterAll(async () => {
    await handle?.close();
    await drop?.();
  });

  const counters = () =>
    handle.db
      .selectFrom('llm_usage')
      .select(['user_id', 'purpose', 'model', 'requests', 'tokens_in', 'tokens_out'])
      .orderBy('user_id')
      .orderBy('purpose')
      .execute();

  it('adds each flush to the day’s counters per user, purpose and model', async () => {
    const errors: unknown[] = [];
    const usage = createUsageRecorder(handle.db, { flushMs: 3_600_000, onError: (err) => errors.push(err) });
    const [a, b] = users;
    usage.record({ userId: a!, purpose: 'chat', model: 'm1', usage: { promptTokens: 100, completionTokens: 10 } });
    usage.record({ userId: a!, purpose: 'chat', model: 'm1', usage: { promptTokens: 50, completionTokens: 5 } });
    usage.record({ userId: a!, purpose: 'memory', model: 'm1', usage: { promptTokens: 7, completionTokens: 3 } });
    usage.record({ userId: b!, purpose: 'chat', model: 'm2', usage: { promptTokens: 1, completionTokens: 2 } });
    await usage.flush();
    usage.record({ userId: a!, purpose: 'chat', model: 'm1', usage: { promptTokens: 1, completionTokens: 1 } });
    await usage.close();
    expect(await counters()).toEqual([
      { user_id: a, purpose: 'chat', model: 'm1', requests: 3, tokens_in: 151, tokens_out: 16 },
      { user_id: a, purpose: 'memory', model: 'm1', requests: 1, tokens_in: 7, tokens_out: 3 },
      { user_id: b, purpose: 'chat', model: 'm2', requests: 1, tokens_in: 1, tokens_out: 2 },
    ]);
    expect(errors).toEqual([]);
  });

  it('keeps the rest of a batch when one of its users was deleted meanwhile', async () => {
    const errors: unknown[] = [];
    const usage = createUsageRecorder(handle.db, { flushMs: 3_600_000, onError: (err) => errors.push(err) });
    const [a, , c] = users;
    usage.record({ userId: c!, purpose: 'chat', model: 'm1', usage: { promptTokens: 9, completionTokens: 9 } });
    usage.record({ userId: a!, purpose: 'chat', model: 'm1', usage: { promptTokens: 10, completionTokens: 1 } });
    await handle.db.deleteFrom('users').where('id', '=', c!).execute();
    await usage.close();
    const rows = await counters();
    expect(rows.find((r) => r.user_id === a && r.purpose === 'chat')).toMatchObject({ requests: 4, tokens_in: 161, tokens_out: 17 });
    expect(rows.some((r) => r.user_id === c)).toBe(false);
    expect(errors).toHaveLength(1);
  });
});
