/**
 * Hot statements built and compiled by Kysely once per database, then run with new values.
 *
 * Kysely builds an immutable operation tree and compiles it to SQL on every call: for a turn's
 * few small writes that costs more JavaScript than SQLite spends running them (bench/RESULTS.md,
 * the turn's profile). A statement whose shape never changes is built once with named
 * placeholders; each run copies the compiled parameters with the placeholders filled in and hands
 * the result to `db.executeQuery`, so plugins, logging, the driver and transactions behave as for
 * any other query. The SQL differs by dialect, so the compiled form is kept per `Db` instance.
 * On SQLite, outside transactions, a run skips Kysely's executor altogether (./direct-sqlite.ts).
 */
import { createQueryId, type Compilable, type CompiledQuery, type QueryResult } from 'kysely';
import type { Db } from './index.js';
import { directSqliteOf } from './direct-sqlite.js';

/** A placeholder for the run's value named `name`; Kysely sees an ordinary value and makes it a parameter. */
class Placeholder {
  constructor(readonly name: string) {}
}

interface Template {
  query: CompiledQuery;
  /** Per compiled parameter: the placeholder's name, or undefined for a value fixed at build time. */
  names: (string | undefined)[];
}

/** A prepared statement: run it with its values (through Kysely, or directly on SQLite: ./direct-sqlite.ts). */
export interface Prepared<V, R> {
  (db: Db, values: V): Promise<QueryResult<R>>;
  /** Runs on SQLite's connection now, for a `DirectSqlite.transaction`; undefined where that is not possible. */
  direct(db: Db, values: V): QueryResult<R> | undefined;
}

/**
 * `prepared((db, p) => db.updateTable('t').set({ a: p('a') }).where('id', '=', p('id')))` returns
 * `run(db, { a, id })`. Every value that varies must come through `p(name)`: the shape (columns,
 * operators, `is null` versus `= ?`) is fixed when the statement is first built. On SQLite the
 * statement runs synchronously when no transaction holds the connection (./direct-sqlite.ts).
 */
export function prepared<V extends Record<string, unknown>, R>(build: (db: Db, p: <K extends keyof V & string>(name: K) => V[K]) => Compilable<R>): Prepared<V, R> {
  const templates = new WeakMap<Db, Template>();
  const placeholder = <K extends keyof V & string>(name: K) => new Placeholder(name) as V[K];
  const templateFor = (db: Db): Template => {
    let t = templates.get(db);
    if (!t) {
      const query = build(db, placeholder).compile();
      t = { query, names: query.parameters.map((v) => (v instanceof Placeholder ? v.name : undefined)) };
      templates.set(db, t);
    }
    return t;
  };
  const parametersOf = ({ query, names }: Template, values: V) =>
    query.parameters.map((v, i) => {
      const name = names[i];
      return name === undefined ? v : values[name];
    });
  const direct = (db: Db, values: V): QueryResult<R> | undefined => {
    const sqlite = directSqliteOf(db);
    if (!sqlite) return undefined;
    const t = templateFor(db);
    return sqlite.run<R>(t.query, parametersOf(t, values));
  };
  const run = (db: Db, values: V): Promise<QueryResult<R>> => {
    try {
      const result = direct(db, values);
      if (result) return Promise.resolve(result);
    } catch (err) {
      return Promise.reject(err);
    }
    const t = templateFor(db);
    // A run is its own query to plugins (they may key state by the query's id).
    return db.executeQuery<R>({ ...t.query, queryId: createQueryId(), parameters: parametersOf(t, values) });
  };
  return Object.assign(run, { direct });
}
