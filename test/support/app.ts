/**
 * Builds the real app on a free port for a test (real HTTP, real database), with a small HTTP
 * client that keeps the session cookie like a browser.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadConfig, type Config } from '../../src/config.js';
import { buildApp, type AppContext, type BuildOptions } from '../../src/app.js';
import { createPgDatabase, type Dialect } from './services.js';

export interface TestApp {
  url: string;
  app: FastifyInstance;
  ctx: AppContext;
  config: Config;
  client(): TestClient;
  /**
   * A restart, as after a crash: this app stops (its database and files stay) and a new one starts
   * on the same data and the same port, so clients and their cookies carry on.
   */
  reopen(): Promise<TestApp>;
  close(): Promise<void>;
}

export async function startTestApp(dialect: Dialect, env: Record<string, string> = {}, options: BuildOptions = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-test-'));
  const pgDb = dialect === 'postgres' ? await createPgDatabase() : undefined;
  const config = loadConfig(
    {
      FASTNPC_DATA_DIR: dataDir,
      FASTNPC_LOG_LEVEL: 'silent',
      FASTNPC_AUTH_RATE_PER_MIN: '0',
      FASTNPC_CHAT_RATE_PER_MIN: '0',
      FASTNPC_SECRET: 'test-secret-0123456789-0123456789-abcdef',
      ...(pgDb ? { DATABASE_URL: pgDb.url } : {}),
      ...env,
    },
    { ensureSecret: false },
  );
  const drop = async () => {
    await pgDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  return listen(config, options, 0, drop);
}

async function listen(config: Config, options: BuildOptions, port: number, drop: () => Promise<void>): Promise<TestApp> {
  const { app, ctx } = await buildApp(config, { logger: false, ...options });
  await app.listen({ host: '127.0.0.1', port });
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${bound}`;
  return {
    url,
    app,
    ctx,
    config,
    client: () => new TestClient(url),
    async reopen() {
      await app.close();
      return listen(config, options, bound, drop);
    },
    async close() {
      await app.close();
      await drop();
    },
  };
}

export interface Res<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export class TestClient {
  cookie = '';
  constructor(readonly base: string) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Res<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.cookie) h.cookie = this.cookie;
    let payload: BodyInit | undefined;
    if (body instanceof FormData || typeof body === 'string' || body instanceof Uint8Array) payload = body as BodyInit;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.base + path, { method, headers: h, body: payload });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) {
      const m = /fastnpc_session=([^;]*)/.exec(setCookie);
      if (m) this.cookie = m[1] ? `fastnpc_session=${m[1]}` : '';
    }
    const text = await res.text();
    let parsed: any = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: parsed, text };
  }

  get = <T = any>(p: string, h?: Record<string, string>) => this.request<T>('GET', p, undefined, h);
  post = <T = any>(p: string, b?: unknown, h?: Record<string, string>) => this.request<T>('POST', p, b, h);
  put = <T = any>(p: string, b?: unknown, h?: Record<string, string>) => this.request<T>('PUT', p, b, h);
  patch = <T = any>(p: string, b?: unknown, h?: Record<string, string>) => this.request<T>('PATCH', p, b, h);
  del = <T = any>(p: string, b?: unknown, h?: Record<string, string>) => this.request<T>('DELETE', p, b, h);

  /** Registers a fresh user (unique name) and keeps its session. */
  async register(username = `u_${Math.random().toString(36).slice(2, 10)}`, password = 'correct horse battery'): Promise<{ id: number; username: string; isAdmin: boolean }> {
    const r = await this.post('/api/auth/register', { username, password });
    if (r.status !== 201) throw new Error(`register failed: ${r.status} ${r.text}`);
    return r.body.user;
  }
}
