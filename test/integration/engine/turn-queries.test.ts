/**
 * How many statements one streamed chat turn makes, on both databases: a fixed, small number that
 * does not grow with the conversation. A change here is a change to the hot path, on purpose.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../../tools/mock-llm.js';
import { DIALECTS } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { collectSse, postSse } from '../../support/sse.js';
import { importCard } from '../../support/characters.js';
import { mock, mockLlmEnv } from '../../support/mock-llm.js';
import { waitFor } from '../../support/wait.js';
import { MEMORY_JOB } from '../../../src/features/memory/service.js';

const SWEEP = /^update "messages" set "status" = .* "status" = /; // a dead process's pending message → failed
const USER_MESSAGE = /^insert into "messages"/; // the user message, pending
const HISTORY = /^select .* from "messages" .*"compressed"/; // the uncompressed history
const REPLY = /^insert into "messages"/;
const SETTLE = /^update "messages" set "status" = .* "id" = /; // the user message → complete
const REPLY_SETTLING = /^with "settled" as \(update "messages" set "status" = .* "id" = .*\) insert into "messages"/; // both in one statement
/**
 * What a turn does with the database, in order, once the memory budget is not reached. Embedded
 * (SQLite, one process) keeps the recent history in the process and sweeps a conversation once;
 * with PostgreSQL other processes may write, so each turn sweeps and reads the history. Either way
 * the reply and the settling of the user message share one commit.
 */
const REQUEST_PATH = { sqlite: [USER_MESSAGE, /^begin$/, REPLY, SETTLE, /^commit$/], postgres: [SWEEP, USER_MESSAGE, HISTORY, REPLY_SETTLING] };
/**
 * The usage counters' periodic flush (src/features/users/usage.ts, every 5 s for all turns) is no
 * statement of the turn's: when its timer fires during a measured turn it is left out.
 */
const USAGE_FLUSH = /^insert into "llm_usage"/;
/** The inspection record, written after the reply in a batch (one batch per turn here). */
const INSPECTION_BATCH = [/^begin/, /^insert into "prompt_parts"/, /^select "id" from "messages"/, /^insert into "message_inspections"/, /^commit/];

describe.each(DIALECTS)('queries per turn on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  let alice: TestClient;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 1, tokens: 8, tps: 5000 });
    t = await startTestApp(dialect, mockLlmEnv(llm), { traceQueries: true });
    alice = t.client();
    await alice.register();
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  const setBudget = async (budgetSession: number) => {
    const settings = (await alice.get('/api/me/settings')).body;
    expect((await alice.put('/api/me/settings', { ...settings, budgetSession })).status).toBe(200);
  };

  it('a turn makes the same few queries at turn 3 as at turn 30; no memory job while under budget', async () => {
    const ch = await importCard(alice, '李白');
    // Large budgets: 30 turns stay under them, so no compression is due.
    await setBudget(32_000);
    const trace = t.ctx.database.queries.statements!;
    const turn = async (i: number) => {
      await t.ctx.inspections.flush();
      const before = trace.length;
      const frames = await collectSse(await postSse(`${t.url}/api/characters/${ch.id}/messages`, alice.cookie, { content: `第${i}句 ${mock({ tokens: 4 })}` }));
      expect(frames.at(-1)!.event).toBe('done');
      await t.ctx.inspections.flush();
      return trace.slice(before).filter((s) => !USAGE_FLUSH.test(s));
    };
    // The first turns warm the caches (session, character, settings, memory snapshot, prompts).
    for (let i = 1; i <= 2; i++) await turn(i);
    const expected = [...REQUEST_PATH[dialect], ...INSPECTION_BATCH];
    for (let i = 3; i <= 30; i++) {
      const statements = await turn(i);
      if (i === 3 || i === 30) {
        expect(statements, statements.join('\n')).toHaveLength(expected.length);
        statements.forEach((s, k) => expect(s).toMatch(expected[k]));
      }
    }
    const jobs = await t.ctx.queue.counts(MEMORY_JOB);
    expect(jobs.waiting + jobs.running).toBe(0);
  });

  it('schedules the memory job once the history passes the session budget', async () => {
    const ch = await importCard(alice, '杜甫');
    await setBudget(200);
    const summaries = () => alice.get(`/api/characters/${ch.id}/memories`).then((r) => r.body.shortTerm.length as number);
    for (let i = 1; i <= 6; i++) await collectSse(await postSse(`${t.url}/api/characters/${ch.id}/messages`, alice.cookie, { content: `这是一段相当长的第${i}句话，用来把会话撑过预算。`.repeat(4) + mock({ tokens: 12 }) }));
    await waitFor(async () => (await summaries()) > 0);
  });
});
