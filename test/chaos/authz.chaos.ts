/** Full chaos: the authorization matrix on SQLite, PostgreSQL, and PostgreSQL + Redis. */
import { afterAll, describe, expect, it } from 'vitest';
import { startChaosApp, type ChaosApp } from './lib/apps.js';
import { runAuthzMatrix } from './lib/authz.js';
import { backends } from './lib/backends.js';
import { recordRows, type ReportRow } from './lib/report.js';

const rows: ReportRow[] = [];
afterAll(() => recordRows('1-authz', rows));

describe.each(backends())('authorization matrix on $name', (backend) => {
  let app: ChaosApp | undefined;
  afterAll(async () => app?.close());

  it('every route × anonymous / other user / admin / owner', async () => {
    app = await startChaosApp(backend.dialect, backend.env);
    const row = await runAuthzMatrix(app, backend.name);
    rows.push(row);
    expect(row.problems).toEqual([]);
  });
});
