/**
 * The OpenAI-compatible API with the official `openai` SDK as the client, over real HTTP against the
 * real app (SQLite, and PostgreSQL when configured) and the mock LLM.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../../tools/mock-llm.js';
import { DIALECTS } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { importCard } from '../../support/characters.js';
import { mock, mockLlmEnv } from '../../support/mock-llm.js';
import { waitFor } from '../../support/wait.js';

describe.each(DIALECTS)('OpenAI-compatible API on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  let alice: TestClient;
  let bob: TestClient;
  let key: string;
  let sdk: OpenAI;
  let libai: { id: number; name: string };

  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 5, tokens: 12, tps: 2000 });
    t = await startTestApp(dialect, mockLlmEnv(llm));
    alice = t.client();
    bob = t.client();
    await alice.register();
    await bob.register();
    libai = await importCard(alice, '李白');
    key = (await alice.post('/api/me/api-keys', { name: 'laptop' })).body.token;
    sdk = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: key, maxRetries: 0 });
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  const messagesOf = async (c: TestClient, id: number) => (await c.get(`/api/characters/${id}/messages?limit=100`)).body.items.reverse();

  it('lists the characters and groups of the key\'s user as models', async () => {
    const other = await importCard(alice, '杜甫');
    const group = (await alice.post('/api/groups', { name: '诗社', memberIds: [libai.id, other.id] })).body;
    await importCard(bob, '苏轼');
    const models = [];
    for await (const m of sdk.models.list()) models.push(m);
    expect(models.map((m) => m.id)).toEqual([`character/${libai.id}`, `character/${other.id}`, `group/${group.id}`]);
    expect(models[0]).toMatchObject({ object: 'model', name: '李白', owned_by: expect.any(String) });
    expect((await sdk.models.retrieve('李白')).id).toBe(`character/${libai.id}`);
  });

  it('streams a reply in OpenAI chunks, with usage and [DONE]; stores both messages', async () => {
    const stream = await sdk.chat.completions.create({ model: '李白', messages: [{ role: 'user', content: `你好 ${mock({ numbered: true, tokens: 5 })}` }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('t1 t2 t3 t4 t5 ');
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const finish = chunks.find((c) => c.choices[0]?.finish_reason);
    expect(finish?.choices[0].finish_reason).toBe('stop');
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage?.completion_tokens).toBe(5);
    const stored = await messagesOf(alice, libai.id);
    expect(stored.slice(-2).map((m: any) => [m.role, m.content])).toEqual([
      ['user', `你好 ${mock({ numbered: true, tokens: 5 })}`],
      ['assistant', 't1 t2 t3 t4 t5 '],
    ]);
  });
});
