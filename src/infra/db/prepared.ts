/**
 * Hot statements built and compiled by Kysely once per database, then run with new values.
 *
 * Kysely builds an immutable operation tree and compiles it to SQL on every call: for a turn's
 * few small writes that costs more JavaScript than SQLite spends running them (bench/RESULTS.md,
 * the turn's profile). A statement whose shape never changes is built once with named
 * placeholders; each run copies the compiled parameters with the placeholders filled in and hands
 * the result to `db.executeQuery`, so plugins, logging, the driver and transactions behave as for
 * any other query. The SQL differs by dialect, so the compiled form is kept per `Db` instance.
 */
import { createQueryId, type Compilable, type CompiledQuery, type QueryResult } from 'kysely';
import type { Db } from './index.js';

/** A placeholder for the run's value named `name`; Kysely sees an ordinary value and makes it a parameter. */
class Placeholder {
  constructor(readonly name: string) {}
}

interface Template {
  query: CompiledQuery;
  /** Per compiled parameter: the placeholder's name, or undefined for a value fixed at build time. */
  names: (string | undefined)[];
}

/**
 * `prepared((db, p) => db.updateTable('t').set({ a: p('a') }).where('id', '=', p('id')))` returns
 * `run(db, { a, id })`. Every value that varies must come through `p(name)`: the shape (columns,
 * operators, `is null` versus `= ?`) is fixed when the statement is first built.
 */
export function prepared<V extends Record<string, unknown>, R>(build: (db: Db, p: <K extends keyof V & string>(name: K) => V[K]) => Compilable<R>): (db: Db, values: V) => Promise<QueryResult<R>> {
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
  return (db, values) => {
    const { query, names } = templateFor(db);
    const parameters = query.parameters.map((v, i) => {
      const name = names[i];
      return name === undefined ? v : values[name];
    });
    // A run is its own query to plugins (they may key state by the query's id).
    return db.executeQuery<R>({ ...query, queryId: createQueryId(), parameters });
  };
}
