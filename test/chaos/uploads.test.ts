/** Short chaos (inside `npm test`): every hostile upload case, on SQLite. */
import { afterAll, describe, expect, it } from 'vitest';
import { startChaosApp, type ChaosApp } from './lib/apps.js';
import { recordRows, type ReportRow } from './lib/report.js';
import { runUploadCases } from './lib/uploads.js';

const rows: ReportRow[] = [];
afterAll(() => recordRows('uploads-short', rows));

describe('hostile uploads', () => {
  let app: ChaosApp | undefined;
  afterAll(async () => app?.close());

  it('answer 4xx with a message and store nothing', async () => {
    app = await startChaosApp('sqlite');
    const row = await runUploadCases(app, 'sqlite');
    rows.push(row);
    expect(row.problems).toEqual([]);
  }, 120_000);
});
