/**
 * Limits of the OpenAI-compatible API: a key's own rate limit (429 + Retry-After), the LLM's
 * admission (503 + Retry-After), one turn per chat (409); and in scaled mode (PostgreSQL + Redis,
 * two app instances), a key's limit and its revocation hold across processes.
 */
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../../tools/mock-llm.js';
import { PG_URL, REDIS_URL, createPgDatabase } from '../../support/services.js';
import { startTestApp, type TestApp } from '../../support/app.js';
import { importCard } from '../../support/characters.js';
import { mock, mockLlmEnv } from '../../support/mock-llm.js';
import { waitFor } from '../../support/wait.js';

async function failure(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err as InstanceType<typeof OpenAI.APIError>;
  }
  throw new Error('expected the call to fail');
}

describe('OpenAI-compatible API limits (SQLite, one process)', () => {
  let llm: MockLlm;
  let t: TestApp;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 5, tokens: 3, tps: 2000 });
    t = await startTestApp('sqlite', mockLlmEnv(llm, { FASTNPC_LLM_CONCURRENCY: '1', FASTNPC_LLM_QUEUE_MAX: '0', FASTNPC_API_RATE_PER_MIN: '100' }));
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  it('429s past the key\'s own limit, with Retry-After, in OpenAI\'s error shape; other keys are not affected', async () => {
    const c = t.client();
    await c.register();
    await importCard(c, '李白');
    const tight = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: (await c.post('/api/me/api-keys', { name: 'tight', ratePerMin: 2 })).body.token, maxRetries: 0 });
    await tight.models.list();
    await tight.chat.completions.create({ model: '李白', messages: [{ role: 'user', content: `hi ${mock({ tokens: 1 })}` }] });
    const err = await failure(tight.chat.completions.create({ model: '李白', messages: [{ role: 'user', content: 'hi' }] }));
    expect(err.status).toBe(429);
    expect(Number(err.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(err.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    const other = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: (await c.post('/api/me/api-keys', { name: 'other' })).body.token, maxRetries: 0 });
    expect((await other.models.list()).data).toHaveLength(1);
  });

  it('503s with Retry-After when the LLM cannot take the turn, and 409s a second turn on the same chat', async () => {
    const c = t.client();
    await c.register();
    await importCard(c, '杜甫');
    await importCard(c, '王维');
    const api = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: (await c.post('/api/me/api-keys', { name: 'k' })).body.token, maxRetries: 0 });
    const gate = `hold-${randomBytes(3).toString('hex')}`;
    const held = api.chat.completions.create({ model: '杜甫', messages: [{ role: 'user', content: `wait ${mock({ gate, tokens: 1 })}` }] });
    await waitFor(async () => llm.stats().requests > 0 && (await t.ctx.database.db.selectFrom('messages').select('id').where('content', 'like', 'wait %').executeTakeFirst()));
    const busy = await failure(api.chat.completions.create({ model: '王维', messages: [{ role: 'user', content: 'hi' }] }));
    expect(busy.status).toBe(503);
    expect(Number(busy.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(busy.error).toMatchObject({ type: 'service_unavailable', code: 'llm_busy' });
    const sameChat = await failure(api.chat.completions.create({ model: '杜甫', messages: [{ role: 'user', content: 'again' }] }));
    expect(sameChat.status).toBe(409);
    llm.openGate(gate);
    expect((await held).choices[0].message.content).toBeTruthy();
  });
});

describe.runIf(PG_URL && REDIS_URL)('OpenAI-compatible API keys across two processes (PostgreSQL + Redis)', () => {
  let llm: MockLlm;
  let pgDb: Awaited<ReturnType<typeof createPgDatabase>>;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 5, tokens: 3, tps: 2000 });
    pgDb = await createPgDatabase();
    const env = mockLlmEnv(llm, { DATABASE_URL: pgDb.url, REDIS_URL: REDIS_URL!, FASTNPC_REDIS_PREFIX: `oa_${randomBytes(4).toString('hex')}` });
    a = await startTestApp('sqlite', env);
    b = await startTestApp('sqlite', env);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await pgDb?.drop();
    await llm?.close();
  });

  it('counts a key\'s rate limit in Redis, shared by both processes, and a revocation is seen by both at once', async () => {
    const c = a.client();
    await c.register();
    await importCard(c, '李白');
    const created = (await c.post('/api/me/api-keys', { name: 'shared', ratePerMin: 3 })).body;
    const viaA = new OpenAI({ baseURL: `${a.url}/v1`, apiKey: created.token, maxRetries: 0 });
    const viaB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: created.token, maxRetries: 0 });
    await viaA.models.list();
    await viaB.chat.completions.create({ model: '李白', messages: [{ role: 'user', content: `hi ${mock({ tokens: 1 })}` }] });
    await viaA.models.list();
    expect((await failure(viaB.models.list())).status).toBe(429);

    const second = (await c.post('/api/me/api-keys', { name: 'revoked' })).body;
    const onB = new OpenAI({ baseURL: `${b.url}/v1`, apiKey: second.token, maxRetries: 0 });
    expect((await onB.models.list()).data).toHaveLength(1);
    expect((await c.del(`/api/me/api-keys/${second.key.id}`)).status).toBe(204);
    await waitFor(async () => (await failure(onB.models.list())).status === 401);
  });
});
