/**
 * DATABASE_READ_URL against a real streaming replica (PostgreSQL 15, pg_basebackup -R): message
 * pages are read from the replica; a client's own writes are never read back stale; a replica
 * that falls behind or goes down stops being used (and is used again when it is back); and
 * `fastnpc migrate` run twice at once on a fresh database does not race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort } from '../e2e/stack.js';
import { startTestApp, type TestApp, type TestClient } from '../support/app.js';
import { importCard } from '../support/characters.js';
import { waitFor } from '../support/wait.js';
import { PgNode } from './postgres.js';
import { RECENT_WRITE_COOKIE } from '../../src/http/read-your-writes.js';

const run = promisify(execFile);

describe('read/write split on a streaming replica', () => {
  let primary: PgNode;
  let replica: PgNode;
  let t: TestApp;
  let c: TestClient;
  let characterId: number;

  const stats = () => t.ctx.database.readStats();
  /** The message page as the client sees it, with or without the recent-write cookie. */
  const page = async (recentWrite: boolean) => {
    const before = stats().routed;
    const reader = t.client();
    reader.cookie = recentWrite ? `${c.cookie}; ${RECENT_WRITE_COOKIE}=1` : c.cookie;
    const r = await reader.get(`/api/characters/${characterId}/messages?limit=50`);
    expect(r.status).toBe(200);
    const after = stats().routed;
    return { contents: (r.body.items as { content: string }[]).map((m) => m.content), from: after.replica > before.replica ? 'replica' : 'primary' };
  };
  const say = async (content: string) => {
    const r = await c.post(`/api/characters/${characterId}/messages`, { content });
    expect(r.status).toBe(200);
    expect(r.headers.get('set-cookie')).toContain(`${RECENT_WRITE_COOKIE}=1; Max-Age=5`);
  };

  beforeAll(async () => {
    primary = new PgNode('127.0.0.1', await freePort());
    replica = new PgNode('127.0.0.1', await freePort());
    await primary.initPrimary();
    await primary.query('CREATE DATABASE app');
    await replica.initStandby(primary);
    t = await startTestApp('sqlite', { DATABASE_URL: primary.url('app'), DATABASE_READ_URL: replica.url('app') }, { offlineChunkDelayMs: 0 });
    c = t.client();
    await c.register();
    characterId = (await importCard(c, '李白')).id;
    await waitFor(async () => stats().replica === 'usable', 15_000);
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await replica?.destroy();
    await primary?.destroy();
  });

  it('reads message pages from the replica, and a client that just wrote from the primary', async () => {
    await say('第一句');
    const own = await page(true);
    expect(own.from).toBe('primary');
    expect(own.contents).toContain('第一句');
    const other = await waitFor(async () => {
      const p = await page(false);
      return p.contents.includes('第一句') && p;
    });
    expect(other.from).toBe('replica');
  });

  it('stops reading from a replica that falls behind, and comes back when it catches up', async () => {
    await replica.query('select pg_wal_replay_pause()', 'app');
    try {
      await say('第二句');
      // Our own write is never stale, replica or not.
      expect((await page(true)).contents).toContain('第二句');
      await waitFor(async () => stats().replica === 'unusable', 10_000);
      const p = await page(false);
      expect(p).toMatchObject({ from: 'primary' });
      expect(p.contents).toContain('第二句');
    } finally {
      await replica.query('select pg_wal_replay_resume()', 'app');
    }
    await waitFor(async () => stats().replica === 'usable', 10_000);
    const back = await page(false);
    expect(back.from).toBe('replica');
    expect(back.contents).toContain('第二句');
    const m = await c.get('/metrics');
    expect(m.text).toMatch(/db_replica_usable 1/);
    expect(m.text).toMatch(/db_read_connections\{target="replica"\} [1-9]/);
  });

  it('falls back to the primary when the replica is down, and returns to it after a restart', async () => {
    await replica.stop('immediate');
    // Straight away, before any probe noticed: the failed checkout falls back.
    const down = await page(false);
    expect(down.from).toBe('primary');
    expect(down.contents).toContain('第二句');
    expect(stats().replica).toBe('unusable');
    const ready = await c.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', checks: { database: 'ok' } });
    expect(ready.body.checks.replica).toMatch(/down or behind/);
    await say('第三句');
    await replica.start();
    await waitFor(async () => stats().replica === 'usable', 20_000);
    const back = await waitFor(async () => {
      const p = await page(false);
      return p.from === 'replica' && p;
    });
    expect(back.contents).toContain('第三句');
    expect((await c.get('/readyz')).body).toMatchObject({ status: 'ok', checks: { replica: 'ok' } });
  });
});

describe('fastnpc migrate on PostgreSQL', () => {
  let node: PgNode;
  beforeAll(async () => {
    node = new PgNode('127.0.0.1', await freePort());
    await node.initPrimary();
  }, 60_000);
  afterAll(async () => node?.destroy());

  it('two instances migrating a fresh database at once take turns: one applies, the other finds it done', async () => {
    for (const round of [1, 2]) {
      await node.query(`CREATE DATABASE race${round}`);
      const env = { ...process.env, DATABASE_URL: node.url(`race${round}`), FASTNPC_LOG_LEVEL: 'silent', FASTNPC_SECRET: 'test-secret-0123456789-0123456789-abcdef' };
      const both = await Promise.all([1, 2].map(() => run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], { env, timeout: 60_000 })));
      const outputs = both.map((r) => r.stdout.trim()).sort();
      expect(outputs[0], `round ${round}`).toMatch(/^applied: 0001-initial, .*0005-message-alternatives/);
      expect(outputs[1], `round ${round}`).toBe('database is up to date');
      const rows = await node.query<{ n: number }>('select count(*)::int as n from kysely_migration', `race${round}`);
      expect(rows[0].n).toBeGreaterThanOrEqual(5);
    }
  }, 120_000);
});
