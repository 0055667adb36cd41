/** The backends the full campaign covers: SQLite, PostgreSQL, and PostgreSQL + Redis (scaled infra in-process). */
import { randomBytes } from 'node:crypto';
import { DIALECTS, REDIS_URL, type Dialect } from '../../support/services.js';

export interface Backend {
  name: string;
  dialect: Dialect;
  env: Record<string, string>;
}

export function backends(): Backend[] {
  const list: Backend[] = DIALECTS.map((d) => ({ name: d, dialect: d, env: {} }));
  if (DIALECTS.includes('postgres') && REDIS_URL) {
    // The shared Redis, under a key prefix of our own (it is never stopped).
    list.push({ name: 'postgres + redis', dialect: 'postgres', env: { REDIS_URL, FASTNPC_REDIS_PREFIX: `chaos${randomBytes(3).toString('hex')}` } });
  }
  return list;
}
