/** Full chaos: the hostile upload cases on every backend. */
import { afterAll, describe, expect, it } from 'vitest';
import { startChaosApp, type ChaosApp } from './lib/apps.js';
import { backends } from './lib/backends.js';
import { recordRows, type ReportRow } from './lib/report.js';
import { runUploadCases } from './lib/uploads.js';

const rows: ReportRow[] = [];
afterAll(() => recordRows('3-uploads', rows));

describe.each(backends())('hostile uploads on $name', (backend) => {
  let app: ChaosApp | undefined;
  afterAll(async () => app?.close());

  it('answer 4xx with a message and store nothing', async () => {
    app = await startChaosApp(backend.dialect, backend.env);
    const row = await runUploadCases(app, backend.name);
    rows.push(row);
    expect(row.problems).toEqual([]);
  });
});
