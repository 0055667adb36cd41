/**
 * Real driver errors map to what a client should see: a value the database cannot hold is the
 * request's fault (400); a database that is restarting or unreachable is 503 `db_busy`.
 */
import pg from 'pg';
import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { translateDbError } from '../../src/infra/db/index.js';
import { toAppError } from '../../src/http/errors.js';
import { PG_URL } from '../support/services.js';
import { waitFor } from '../support/wait.js';

async function pgError(client: pg.Client, text: string, values: unknown[] = []): Promise<unknown> {
  return client.query(text, values).then(
    () => {
      throw new Error(`expected ${text} to fail`);
    },
    (err: unknown) => err,
  );
}

describe.runIf(PG_URL)('PostgreSQL errors', () => {
  it('maps data exceptions (SQLSTATE class 22) to 400', async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      for (const [text, values, sqlstate] of [
        ['select $1::bigint', ['9223372036854775808'], '22003'],
        ['select $1::int', ['abc'], '22P02'],
        ['select $1::text', ['a\u0000b'], '22021'],
      ] as const) {
        const err = await pgError(c, text, [...values]);
        expect((err as { code: string }).code).toBe(sqlstate);
        const e = toAppError(err);
        expect(e.status).toBe(400);
        expect(e.code).toBe('validation:value');
      }
    } finally {
      await c.end();
    }
  });

  it('maps a terminated connection (57P01) and a refused one to 503 db_busy with Retry-After', async () => {
    const victim = new pg.Client({ connectionString: PG_URL });
    const admin = new pg.Client({ connectionString: PG_URL });
    victim.on('error', () => {});
    await victim.connect();
    await admin.connect();
    try {
      const pid = (await victim.query('select pg_backend_pid() as pid')).rows[0].pid;
      const running = pgError(victim, 'select pg_sleep(30)');
      await waitFor(async () => (await admin.query("select 1 from pg_stat_activity where pid = $1 and state = 'active'", [pid])).rowCount);
      await admin.query('select pg_terminate_backend($1)', [pid]);
      const err = await running;
      expect((err as { code: string }).code).toBe('57P01');
      const e = translateDbError(err)!;
      expect(e.status).toBe(503);
      expect(e.code).toBe('db_busy');
      expect(e.retryAfter).toBeGreaterThan(0);
    } finally {
      await admin.end();
      await victim.end().catch(() => {});
    }
    const u = new URL(PG_URL!);
    u.port = '1'; // nothing listens there
    const refused = new pg.Client({ connectionString: u.toString() });
    const err = await refused.connect().then(() => undefined, (e: unknown) => e);
    expect(translateDbError(err)?.code).toBe('db_busy');
  });
});

describe('SQLite errors', () => {
  it('maps a locked database to 503 db_busy and leaves other errors alone', () => {
    const err = new SQLite.SqliteError('database is locked', 'SQLITE_BUSY');
    expect(translateDbError(err)?.code).toBe('db_busy');
    const db = new SQLite(':memory:');
    let other: unknown;
    try {
      db.prepare('select * from nowhere').all();
    } catch (e) {
      other = e;
    }
    expect(translateDbError(other)).toBeUndefined();
    expect(toAppError(other).status).toBe(500);
  });
});
