/** Short chaos (inside `npm test`): the authorization matrix over every route, on every backend. */
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/services.js';
import { runAuthzMatrix } from './lib/authz.js';
import { startChaosApp, type ChaosApp } from './lib/apps.js';
import { recordRows, type ReportRow } from './lib/report.js';

const rows: ReportRow[] = [];
afterAll(() => recordRows('authz-short', rows));

describe.each(DIALECTS)('authorization matrix on %s', (dialect) => {
  let app: ChaosApp | undefined;
  afterAll(async () => app?.close());

  it('every route × anonymous / other user / admin / owner', async () => {
    app = await startChaosApp(dialect);
    const row = await runAuthzMatrix(app, dialect);
    rows.push(row);
    expect(row.problems).toEqual([]);
    expect(row.fiveXx).toBe(0);
    expect(row.leaks).toBe(0);
  }, 120_000);
});
