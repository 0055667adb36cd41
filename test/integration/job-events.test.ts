/**
 * A job's event stream holds a pub/sub subscription and a database poll only while it follows a
 * running job: finished jobs, client disconnects and job ends all leave nothing behind.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../support/app.js';
import { collectSse, readSse } from '../support/sse.js';
import { waitFor } from '../support/wait.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe.each(DIALECTS)('job event streams on %s', (dialect) => {
  let t: TestApp;
  let alice: TestClient;

  beforeAll(async () => {
    // No worker: jobs stay queued until cancelled, so the test decides when they end.
    t = await startTestApp(dialect, { FASTNPC_CREATION_RATE_PER_MIN: '0' }, { runJobs: false });
    alice = t.client();
    await alice.register();
  });
  afterAll(async () => {
    await t?.close();
  });

  const createJob = async () => {
    const r = await alice.post('/api/characters/creations', { name: '测试人物', source: 'text', text: '测试人物是一个测试用的人物，住在测试城，喜欢写测试。', detail: 'concise' });
    expect(r.status).toBe(202);
    return r.body.job.id as string;
  };
  const events = (id: string, signal?: AbortSignal) => fetch(`${t.url}/api/jobs/${id}/events`, { headers: { cookie: alice.cookie, accept: 'text/event-stream' }, signal });

  it('answers a finished job with its final state and keeps no poll or subscription', async () => {
    const id = await createJob();
    expect((await alice.del(`/api/jobs/${id}`)).status).toBe(204);
    const before = timers();
    for (let i = 0; i < 100; i++) {
      const frames = await collectSse(await events(id));
      expect(frames).toEqual([{ event: 'job', data: expect.objectContaining({ id, state: 'cancelled' }) }]);
    }
    expect(t.ctx.creation.activeFollows()).toBe(0);
    // 100 leaked 2-second polls would be 100 more timers.
    expect(timers() - before).toBeLessThan(10);
  });

  it('stops following when clients disconnect', async () => {
    const id = await createJob();
    const aborts = Array.from({ length: 20 }, () => new AbortController());
    for (const a of aborts) {
      const res = await events(id, a.signal);
      const first = await readSse(res).next();
      expect(first.value).toEqual({ event: 'job', data: expect.objectContaining({ id, state: 'queued' }) });
    }
    expect(t.ctx.creation.activeFollows()).toBe(20);
    for (const a of aborts) a.abort();
    await waitFor(async () => t.ctx.creation.activeFollows() === 0);
  });

  it('ends every stream with the terminal state and stops following', async () => {
    const id = await createJob();
    const streams = await Promise.all(Array.from({ length: 5 }, () => events(id)));
    await waitFor(async () => t.ctx.creation.activeFollows() === 5);
    expect((await alice.del(`/api/jobs/${id}`)).status).toBe(204);
    for (const s of streams) {
      const frames = await collectSse(s);
      expect(frames[0].data.state).toBe('queued');
      expect(frames[frames.length - 1]).toEqual({ event: 'job', data: expect.objectContaining({ state: 'cancelled' }) });
    }
    expect(t.ctx.creation.activeFollows()).toBe(0);
  });

  it('answers 404 for a job that is not yours without following it', async () => {
    const id = await createJob();
    const bob = t.client();
    await bob.register();
    expect((await bob.get(`/api/jobs/${id}/events`, { accept: 'text/event-stream' })).status).toBe(404);
    expect(t.ctx.creation.activeFollows()).toBe(0);
  });
});
