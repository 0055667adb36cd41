/**
 * Starts what the browser tests talk to, each on a free port: the mock LLM, the fixture
 * encyclopedia server and the built server (`node dist/src/cli.js serve`) with a fresh data dir.
 * Also usable by hand: `npx tsx test/e2e/stack.ts` prints the URL and keeps running.
 *
 * FASTNPC_E2E_VITE=1 serves dist/web from Vite's preview server (proxying the API) instead of the
 * server's own static route — for checking the app when the server cannot serve it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startMockLlm } from '../../tools/mock-llm.js';
import { startFixtureServer } from '../support/fixture-server.js';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export interface Stack {
  baseUrl: string;
  /** The server's data folder (its SQLite database): a bench seeds long chats there directly. */
  dataDir: string;
  logs: () => string;
  /** Stops the fixture encyclopedia: from then on Baike and Wikipedia are unreachable from the server. */
  stopFixtures: () => Promise<void>;
  close: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export async function startStack(): Promise<Stack> {
  const cli = join(ROOT, 'dist', 'src', 'cli.js');
  if (!existsSync(cli) || !existsSync(join(ROOT, 'dist', 'web', 'index.html'))) {
    throw new Error('The built server or web app is missing: run `npm run build` first (npm test does).');
  }
  const llm = await startMockLlm({ port: 0, ttftMs: 150, tokens: 40, tps: 60 });
  const fixtures = await startFixtureServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-e2e-'));
  const port = await freePort();
  const viaVite = process.env.FASTNPC_E2E_VITE === '1';
  let out = '';
  const child: ChildProcess = spawn(process.execPath, [cli, 'serve'], {
    cwd: ROOT,
    env: {
      ...process.env,
      FASTNPC_PORT: String(port),
      FASTNPC_HOST: '127.0.0.1',
      FASTNPC_DATA_DIR: dataDir,
      FASTNPC_LLM_BASE_URL: llm.url.endsWith('/v1') ? llm.url : `${llm.url}/v1`,
      FASTNPC_LLM_API_KEY: 'test',
      FASTNPC_BAIKE_BASE_URL: fixtures.baikeBaseUrl,
      FASTNPC_ZHWIKI_BASE_URL: fixtures.zhwikiBaseUrl,
      FASTNPC_BUNDLED_SOURCES: 'off',
      FASTNPC_AUTH_RATE_PER_MIN: '0',
      FASTNPC_LOG_LEVEL: 'warn',
      ...(viaVite ? { FASTNPC_WEB_DIR: join(dataDir, 'no-web') } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const apiUrl = `http://127.0.0.1:${port}`;
  let baseUrl = apiUrl;
  let closePreview: () => Promise<void> = async () => undefined;
  let fixturesStopped: Promise<void> | undefined;
  const stopFixtures = () => (fixturesStopped ??= fixtures.close());

  const close = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise<void>((r) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          r();
        }, 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          r();
        });
      });
    }
    await Promise.allSettled([llm.close(), fixturesStopped ?? fixtures.close(), closePreview()]);
    rmSync(dataDir, { recursive: true, force: true });
  };

  // Generous: on a loaded two-core machine the first start (migrations, bundles) takes a while.
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`the server exited with ${child.exitCode}:\n${out}`);
    }
    try {
      const r = await fetch(`${apiUrl}/healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`the server did not become healthy in 90 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (viaVite) {
    const { preview } = await import('vite');
    const proxy = Object.fromEntries(['/api', '/healthz', '/docs', '/openapi.json'].map((p) => [p, { target: apiUrl }]));
    const server = await preview({ configFile: join(ROOT, 'web', 'vite.config.ts'), preview: { port: await freePort(), host: '127.0.0.1', proxy } });
    baseUrl = server.resolvedUrls?.local[0]?.replace(/\/$/, '') ?? baseUrl;
    closePreview = () => new Promise<void>((r) => server.httpServer.close(() => r()));
  }
  return { baseUrl, dataDir, logs: () => out, stopFixtures, close };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const s = await startStack();
  process.stdout.write(`FastNPC test stack at ${s.baseUrl} (Ctrl+C to stop)\n`);
  const stop = () => void s.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The browser suites' page: a zh-CN desktop in the light theme, 15 s waits, page errors collected into `errors`. */
export async function openPage(browser: Browser, errors: string[]): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN', colorScheme: 'light', acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => errors.push(e.message));
  return page;
}

/** Debian's Chromium, headless, with the flags DESIGN §9 names (a missing browser is a failure, not a skip). */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync', ...extraArgs],
  });
}
