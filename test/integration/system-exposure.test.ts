/**
 * What /readyz and /metrics tell whom: connection errors (hosts, ports) only to loopback callers
 * and administrators; metrics only to loopback callers, token holders, or anyone when made public.
 * Remote callers are simulated two ways: a proxy header over real HTTP, and a non-loopback socket
 * address through Fastify's injector.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/services.js';
import { startTestApp, type TestApp } from '../support/app.js';

const REMOTE = '203.0.113.9';
const failingRedis = { name: 'redis', critical: false, check: async () => Promise.reject(new Error('connect ECONNREFUSED 10.1.2.3:6379')) };

describe.each(DIALECTS)('/readyz details on %s', (dialect) => {
  let t: TestApp;
  let adminCookie: string;
  let userCookie: string;
  beforeAll(async () => {
    t = await startTestApp(dialect, {}, { readiness: [failingRedis] });
    const admin = t.client();
    expect((await admin.register()).isAdmin).toBe(true);
    adminCookie = admin.cookie;
    const user = t.client();
    await user.register();
    userCookie = user.cookie;
  });
  afterAll(async () => t?.close());

  const remoteReadyz = async (cookie?: string) => {
    const r = await t.app.inject({ method: 'GET', url: '/readyz', remoteAddress: REMOTE, headers: cookie ? { cookie } : {} });
    return { status: r.statusCode, body: r.json(), text: r.body };
  };

  it('shows error details to loopback callers', async () => {
    const r = await t.client().get('/readyz');
    expect(r.body).toEqual({ status: 'degraded', checks: { database: 'ok', redis: 'error: connect ECONNREFUSED 10.1.2.3:6379' } });
  });

  it('shows only the status to anonymous and non-admin remote callers', async () => {
    for (const r of [await remoteReadyz(), await remoteReadyz(userCookie), await t.client().get('/readyz', { 'x-forwarded-for': REMOTE })]) {
      expect(r.body).toEqual({ status: 'degraded', checks: { database: 'ok', redis: 'error' } });
      expect(r.text).not.toContain('10.1.2.3');
    }
  });

  it('shows details to administrators wherever they call from', async () => {
    expect((await remoteReadyz(adminCookie)).body.checks.redis).toBe('error: connect ECONNREFUSED 10.1.2.3:6379');
  });
});

describe('/metrics access', () => {
  const apps: TestApp[] = [];
  const start = async (env: Record<string, string> = {}) => {
    const t = await startTestApp('sqlite', env);
    apps.push(t);
    return t;
  };
  const remoteMetrics = (t: TestApp, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: '/metrics', remoteAddress: REMOTE, headers });
  afterAll(async () => {
    for (const t of apps) await t.close();
  });

  it('answers loopback callers and refuses remote ones by default', async () => {
    const t = await start();
    const local = await t.client().get('/metrics');
    expect(local.status).toBe(200);
    expect(local.text).toContain('process_cpu_seconds_total');
    const remote = await remoteMetrics(t);
    expect(remote.statusCode).toBe(403);
    expect(remote.json().error.code).toBe('forbidden:metrics');
    expect(remote.body).not.toContain('process_cpu_seconds_total');
    expect((await t.client().get('/metrics', { 'x-forwarded-for': REMOTE })).status).toBe(403);
  });

  it('answers remote callers with the bearer token, 401 without it', async () => {
    const t = await start({ FASTNPC_METRICS_TOKEN: 'scrape-secret-123' });
    expect((await remoteMetrics(t)).statusCode).toBe(401);
    expect((await remoteMetrics(t, { authorization: 'Bearer wrong' })).statusCode).toBe(401);
    const ok = await remoteMetrics(t, { authorization: 'Bearer scrape-secret-123' });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('process_cpu_seconds_total');
    expect((await t.client().get('/metrics')).status).toBe(200);
  });

  it('answers everyone with FASTNPC_METRICS_PUBLIC=true', async () => {
    const t = await start({ FASTNPC_METRICS_PUBLIC: 'true' });
    expect((await remoteMetrics(t)).statusCode).toBe(200);
  });
});
