/**
 * The few differences between SQLite and PostgreSQL, read once from the Kysely adapter.
 * Migrations and stores ask these flags instead of testing the dialect name.
 */
import { PostgresAdapter, type Kysely } from 'kysely';

export interface DialectFlags {
  name: 'sqlite' | 'postgres';
  /** Column type of an auto-increment primary key. */
  idType: 'integer' | 'bigserial';
  /** Column type for 64-bit integers (epoch milliseconds). */
  bigintType: 'integer' | 'bigint';
  /** Column type for floats. */
  realType: 'real' | 'double precision';
  /** SQLite has a single writer; callers keep write transactions short. */
  singleWriter: boolean;
}

const POSTGRES: Readonly<DialectFlags> = { name: 'postgres', idType: 'bigserial', bigintType: 'bigint', realType: 'double precision', singleWriter: false };
const SQLITE: Readonly<DialectFlags> = { name: 'sqlite', idType: 'integer', bigintType: 'integer', realType: 'real', singleWriter: true };

/** The flags of `db`'s dialect: one shared object per dialect (a turn asks, so nothing is built per call). */
export function dialectFlags(db: Kysely<any>): Readonly<DialectFlags> {
  return db.getExecutor().adapter instanceof PostgresAdapter ? POSTGRES : SQLITE;
}
