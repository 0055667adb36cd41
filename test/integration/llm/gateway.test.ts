import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { labelledSectionSchema } from '../../../src/features/characters/profile.js';
import { isAppError } from '../../../src/errors.js';
import type { LlmRequest } from '../../../src/infra/llm/index.js';
import type { MockLlm } from '../../../tools/mock-llm.js';
import { drain, eventually, mock as mock_, mockGateway, startMockLlm } from '../../support/mock-llm.js';

const chat = (content = '你好'): LlmRequest => ({ purpose: 'chat', messages: [{ role: 'user', content }], userId: 7 });

let mock: MockLlm;
beforeAll(async () => {
  mock = await startMockLlm({ port: 0 });
});
afterAll(async () => {
  await mock.close();
});
beforeEach(() => mock.reset());

describe('streaming', () => {
  it('yields the tokens in order and returns the usage', async () => {
    const { llm, usage } = mockGateway(mock, { tokens: 6, numbered: true });
    const out = await drain(llm.streamChat(chat()));
    expect(out.error).toBeUndefined();
    expect(out.chunks.join('')).toBe('t1 t2 t3 t4 t5 t6 ');
    expect(out.usage?.completionTokens).toBe(6);
    expect(out.usage?.promptTokens).toBeGreaterThan(0);
    expect(usage).toEqual([{ userId: 7, purpose: 'chat', model: 'mock-model', usage: out.usage }]);
    await llm.close();
  });

  it('aborting the signal closes the upstream connection at once', async () => {
    const { llm } = mockGateway(mock, { tokens: 10_000, tps: 200 });
    const ctrl = new AbortController();
    const gen = llm.streamChat(chat(), ctrl.signal);
    await gen.next();
    await gen.next();
    ctrl.abort();
    await expect(gen.next()).rejects.toThrow();
    await eventually(() => mock.stats().aborted === 1 && mock.stats().openStreams === 0);
    await llm.close();
  });

  it('a consumer that stops reading also closes the upstream connection', async () => {
    const { llm } = mockGateway(mock, { tokens: 10_000, tps: 200 });
    for await (const _ of llm.streamChat(chat())) break;
    await eventually(() => mock.stats().aborted === 1 && mock.stats().openStreams === 0);
    await llm.close();
  });

  it('uses the user model for chat and the per-purpose model otherwise', async () => {
    const { llm, usage } = mockGateway(mock, {}, { FASTNPC_LLM_MODEL_MEMORY: 'mock-memory', FASTNPC_LLM_MODELS: 'mock-model,mock-model-large' });
    await llm.completeText({ ...chat(), model: 'mock-model-large' });
    await llm.completeText({ purpose: 'memory', messages: [{ role: 'user', content: 'x' }], userId: 7 });
    expect(usage.map((u) => u.model)).toEqual(['mock-model-large', 'mock-memory']);
    expect(llm.models()).toEqual(['mock-model', 'mock-model-large']);
    await llm.close();
  });
});

describe('paced reads (a person watches in frames)', () => {
  const collect = async (llm: ReturnType<typeof mockGateway>['llm'], req: LlmRequest, signal?: AbortSignal) => {
    const chunks: string[] = [];
    const started = performance.now();
    const usage = await llm.stream(req, (t) => chunks.push(t), signal);
    return { chunks, usage, elapsedMs: performance.now() - started };
  };

  it('reads the upstream once per pace after the first token: the same text in few pieces', async () => {
    const { llm } = mockGateway(mock, { tokens: 60, tps: 300, numbered: true });
    const expected = Array.from({ length: 60 }, (_, i) => `t${i + 1} `).join('');
    const paced = await collect(llm, { ...chat(), paceMs: 50 });
    expect(paced.chunks.join('')).toBe(expected);
    expect(paced.usage.completionTokens).toBe(60);
    // One read when the first token comes, then at most one per 50 ms (timers fire late, never early).
    expect(paced.chunks.length).toBeLessThanOrEqual(2 + Math.ceil(paced.elapsedMs / 50));
    expect(paced.chunks[0]).toMatch(/^t1 /);
    // The socket reads again once the answer ended: the next call on the same connection pool answers.
    const next = await collect(llm, { ...chat(), paceMs: 50 });
    expect(next.chunks.join('')).toBe(expected);
    await llm.close();
  });

  it('an abort during a pause ends the call at once and closes the connection', async () => {
    const { llm } = mockGateway(mock, { tokens: 10_000, tps: 200 });
    const ctrl = new AbortController();
    const chunks: string[] = [];
    const call = llm.stream({ ...chat(), paceMs: 60_000 }, (t) => {
      chunks.push(t);
      setImmediate(() => ctrl.abort()); // by then the first read has paused the socket for a minute
    }, ctrl.signal);
    await expect(call).rejects.toThrow();
    expect(chunks).toHaveLength(1);
    await eventually(() => mock.stats().aborted === 1 && mock.stats().openStreams === 0);
    await llm.close();
  });
});

describe('retries', () => {
  it('retries a 500 before the first token and succeeds', async () => {
    const { llm } = mockGateway(mock, { fail: '500', failTimes: 2 });
    const out = await llm.completeText(chat());
    expect(out.text.length).toBeGreaterThan(0);
    expect(mock.stats().requests).toBe(3);
    await llm.close();
  });

  it('gives up after the retry budget with llm_error (502)', async () => {
    const { llm } = mockGateway(mock, { fail: '503' }, { FASTNPC_LLM_MAX_RETRIES: '1' });
    const err = await llm.completeText(chat()).catch((e: unknown) => e);
    expect(isAppError(err, 'llm_error') && err.status).toBe(502);
    expect(mock.stats().requests).toBe(2);
    await llm.close();
  });

  it('honours Retry-After on 429', async () => {
    const waits: number[] = [];
    const logger = { warn: (o: { waitMs?: number }) => void (o.waitMs !== undefined && waits.push(o.waitMs)) };
    const { llm } = mockGateway(mock, { fail: '429', failTimes: 1, retryAfter: 1 }, {}, { logger });
    await llm.completeText(chat());
    // The server's Retry-After (1 s) wins over the short test backoff.
    expect(waits).toEqual([1000]);
    expect(mock.stats().requests).toBe(2);
    await llm.close();
  });

  it('never retries once a token was yielded: a cut stream ends in llm_error', async () => {
    const { llm } = mockGateway(mock, { tokens: 20, fail: 'cut', cutAfter: 3 });
    const out = await drain(llm.streamChat(chat()));
    expect(out.chunks).toHaveLength(3);
    expect(isAppError(out.error, 'llm_error')).toBe(true);
    expect(mock.stats().requests).toBe(1);
    await llm.close();
  });
});

describe('admission control', () => {
  it('refuses with llm_busy and Retry-After when slots and queue are full', async () => {
    const { llm } = mockGateway(mock, { tokens: 10_000, tps: 100 }, { FASTNPC_LLM_CONCURRENCY: '1', FASTNPC_LLM_QUEUE_MAX: '1' });
    const first = new AbortController();
    const running = llm.streamChat(chat(), first.signal);
    await running.next();
    const second = new AbortController();
    const queued = llm.completeText(chat(), second.signal);
    const refused = await llm.completeText(chat()).catch((e: unknown) => e);
    expect(isAppError(refused, 'llm_busy') && refused.status).toBe(503);
    expect((refused as { retryAfter?: number }).retryAfter).toBeGreaterThanOrEqual(1);
    first.abort();
    await running.next().catch(() => {});
    // The queued call gets the freed slot.
    await eventually(() => mock.stats().requests === 2);
    second.abort();
    await expect(queued).rejects.toThrow();
    await llm.close();
  });

  it('refuses with llm_busy when the queue wait expires', async () => {
    const { llm } = mockGateway(mock, { tokens: 10_000, tps: 100 }, { FASTNPC_LLM_CONCURRENCY: '1', FASTNPC_LLM_QUEUE_WAIT_MS: '100' });
    const ctrl = new AbortController();
    const running = llm.streamChat(chat(), ctrl.signal);
    await running.next();
    const err = await llm.completeText(chat()).catch((e: unknown) => e);
    expect(isAppError(err, 'llm_busy')).toBe(true);
    ctrl.abort();
    await running.next().catch(() => {});
    await llm.close();
  });
});

describe('circuit breaker', () => {
  const env = { FASTNPC_LLM_BREAKER_FAILURE_PERCENT: '50', FASTNPC_LLM_BREAKER_MIN_CALLS: '2', FASTNPC_LLM_BREAKER_COOLDOWN_MS: '200', FASTNPC_LLM_MAX_RETRIES: '0' };

  it('opens on the failure rate, fails fast (admission too), and closes after a successful probe', async () => {
    const { llm, metrics } = mockGateway(mock, { fail: '500', failTimes: 2 }, env);
    for (let i = 0; i < 2; i++) expect(isAppError(await llm.completeText(chat()).catch((e: unknown) => e), 'llm_error')).toBe(true);
    const fast = await llm.completeText(chat()).catch((e: unknown) => e);
    expect(isAppError(fast, 'llm_unavailable') && fast.status).toBe(503);
    const refused = await llm.admit({ purpose: 'chat' }).catch((e: unknown) => e);
    expect(isAppError(refused, 'llm_unavailable') && refused.retryAfter).toBeGreaterThanOrEqual(1);
    expect(mock.stats().requests).toBe(2); // failing fast: the provider was not called
    const gauge = async () => (await metrics.registry.getSingleMetric('fastnpc_llm_breaker_state')!.get()).values[0]?.value;
    expect(await gauge()).toBe(2);
    // Once the cooldown has passed, the half-open probe goes out and succeeds.
    let probe: unknown;
    await eventually(() => {
      void llm.completeText(chat()).then((r) => (probe ??= r), () => {});
      return probe !== undefined;
    }, 5000);
    await llm.completeText(chat());
    expect(await gauge()).toBe(0);
    await llm.close();
  });

  it('counts success at the first token: long streams do not let fast failures open it', async () => {
    const { llm, metrics } = mockGateway(mock, { tokens: 10_000, tps: 100 }, { ...env, FASTNPC_LLM_BREAKER_MIN_CALLS: '4' });
    // Four streams reach their first token and keep streaming…
    const streams = Array.from({ length: 4 }, () => ({ ctrl: new AbortController() })).map((s) => ({ ...s, gen: llm.streamChat(chat(), s.ctrl.signal) }));
    for (const s of streams) await s.gen.next();
    // …while three calls fail at once: 3 failures of 7 attempts is under 50 %.
    for (let i = 0; i < 3; i++) expect(isAppError(await llm.completeText(chat(mock_({ fail: '500' }))).catch((e: unknown) => e), 'llm_error')).toBe(true);
    const gauge = async () => (await metrics.registry.getSingleMetric('fastnpc_llm_breaker_state')!.get()).values[0]?.value;
    expect(await gauge()).toBe(0);
    for (const s of streams) {
      s.ctrl.abort();
      await s.gen.next().catch(() => {});
    }
    await llm.close();
  });
});

describe('JSON mode', () => {
  const schema = labelledSectionSchema('background');

  it('returns an object that validates against the schema', async () => {
    const { llm } = mockGateway(mock);
    const out = await llm.completeJson<Record<string, unknown>>({ purpose: 'structure', messages: [{ role: 'user', content: '李白' }] }, schema);
    expect(Array.isArray(out['经历'])).toBe(true);
    expect(typeof out['出身']).toBe('string');
    await llm.close();
  });

  it('takes the outermost object when the JSON is wrapped in prose', async () => {
    const { llm } = mockGateway(mock, { fail: 'prose' });
    const out = await llm.completeJson<Record<string, unknown>>({ purpose: 'structure', messages: [{ role: 'user', content: 'x' }] }, schema);
    expect(typeof out['秘密']).toBe('string');
    expect(mock.stats().requests).toBe(1);
    await llm.close();
  });

  it('re-asks once, quoting the problem, when the answer is not valid JSON', async () => {
    const { llm } = mockGateway(mock, { fail: 'badjson', failTimes: 1 });
    const out = await llm.completeJson<Record<string, unknown>>({ purpose: 'structure', messages: [{ role: 'user', content: 'x' }] }, schema);
    expect(typeof out['出身']).toBe('string');
    expect(mock.stats().requests).toBe(2);
    await llm.close();
  });

  it('re-asks when the JSON does not match the schema, then fails with llm_bad_output', async () => {
    const { llm } = mockGateway(mock);
    // The mock keeps numbers inside minimum/maximum, so only an unsatisfiable schema makes it fail twice.
    const strict = Type.Object({ confidence: Type.Number({ minimum: 2 }) });
    const impossible = Type.Object({ confidence: Type.Number({ minimum: 2, maximum: 1 }) });
    await expect(llm.completeJson({ purpose: 'moderator', messages: [{ role: 'user', content: 'x' }] }, strict)).resolves.toEqual({ confidence: 2 });
    mock.reset();
    const err = await llm.completeJson({ purpose: 'moderator', messages: [{ role: 'user', content: 'x' }] }, impossible).catch((e: unknown) => e);
    expect(isAppError(err, 'llm_bad_output') && err.status).toBe(502);
    expect(mock.stats().requests).toBe(2);
    await llm.close();
  });

  it('fails with llm_bad_output when the JSON stays broken', async () => {
    const { llm } = mockGateway(mock, { fail: 'badjson' });
    const err = await llm.completeJson({ purpose: 'structure', messages: [{ role: 'user', content: 'x' }] }, schema).catch((e: unknown) => e);
    expect(isAppError(err, 'llm_bad_output')).toBe(true);
    expect(mock.stats().requests).toBe(2);
    await llm.close();
  });
});

describe('timeouts', () => {
  it('fires the first-token timeout and closes the connection', async () => {
    const { llm } = mockGateway(mock, { fail: 'hang' }, { FASTNPC_LLM_FIRST_TOKEN_TIMEOUT_MS: '150', FASTNPC_LLM_MAX_RETRIES: '0' });
    const out = await drain(llm.streamChat(chat()));
    expect(isAppError(out.error, 'llm_timeout') && out.error.code).toBe('llm_timeout:first_token');
    expect((out.error as { status: number }).status).toBe(504);
    await eventually(() => mock.stats().aborted === 1);
    await llm.close();
  });

  it('fires the idle timeout between tokens', async () => {
    const { llm } = mockGateway(mock, { tokens: 20, fail: 'hang', hangAfter: 2 }, { FASTNPC_LLM_IDLE_TIMEOUT_MS: '150', FASTNPC_STREAM_FRAME_MS: '0' });
    const out = await drain(llm.streamChat(chat()));
    expect(out.chunks).toHaveLength(2);
    expect(isAppError(out.error, 'llm_timeout') && out.error.code).toBe('llm_timeout:idle');
    expect(mock.stats().requests).toBe(1);
    await llm.close();
  });
});

describe('response cache', () => {
  it('serves a repeated temperature-0 call from the cache', async () => {
    const { llm } = mockGateway(mock);
    const req: LlmRequest = { purpose: 'memory', messages: [{ role: 'user', content: 'summarise' }], temperature: 0 };
    const a = await llm.completeText(req);
    const b = await llm.completeText(req);
    expect(b).toEqual(a);
    const schema = labelledSectionSchema('world');
    const j1 = await llm.completeJson(req, schema);
    const j2 = await llm.completeJson(req, schema);
    expect(j2).toEqual(j1);
    expect(mock.stats().requests).toBe(2);
    await llm.completeText({ ...req, temperature: 0.7 });
    await llm.completeText({ ...req, temperature: 0.7 });
    expect(mock.stats().requests).toBe(4);
    await llm.close();
  });
});
