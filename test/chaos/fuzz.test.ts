/** Short chaos (inside `npm test`): a seeded sample of the schema fuzzer, on every backend. */
import { afterAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/services.js';
import { startChaosApp, type ChaosApp } from './lib/apps.js';
import { runFuzzer } from './lib/fuzz.js';
import { recordRows, type ReportRow } from './lib/report.js';

const rows: ReportRow[] = [];
afterAll(() => recordRows('fuzz-short', rows));

describe.each(DIALECTS)('schema fuzzer on %s (sample)', (dialect) => {
  let app: ChaosApp | undefined;
  afterAll(async () => app?.close());

  it('no 5xx, no stack trace or SQL, every 4xx is {error:{code,message}}', async () => {
    app = await startChaosApp(dialect);
    const row = await runFuzzer(app, dialect, { seed: 11, sample: 0.06 });
    rows.push(row);
    expect(row.problems).toEqual([]);
  }, 150_000);
});
