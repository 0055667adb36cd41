/**
 * Short chaos (inside `npm test`): fault scenarios on one SQLite server process under a small chat
 * load. The full set (Redis, PostgreSQL, cluster, SIGTERM) runs in `npm run chaos`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { recordRows, type ReportRow } from './lib/report.js';
import { runScenario, SCENARIOS } from './lib/scenarios.js';

const rows: ReportRow[] = [];
afterAll(() => recordRows('faults-short', rows));

describe('fault scenarios (short)', () => {
  it.each([
    ['LLM 20 % failures', () => SCENARIOS.llmFailures(6, 3)],
    ['3× the LLM concurrency limit', () => SCENARIOS.overload(2)],
  ])('%s', async (_name, make) => {
    const row = await runScenario(make());
    rows.push(row);
    expect(row.problems).toEqual([]);
    expect(row.fiveXx).toBe(0);
  }, 300_000);
});
