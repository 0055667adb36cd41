/**
 * Full chaos: the seven fault scenarios of issue 11 under a load of a few dozen concurrent chat
 * turns over real HTTP SSE. Redis and PostgreSQL are private instances (the shared ones on
 * 6379/5432 are never stopped).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivatePostgres } from './lib/processes.js';
import { recordRows, type ReportRow } from './lib/report.js';
import { runScenario, SCENARIOS, type ScenarioShared } from './lib/scenarios.js';

const rows: ReportRow[] = [];
const shared: ScenarioShared = {};
const USERS = 24;

beforeAll(async () => {
  shared.postgres = new PrivatePostgres();
  await shared.postgres.init();
});
afterAll(async () => {
  recordRows('4-faults', rows);
  await shared.postgres?.destroy();
});

describe('fault scenarios under chat load', () => {
  it.each([
    ['LLM 20 % failures', () => SCENARIOS.llmFailures(USERS, 6)],
    ['LLM down and back', () => SCENARIOS.llmDown(USERS, 4)],
    ['Redis killed and back', () => SCENARIOS.redisKilled(USERS, 3)],
    ['PostgreSQL restarted', () => SCENARIOS.postgresRestart(USERS, 3)],
    ['a worker SIGKILLed', () => SCENARIOS.workerKilled(USERS, 3)],
    ['SIGTERM with open streams', () => SCENARIOS.sigterm(USERS)],
    ['3× the LLM concurrency limit', () => SCENARIOS.overload(8)],
  ])('%s', async (_name, make) => {
    const row = await runScenario(make(), shared);
    rows.push(row);
    expect(row.problems).toEqual([]);
    expect(row.fiveXx).toBe(0);
  }, 300_000);
});
