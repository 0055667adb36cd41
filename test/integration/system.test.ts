import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIALECTS, createPgDatabase } from '../support/services.js';
import { startTestApp, type TestApp } from '../support/app.js';

const run = promisify(execFile);

describe.each(DIALECTS)('system routes on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => t?.close());

  it('answers health, readiness and Prometheus metrics', async () => {
    const c = t.client();
    expect((await c.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await c.get('/readyz')).body).toMatchObject({ status: 'ok', checks: { database: 'ok' } });
    await c.get('/api/auth/me');
    const m = await c.get('/metrics');
    expect(m.status).toBe(200);
    expect(m.text).toContain('process_cpu_seconds_total');
    expect(m.text).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/api\/auth\/me"[^}]*status="401"/);
    expect(m.text).toContain('db_pool_connections_in_use');
    expect(m.text).toContain('db_pool_waiting');
  });

  it('lists every route in the OpenAPI document, with schemas, and serves the docs', async () => {
    const doc = (await t.client().get('/openapi.json')).body;
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries<any>(doc.paths)) for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${path}`);
    const expected = t.ctx.routes.filter((r) => !r.hidden && !r.url.startsWith('/docs') && r.url !== '*' && !r.url.includes('*'));
    expect(expected.length).toBeGreaterThan(30);
    for (const r of expected) expect(documented, `${r.method} ${r.url}`).toContain(`${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`);
    expect(doc.paths['/api/auth/register'].post.responses['201']).toBeTruthy();
    const docs = await fetch(`${t.url}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain('swagger');
  });

  it('sends security headers and no CORS unless configured', async () => {
    const r = await fetch(`${t.url}/api/auth/me`, { headers: { origin: 'https://evil.example' } });
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toContain("default-src 'self'");
    // The whole set helmet makes for our policy (computed once at start, set on every response).
    expect(r.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(r.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(r.headers.get('x-dns-prefetch-control')).toBe('off');
    expect(r.headers.get('cross-origin-embedder-policy')).toBeNull();
    // Plain HTTP here: no HSTS and no upgrade of a LAN address to HTTPS.
    expect(r.headers.get('strict-transport-security')).toBeNull();
    expect(r.headers.get('content-security-policy')).not.toContain('upgrade-insecure-requests');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.headers.get('cache-control')).toBe('no-store');
  });
});

describe('migrations', () => {
  it.each(DIALECTS)('run from empty with `fastnpc migrate` on %s, then report up to date', async (dialect) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-migrate-'));
    const pgDb = dialect === 'postgres' ? await createPgDatabase() : undefined;
    const env = { ...process.env, FASTNPC_DATA_DIR: dataDir, ...(pgDb ? { DATABASE_URL: pgDb.url } : { DATABASE_URL: '' }) };
    try {
      const first = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], { env });
      expect(first.stdout).toContain('applied: 0001-initial');
      const second = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], { env });
      expect(second.stdout).toContain('up to date');
    } finally {
      await pgDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000); // two tsx start-ups

  it('refuses to start with a bad setting, naming it', async () => {
    const r = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], { env: { ...process.env, FASTNPC_PORT: 'abc', FASTNPC_DB_POOL_MAX: '0' } }).catch((e) => e);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('FASTNPC_PORT');
    expect(r.stderr).toContain('FASTNPC_DB_POOL_MAX');
  }, 120_000);
});
