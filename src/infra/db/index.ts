/**
 * The database behind one small interface: Kysely over better-sqlite3 (embedded default) or over
 * a `pg` pool (when DATABASE_URL is set). Callers never learn which, except through `flags`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type LogEvent, type Migration } from 'kysely';
import type { Database } from './schema.js';
import { dialectFlags, type DialectFlags } from './dialect.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-username-key.js';
import * as m0003 from './migrations/0003-message-settlement.js';
import * as m0004 from './migrations/0004-console.js';
import * as m0005 from './migrations/0005-message-alternatives.js';
import * as m0007 from './migrations/0007-chats-personas.js';
import * as m0008 from './migrations/0008-lorebooks.js';
import * as m0009 from './migrations/0009-api-keys.js';
import * as m0010 from './migrations/0010-evaluations.js';
import * as m0011 from './migrations/0011-llm-providers.js';
import { AppError } from '../../errors.js';
import { createReplicaRouter } from './replica.js';
import { registerDirectSqlite } from './direct-sqlite.js';

export type Db = Kysely<Database>;

export interface DatabaseHandle {
  db: Db;
  /**
   * For reads that tolerate lag (message pages, reports): the replica when DATABASE_READ_URL is
   * set, it is fresh and the request allows it (src/infra/db/replica.ts); otherwise the same as `db`.
   * Never write through it, and never fill a shared cache from it: a stale fill would outlive the lag.
   */
  read: Db;
  /** Whether a replica is configured and fresh now, and where read connections went (for /metrics). */
  readStats(): { replica: 'none' | 'usable' | 'unusable'; routed: { primary: number; replica: number } };
  flags: DialectFlags;
  /** Throws when the database cannot answer. */
  ping(): Promise<void>;
  /** Connections in use and callers waiting for one (PostgreSQL pool; SQLite reports 0/0). */
  poolStats(): { total: number; idle: number; waiting: number };
  /** The SQL of the statements run, when `traceQueries` is on (tests count a turn's queries). */
  readonly queries: QueryTrace;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl?: string;
  /** A streaming replica of databaseUrl for `read`. */
  readUrl?: string;
  /** SQLite file; ':memory:' for a throwaway database. */
  sqliteFile?: string;
  poolMax?: number;
  acquireTimeoutMs?: number;
  /** Keep the text of every statement in `queries.trace` (tests only). */
  traceQueries?: boolean;
}

/**
 * The SQL of every statement run, in order, when `traceQueries` is on (tests assert what a turn
 * does with the database); otherwise nothing at all: no plugin, so no per-query hook.
 */
export class QueryTrace {
  readonly statements: string[] | undefined;
  constructor(traceQueries = false) {
    this.statements = traceQueries ? [] : undefined;
  }
  /** Kysely's `log` hook when tracing: the compiled SQL of each statement as it runs. */
  get log(): ((event: LogEvent) => void) | undefined {
    const statements = this.statements;
    return statements && ((event) => void statements.push(event.query.sql));
  }
}

// PostgreSQL returns int8 as strings by default; our ids and epoch-ms times fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-username-key': m0002,
  '0003-message-settlement': m0003,
  '0004-console': m0004,
  '0005-message-alternatives': m0005,
  '0007-chats-personas': m0007,
  '0008-lorebooks': m0008,
  '0009-api-keys': m0009,
  '0010-evaluations': m0010,
  '0011-llm-providers': m0011,
};

export function openDatabase(options: DatabaseOptions): DatabaseHandle {
  const queries = new QueryTrace(options.traceQueries);
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.readUrl, options.poolMax ?? 20, options.acquireTimeoutMs ?? 5000, queries);
  return openSqlite(options.sqliteFile ?? ':memory:', queries);
}

function openSqlite(file: string, queries: QueryTrace): DatabaseHandle {
  if (file !== ':memory:') mkdirSync(join(file, '..'), { recursive: true });
  const conn = new SQLite(file);
  conn.pragma('journal_mode = WAL');
  conn.pragma('foreign_keys = ON');
  // NORMAL is durable across application crashes in WAL mode and avoids an fsync per commit.
  conn.pragma('synchronous = NORMAL');
  conn.pragma('busy_timeout = 5000');
  // Checkpoints run on a worker thread (checkpoint-worker.ts); the main connection only steps in
  // as a safety net if the WAL grows very large.
  const checkpointer = file === ':memory:' ? undefined : startCheckpointer(file);
  if (checkpointer) conn.pragma('wal_autocheckpoint = 20000');
  // Kysely prepares every statement anew; preparing costs more than running our small queries,
  // so statements are kept by their SQL text (bounded; the app has a fixed set of query shapes).
  const statements = new Map<string, SQLite.Statement>();
  const cached = {
    prepare(sqlText: string) {
      let stmt = statements.get(sqlText);
      if (!stmt) {
        if (statements.size >= 2000) statements.clear();
        stmt = conn.prepare(sqlText);
        statements.set(sqlText, stmt);
      }
      return stmt;
    },
    close: () => conn.close(),
  };
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cached }), log: queries.log });
  registerDirectSqlite(db, conn, cached.prepare, queries.statements);
  return {
    db,
    read: db,
    readStats: noReplica,
    flags: dialectFlags(db),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    poolStats: () => ({ total: 1, idle: 1, waiting: 0 }),
    queries,
    close: async () => {
      await db.destroy();
      checkpointer?.postMessage('close');
      await checkpointer?.terminate();
    },
  };
}

function startCheckpointer(file: string): Worker | undefined {
  const here = fileURLToPath(import.meta.url);
  const script = join(dirname(here), here.endsWith('.ts') ? 'checkpoint-worker.ts' : 'checkpoint-worker.js');
  if (!existsSync(script)) return undefined;
  const worker = new Worker(script, { workerData: { file, intervalMs: 1000 } });
  worker.unref();
  worker.on('error', () => {
    /* the main connection's own autocheckpoint still bounds the WAL */
  });
  return worker;
}

function openPool(url: string, max: number, acquireTimeoutMs: number): pg.Pool {
  // connectionTimeoutMillis bounds both opening a connection and waiting for a free one.
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: acquireTimeoutMs, idleTimeoutMillis: 30_000 });
  pool.on('error', () => {
    /* an idle client lost its connection; the pool replaces it */
  });
  // A checked-out client whose server goes away (restart: 57P01) emits 'error' outside any query;
  // unhandled, that kills the process. The query in flight fails on its own and the pool drops the client.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  return pool;
}

const noReplica = () => ({ replica: 'none' as const, routed: { primary: 0, replica: 0 } });

function openPostgres(url: string, readUrl: string | undefined, max: number, acquireTimeoutMs: number, queries: QueryTrace): DatabaseHandle {
  const pool = openPool(url, max, acquireTimeoutMs);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: queries.log });
  // A replica that stopped answering must not hold reads for the whole acquire timeout: they fall back.
  const replicaPool = readUrl ? openPool(readUrl, max, Math.min(acquireTimeoutMs, 2000)) : undefined;
  const router = replicaPool ? createReplicaRouter(pool, replicaPool) : undefined;
  const read = router ? new Kysely<Database>({ dialect: new PostgresDialect({ pool: router.pool }), log: queries.log }) : db;
  return {
    db,
    read,
    readStats: router ? () => ({ replica: router.usable() ? 'usable' : 'unusable', routed: { ...router.routed } }) : noReplica,
    flags: dialectFlags(db),
    ping: async () => {
      await sql`select 1`.execute(db);
    },
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    queries,
    close: async () => {
      await router?.close();
      if (read !== db) await read.destroy();
      await replicaPool?.end();
      await db.destroy();
    },
  };
}

/** Any fixed number: every FastNPC process migrating the same database takes this lock first. */
const MIGRATION_LOCK_KEY = 0x66_6e_70_63; // "fnpc"

/**
 * Runs every pending migration; throws with the failing migration's name. On PostgreSQL the whole
 * run holds a session advisory lock, so instances starting together migrate one after the other
 * (the second finds nothing to do). Kysely's own lock is taken only after it creates its
 * bookkeeping tables, and two concurrent `create table if not exists` can still collide.
 */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  if (dialectFlags(db).name !== 'postgres') return runMigrations(db);
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      return await runMigrations(conn);
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}

async function runMigrations(db: Kysely<any>): Promise<string[]> {
  // Migrations are written on parallel branches and touch separate tables; a database that ran a
  // later-numbered one first must still take an earlier one that lands after it.
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations }, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error) throw new Error(`migration ${failed?.migrationName ?? ''} failed: ${(error as Error).message ?? error}`, { cause: error });
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * PostgreSQL SQLSTATEs (and socket errors) that mean "not now": the server is shutting down,
 * starting up, out of connections, or unreachable. Clients should retry shortly.
 */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '53400', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/**
 * Maps driver errors users should see as 4xx/503 rather than 500: class 22 ("data exception":
 * a value the column cannot hold, e.g. 22P02, 22003, 22021) is the request's fault → 400; an
 * unreachable or restarting database → 503 `db_busy` with Retry-After.
 */
export function translateDbError(err: unknown): AppError | undefined {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const msg = typeof e?.message === 'string' ? e.message : '';
  if (/^22[0-9A-Z]{3}$/.test(code)) return new AppError('validation:value', 'A value in the request cannot be stored (out of range or malformed)', { cause: err });
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || /timeout exceeded when trying to connect|Connection terminated|ECONNREFUSED|SQLITE_BUSY|database is locked|the database system is (starting up|shutting down)/i.test(msg)) {
    return new AppError('db_busy', 'The database is busy; try again shortly', { retryAfter: 2, cause: err });
  }
  return undefined;
}

/** True for a unique-constraint violation on either dialect. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** `column LIKE pattern` matching the same way on both dialects: case-insensitive, with `%`/`_` in `text` taken literally. */
export function likeFilter(column: string, text: string, where: 'contains' | 'prefix') {
  const escaped = text.toLowerCase().replace(/[\\%_]/g, (ch) => `\\${ch}`);
  const pattern = where === 'contains' ? `%${escaped}%` : `${escaped}%`;
  return sql<boolean>`lower(${sql.ref(column)}) like ${pattern} escape '\\'`;
}
