/**
 * Activation reaches every process: two servers share PostgreSQL and Redis; a version activated
 * through one is what the other's next chat prompt uses, and so is a `fastnpc prompts import`
 * run from the command line. The active text is cached for 30 s in each process, so only the
 * pub/sub invalidation can explain a fresh read within the wait below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { PG_URL, REDIS_URL, createPgDatabase } from '../../support/services.js';
import { TestClient } from '../../support/app.js';
import { importCard } from '../../support/characters.js';
import { waitFor } from '../../support/wait.js';
import { freePort, stopProcess, waitForHttp } from '../../../bench/lib.js';

const run = promisify(execFile);

describe.runIf(PG_URL && REDIS_URL)('prompt activation across processes (PostgreSQL + Redis)', () => {
  let pgDb: Awaited<ReturnType<typeof createPgDatabase>>;
  const procs: ChildProcess[] = [];
  const dirs: string[] = [];
  let env: Record<string, string>;
  let a: string;
  let b: string;

  beforeAll(async () => {
    pgDb = await createPgDatabase();
    env = {
      ...(process.env as Record<string, string>),
      FASTNPC_SECRET: 'shared-secret-0123456789-0123456789-xyz',
      DATABASE_URL: pgDb.url,
      REDIS_URL: REDIS_URL!,
      FASTNPC_REDIS_PREFIX: `tpr_${randomBytes(4).toString('hex')}`,
      FASTNPC_WORKERS: '1',
      FASTNPC_LOG_LEVEL: 'warn',
      FASTNPC_LLM_PROVIDER: 'offline',
      FASTNPC_ADMIN_USER: 'prompt_admin',
      FASTNPC_BUNDLED_SOURCES: 'off',
    };
    const start = async () => {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-pr2p-'));
      dirs.push(dataDir);
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], { env: { ...env, FASTNPC_PORT: String(port), FASTNPC_DATA_DIR: dataDir }, stdio: ['ignore', 'inherit', 'inherit'] });
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
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('serves a version activated through one process from the other at once, and a CLI import too', async () => {
    const admin = new TestClient(a);
    await admin.register('prompt_admin');
    const onB = new TestClient(b);
    onB.cookie = admin.cookie;
    const ch = await importCard(admin, '王维');
    const rulesOnB = async () => (await onB.get(`/api/characters/${ch.id}/prompt`)).body.parts.find((p: any) => p.name === 'rules').text as string;
    // B has read (and cached) the built-in text.
    expect(await rulesOnB()).toContain('你现在就是王维');

    const rules = (await admin.get('/api/admin/prompts?category=chat')).body.items.find((p: any) => p.key === 'chat.rules');
    const v2 = await admin.post(`/api/admin/prompts/${rules.id}/versions`, { content: '你是{character_name}，以诗作答。', activate: true });
    expect(v2.status).toBe(201);
    await waitFor(async () => (await rulesOnB()).includes('你是王维，以诗作答'));

    // The command line: export, change the active text, import; both servers follow.
    const dataDir = dirs[0];
    const file = join(dataDir, 'prompts.json');
    await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'prompts', 'export', '--file', file], { env: { ...env, FASTNPC_DATA_DIR: dataDir }, timeout: 60_000 });
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    const entry = doc.prompts.find((p: any) => p.key === 'chat.rules');
    entry.versions.push({ version: 99, content: '你是{character_name}，只用文言文。', note: 'from file', createdAt: 0 });
    entry.active = 99;
    writeFileSync(file, JSON.stringify(doc));
    const imported = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'prompts', 'import', file], { env: { ...env, FASTNPC_DATA_DIR: dataDir }, timeout: 60_000 });
    expect(imported.stdout).toContain('1 new versions, 1 activated');
    await waitFor(async () => (await rulesOnB()).includes('你是王维，只用文言文'));
    const onA = new TestClient(a);
    onA.cookie = admin.cookie;
    expect((await onA.get(`/api/characters/${ch.id}/prompt`)).body.parts.find((p: any) => p.name === 'rules').text).toContain('只用文言文');
  }, 180_000);
});
