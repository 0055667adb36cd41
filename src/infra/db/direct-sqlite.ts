/**
 * SQLite's one connection, for the hot statements (`prepared`) to run synchronously.
 *
 * better-sqlite3 is synchronous: Kysely's path around it (the connection mutex, the executor, a
 * few promise hops per statement) costs more JavaScript than SQLite spends on a turn's small
 * writes. A statement may skip it whenever no transaction is open on the connection: JavaScript
 * runs one statement at a time, so it then commits on its own, exactly as through Kysely. While a
 * Kysely transaction holds the connection (begun, awaiting its next statement), a direct run
 * would land inside someone else's transaction: `run` answers undefined and the caller goes
 * through Kysely, which waits for that transaction to end.
 */
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type SQLite from 'better-sqlite3';

export interface DirectSqlite {
  /** The statement's result, or undefined while a transaction that is not ours holds the connection. */
  run<R>(query: CompiledQuery, parameters: readonly unknown[]): QueryResult<R> | undefined;
  /**
   * `fn`'s direct runs in one transaction (one commit instead of one each), or undefined, without
   * running `fn`, while another transaction holds the connection. A throw rolls everything back.
   */
  transaction<T>(fn: () => T): T | undefined;
}

const registry = new WeakMap<Kysely<any>, DirectSqlite>();

/** The direct path of `db`, when it is SQLite's root Kysely instance (not a transaction, not PostgreSQL). */
export function directSqliteOf(db: Kysely<any>): DirectSqlite | undefined {
  return registry.get(db);
}

/**
 * Registers `db`'s connection. `prepare` is the connection's statement cache (shared with Kysely's
 * driver); `trace` is told each statement's SQL when queries are traced (tests count them).
 */
export function registerDirectSqlite(db: Kysely<any>, conn: SQLite.Database, prepare: (sql: string) => SQLite.Statement, trace: string[] | undefined): void {
  let ours = false; // inside our own `transaction`
  const free = () => ours || !conn.inTransaction;
  const execute = <R>(sql: string, parameters: readonly unknown[]): QueryResult<R> => {
    trace?.push(sql);
    const stmt = prepare(sql);
    if (stmt.reader) return { rows: stmt.all(parameters) as R[] };
    const r = stmt.run(parameters);
    return { rows: [], numAffectedRows: BigInt(r.changes), insertId: BigInt(r.lastInsertRowid) };
  };
  registry.set(db, {
    run: (query, parameters) => (free() ? execute(query.sql, parameters) : undefined),
    transaction(fn) {
      if (!free()) return undefined;
      if (ours) return fn();
      execute('begin', []);
      ours = true;
      try {
        const result = fn();
        ours = false;
        execute('commit', []);
        return result;
      } catch (err) {
        ours = false;
        if (conn.inTransaction) execute('rollback', []);
        throw err;
      }
    },
  });
}
