/** Full chaos: every fuzz case of every route, on SQLite and PostgreSQL (and with Redis). */
import { afterAll, describe, expect, it } from 'vitest';
import { startChaosApp, type ChaosApp } from './lib/apps.js';
import { backends } from './lib/backends.js';
import { runFuzzer } from './lib/fuzz.js';
import { recordRows, type ReportRow } from './lib/report.js';

const rows: ReportRow[] = [];
afterAll(() => recordRows('2-fuzz', rows));

describe.each(backends())('schema fuzzer on $name', (backend) => {
  let app: ChaosApp | undefined;
  afterAll(async () => app?.close());

  it('no 5xx, no stack trace or SQL, every 4xx is {error:{code,message}}', async () => {
    app = await startChaosApp(backend.dialect, backend.env);
    const row = await runFuzzer(app, backend.name, { seed: 11, sample: 1, isolateDestructive: true });
    rows.push(row);
    expect(row.problems).toEqual([]);
  }, 900_000);
});
