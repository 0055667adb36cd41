/**
 * Which backends the suites run against. SQLite always; PostgreSQL and Redis when their URLs are
 * set. Under CI=true a missing service is a failure, never a skip.
 */
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const PG_URL = process.env.FASTNPC_TEST_PG_URL;
export const REDIS_URL = process.env.FASTNPC_TEST_REDIS_URL;

if (process.env.CI === 'true') {
  if (!PG_URL) throw new Error('CI=true but FASTNPC_TEST_PG_URL is not set');
  if (!REDIS_URL) throw new Error('CI=true but FASTNPC_TEST_REDIS_URL is not set');
}

export type Dialect = 'sqlite' | 'postgres';
export const DIALECTS: Dialect[] = PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];

/** Creates a fresh PostgreSQL database for one test file; returns its URL and a drop function. */
export async function createPgDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!PG_URL) throw new Error('FASTNPC_TEST_PG_URL is not set');
  const name = `fastnpc_t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}
