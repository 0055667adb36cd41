import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startMockLlm, type MockLlm } from '../../tools/mock-llm.js';
import { startFixtureServer, type FixtureServer } from '../support/fixture-server.js';
import { startTestApp } from '../support/app.js';

const run = promisify(execFile);

describe('fastnpc create (CLI)', () => {
  let llm: MockLlm;
  let fx: FixtureServer;
  let dataDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 1, tokens: 5, tps: 5000 });
    fx = await startFixtureServer();
    dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-cli-'));
    env = {
      ...(process.env as Record<string, string>),
      FASTNPC_DATA_DIR: dataDir,
      FASTNPC_LLM_BASE_URL: llm.url,
      FASTNPC_LLM_API_KEY: 'k',
      FASTNPC_BAIKE_BASE_URL: fx.baikeBaseUrl,
      FASTNPC_ZHWIKI_BASE_URL: fx.zhwikiBaseUrl,
      FASTNPC_BUNDLED_SOURCES: 'off',
      FASTNPC_LOG_LEVEL: 'silent',
    };
    delete env.DATABASE_URL;
    // An account to own the characters, made through the API on the same data folder.
    const t = await startTestApp('sqlite', { FASTNPC_DATA_DIR: dataDir });
    await t.client().register('cli_owner');
    await t.app.close();
  });
  afterAll(async () => {
    await llm?.close();
    await fx?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  // The built CLI, as users run it (`npm test` builds first): starting through tsx compiled the
  // whole server in each of the five processes, which took minutes on a loaded machine.
  const cli = (...args: string[]) => run(process.execPath, ['dist/src/cli.js', 'create', ...args], { env, timeout: 60_000 }).catch((e) => e);

  it('creates from each source, printing the new id; an ambiguous name lists candidates', async () => {
    const ambiguous = await cli('李白', '--source', 'baike');
    expect(ambiguous.code).toBe(3);
    expect(ambiguous.stderr).toContain('--candidate');
    const id = /^\s*(\d+)\t/m.exec(ambiguous.stderr)![1];

    const baike = await cli('李白', '--source', 'baike', '--candidate', id);
    expect(baike.stdout.trim()).toMatch(/^\d+$/);
    expect(baike.stderr).toContain('100% done');

    const wiki = await cli('诸葛亮', '--source', 'zhwiki');
    expect(wiki.stdout.trim()).toMatch(/^\d+$/);

    const file = join(dataDir, 'zhang.md');
    writeFileSync(file, '# 张三\n\n张三是一个虚构的侠客，生于江南，擅长剑术，喜欢结交朋友。');
    // --user finds the account as sign-in does: any case or width variant of the name.
    const text = await cli('张三', '--source', 'text', '--file', file, '--user', 'ＣＬＩ_Owner');
    expect(text.stdout.trim()).toMatch(/^\d+$/);
    expect(new Set([baike.stdout, wiki.stdout, text.stdout]).size).toBe(3);

    const missing = await cli('查无此人', '--source', 'baike');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('not_found');
  }, 120_000); // five CLI processes
});
