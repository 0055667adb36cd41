/**
 * Statements compiled once (src/infra/db/prepared.ts) run like any Kysely query on both
 * databases: each run's values, the values fixed at build time, inside a transaction, and in the
 * query trace; the builder runs once per database, not per run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import { openDatabase, type DatabaseHandle, type Db } from '../../src/infra/db/index.js';
import { prepared } from '../../src/infra/db/prepared.js';
import { directSqliteOf } from '../../src/infra/db/direct-sqlite.js';
import { DIALECTS, createPgDatabase } from '../support/services.js';

interface Row {
  id: number;
  name: string;
  note: string | null;
  kind: string;
}

let builds = 0;
// A table of the test's own: the statements are built on `Kysely<any>`.
const anyDb = (db: Db) => db as unknown as Kysely<any>;
const insertRow = prepared<{ name: string; note: string | null }, Row>((db, p) => {
  builds++;
  return anyDb(db).insertInto('prepared_t').values({ name: p('name'), note: p('note'), kind: 'fixed' }).returningAll();
});
const renameRow = prepared<{ id: number; name: string }, never>((db, p) => anyDb(db).updateTable('prepared_t').set({ name: p('name') }).where('id', '=', p('id')).where('kind', '=', 'fixed'));

describe.each(DIALECTS)('prepared statements on %s', (dialect) => {
  let handle: DatabaseHandle;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    if (dialect === 'postgres') {
      const pg = await createPgDatabase();
      drop = pg.drop;
      handle = openDatabase({ databaseUrl: pg.url, traceQueries: true });
    } else {
      handle = openDatabase({ sqliteFile: ':memory:', traceQueries: true });
    }
    await anyDb(handle.db)
      .schema.createTable('prepared_t')
      .addColumn('id', dialect === 'postgres' ? 'serial' : 'integer', (c) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement()))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('note', 'text')
      .addColumn('kind', 'text', (c) => c.notNull())
      .execute();
  });
  afterAll(async () => {
    await handle?.close();
    await drop?.();
  });

  it('runs each call with its own values and the fixed ones, building the statement once', async () => {
    const before = builds;
    const traced = handle.queries.statements!.length;
    const a = (await insertRow(handle.db, { name: '李白', note: null })).rows[0];
    const b = (await insertRow(handle.db, { name: 'Sherlock', note: 'it\'s "quoted"; -- not SQL' })).rows[0];
    expect(a).toMatchObject({ name: '李白', note: null, kind: 'fixed' });
    expect(b).toMatchObject({ name: 'Sherlock', note: 'it\'s "quoted"; -- not SQL', kind: 'fixed' });
    expect(b.id).toBeGreaterThan(a.id);
    expect(builds - before).toBe(1);
    const updated = await renameRow(handle.db, { id: a.id, name: '杜甫' });
    expect(Number(updated.numAffectedRows)).toBe(1);
    const rows = await anyDb(handle.db).selectFrom('prepared_t').selectAll().orderBy('id').execute();
    expect(rows.map((r) => r.name)).toEqual(['杜甫', 'Sherlock']);
    // Every run is in the trace, as the SQL with placeholders.
    const runs = handle.queries.statements!.slice(traced);
    expect(runs.filter((s) => /^insert into "prepared_t"/.test(s))).toHaveLength(2);
    expect(runs.filter((s) => /^update "prepared_t"/.test(s))).toHaveLength(1);
  });

  it('runs inside a transaction, and a rollback takes its write back', async () => {
    const count = async () => Number((await anyDb(handle.db).selectFrom('prepared_t').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const n0 = await count();
    await expect(
      handle.db.transaction().execute(async (trx) => {
        await insertRow(trx, { name: 'rolled back', note: null });
        expect((await anyDb(trx).selectFrom('prepared_t').select('name').where('name', '=', 'rolled back').execute()).length).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await count()).toBe(n0);
    await handle.db.transaction().execute((trx) => insertRow(trx, { name: 'kept', note: 'n' }));
    expect(await count()).toBe(n0 + 1);
  });
});

/**
 * SQLite: outside transactions a prepared statement runs straight on the connection
 * (src/infra/db/direct-sqlite.ts); it must never land inside a transaction another caller holds.
 */
describe('direct runs on SQLite', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = openDatabase({ sqliteFile: ':memory:', traceQueries: true });
    await anyDb(handle.db).schema.createTable('prepared_t').addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement()).addColumn('name', 'text', (c) => c.notNull()).addColumn('note', 'text').addColumn('kind', 'text', (c) => c.notNull()).execute();
  });
  afterAll(() => handle?.close());
  const names = async () => (await anyDb(handle.db).selectFrom('prepared_t').select('name').orderBy('id').execute()).map((r) => r.name);

  it('a run while another caller holds a transaction waits for it, and survives its rollback', async () => {
    let inside!: () => void;
    const begun = new Promise<void>((r) => (inside = r));
    let finish!: () => void;
    const release = new Promise<void>((r) => (finish = r));
    const held = handle.db.transaction().execute(async (trx) => {
      await insertRow(trx, { name: 'theirs', note: null });
      inside();
      await release;
      throw new Error('their rollback');
    });
    await begun;
    const ours = insertRow(handle.db, { name: 'ours', note: null });
    // Nothing direct may happen while their transaction is open.
    expect(directSqliteOf(handle.db)!.transaction(() => 'ran')).toBeUndefined();
    finish();
    await expect(held).rejects.toThrow('their rollback');
    expect((await ours).rows[0]).toMatchObject({ name: 'ours' });
    expect(await names()).toContain('ours');
    expect(await names()).not.toContain('theirs');
  });

  it('a direct transaction commits its statements together, or none of them', async () => {
    const before = await names();
    const traced = handle.queries.statements!.length;
    const id = directSqliteOf(handle.db)!.transaction(() => {
      const row = insertRow.direct(handle.db, { name: 'a', note: null })!.rows[0];
      renameRow.direct(handle.db, { id: row.id, name: 'b' });
      return row.id;
    });
    expect(id).toBeGreaterThan(0);
    expect(handle.queries.statements!.slice(traced).map((s) => s.split(' ')[0])).toEqual(['begin', 'insert', 'update', 'commit']);
    expect(() =>
      directSqliteOf(handle.db)!.transaction(() => {
        insertRow.direct(handle.db, { name: 'never', note: null });
        throw new Error('undo');
      }),
    ).toThrow('undo');
    expect(await names()).toEqual([...before, 'b']);
    // The connection is free again: a plain run still works, and so does a Kysely transaction.
    await insertRow(handle.db, { name: 'after', note: null });
    await handle.db.transaction().execute((trx) => insertRow(trx, { name: 'in kysely', note: null }));
    expect((await names()).slice(-2)).toEqual(['after', 'in kysely']);
  });

  it('is only there for SQLite', async () => {
    const pg = await createPgDatabase();
    const other = openDatabase({ databaseUrl: pg.url });
    try {
      expect(directSqliteOf(other.db)).toBeUndefined();
    } finally {
      await other.close();
      await pg.drop();
    }
  });
});
