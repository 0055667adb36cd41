/**
 * Two server processes on two ports sharing PostgreSQL and Redis behave as one: a rate limit
 * counts across both, an edit through one is served fresh by the other, a job runs exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { startMockLlm, type MockLlm } from '../../tools/mock-llm.js';
import { PG_URL, REDIS_URL, createPgDatabase } from '../support/services.js';
import { TestClient } from '../support/app.js';
import { importCard } from '../support/characters.js';
import { freePort, stopProcess, waitForHttp } from '../../bench/lib.js';

import { waitFor } from '../support/wait.js';

describe.runIf(PG_URL && REDIS_URL)('two processes sharing PostgreSQL and Redis', () => {
  let llm: MockLlm;
  let pgDb: Awaited<ReturnType<typeof createPgDatabase>>;
  const procs: ChildProcess[] = [];
  const dirs: string[] = [];
  let a: string;
  let b: string;

  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 50, tokens: 5, tps: 1000 });
    pgDb = await createPgDatabase();
    const prefix = `t2p_${randomBytes(4).toString('hex')}`;
    const start = async () => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-2p-'));
      dirs.push(dataDir);
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
        env: {
          ...process.env,
          FASTNPC_PORT: String(port),
          FASTNPC_DATA_DIR: dataDir,
          FASTNPC_SECRET: 'shared-secret-0123456789-0123456789-xyz',
          DATABASE_URL: pgDb.url,
          REDIS_URL: REDIS_URL!,
          FASTNPC_REDIS_PREFIX: prefix,
          FASTNPC_WORKERS: '1',
          FASTNPC_LOG_LEVEL: 'warn',
          FASTNPC_AUTH_RATE_PER_MIN: '4',
          FASTNPC_LLM_BASE_URL: llm.url,
          FASTNPC_LLM_API_KEY: 'k',
          FASTNPC_BUNDLED_SOURCES: 'off',
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      procs.push(child);
      const url = `http://127.0.0.1:${port}`;
      await waitForHttp(`${url}/readyz`, 60_000);
      return url;
    };
    [a, b] = await Promise.all([start(), start()]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => stopProcess(p)));
    await pgDb?.drop();
    await llm?.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('shares sessions, serves an edit made through one fresh from the other, and runs a job exactly once', async () => {
    const onA = new TestClient(a);
    await onA.register();
    const onB = new TestClient(b);
    onB.cookie = onA.cookie;
    expect((await onB.get('/api/auth/me')).status).toBe(200);

    const ch = await importCard(onA, '双进程');
    expect((await onB.get(`/api/characters/${ch.id}`)).body.profile.identity?.name).not.toBe('改过的名字');
    const put = await onA.put(`/api/characters/${ch.id}/profile`, { profile: { identity: { name: '改过的名字' } } });
    expect(put.status).toBe(200);
    expect((await onB.get(`/api/characters/${ch.id}`)).body.profile.identity.name).toBe('改过的名字');
    expect((await onB.get('/api/characters')).body.items.map((i: any) => i.id)).toContain(ch.id);

    llm.reset();
    const job = await onA.post('/api/characters/creations', { name: '一次', source: 'text', text: '一次是一个只应被创建一次的测试人物，生于测试城。', detail: 'concise' });
    expect(job.status).toBe(202);
    const state = await waitFor(async () => {
      const s = (await onB.get(`/api/jobs/${job.body.job.id}`)).body.state as string;
      return ['done', 'failed'].includes(s) && s;
    }, 20_000);
    expect(state).toBe('done');
    // Nine sections, one biography and one greeting: each call once, so the job ran once.
    expect(llm.stats().requests).toBe(11);
    expect((await onB.get('/api/characters?q=一次')).body.items).toHaveLength(1);
  });

  it('counts a rate limit across both processes', async () => {
    const results: number[] = [];
    const name = `rl_${randomBytes(3).toString('hex')}`;
    // The first test used one attempt on A; four per minute in all, from this address.
    results.push((await new TestClient(b).post('/api/auth/register', { username: name, password: 'password-123' })).status);
    results.push((await new TestClient(a).post('/api/auth/login', { username: name, password: 'password-123' })).status);
    results.push((await new TestClient(b).post('/api/auth/login', { username: name, password: 'password-123' })).status);
    results.push((await new TestClient(a).post('/api/auth/login', { username: name, password: 'password-123' })).status);
    expect(results.slice(0, 3)).toEqual([201, 200, 200]);
    expect(results[3]).toBe(429);
  });
});
