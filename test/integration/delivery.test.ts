/**
 * Delivery (#17, #19): hashed assets cached for a year, index.html revalidated, precompressed
 * Brotli/gzip chosen by Accept-Encoding, no source maps, API JSON compressed above a threshold
 * (never the SSE streams), and X-Forwarded-For believed only from FASTNPC_TRUST_PROXY.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { startTestApp, type TestApp } from '../support/app.js';
import { importCard } from '../support/characters.js';
import { pickEncoding } from '../../src/http/static.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request whose body is not decoded (fetch would undo the Content-Encoding we are testing). */
function raw(url: string, headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const decode = (r: Raw) => (r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.body) : r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body).toString();

describe('static files and compression', () => {
  let t: TestApp;
  let web: string;
  const script = `console.log(${JSON.stringify('角色'.repeat(2000))});\n`;
  const index = `<!doctype html><html><head><script type="module" src="/assets/app-1a2b3c.js"></script></head><body>${'<!-- padding -->'.repeat(100)}</body></html>`;

  beforeAll(async () => {
    web = mkdtempSync(join(tmpdir(), 'fastnpc-web-'));
    mkdirSync(join(web, 'assets'));
    writeFileSync(join(web, 'index.html'), index);
    writeFileSync(join(web, 'assets', 'app-1a2b3c.js'), script);
    writeFileSync(join(web, 'assets', 'app-1a2b3c.js.map'), '{"version":3,"sources":["secret.ts"]}');
    writeFileSync(join(web, 'assets', 'tiny-9f8e7d.css'), 'body{}');
    mkdirSync(join(web, '.vite'));
    writeFileSync(join(web, '.vite', 'manifest.json'), '{"src/secret.tsx":{"file":"assets/app-1a2b3c.js","isEntry":true}}');
    execFileSync(process.execPath, ['scripts/precompress.mjs', web]);
    t = await startTestApp('sqlite', { FASTNPC_WEB_DIR: web, FASTNPC_CHAT_RATE_PER_MIN: '0' }, { offlineChunkDelayMs: 0 });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(web, { recursive: true, force: true });
  });

  it('serves hashed assets precompressed, immutable for a year', async () => {
    for (const [accept, encoding] of [['gzip, deflate, br', 'br'], ['gzip', 'gzip'], ['identity', undefined], ['br;q=0, gzip;q=0.5', 'gzip']] as const) {
      const r = await raw(`${t.url}/assets/app-1a2b3c.js`, { 'accept-encoding': accept });
      expect(r.status, accept).toBe(200);
      expect(r.headers['content-encoding'], accept).toBe(encoding);
      expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(r.headers['content-type']).toMatch(/javascript/);
      expect(r.headers.vary ?? '').toMatch(/accept-encoding/i);
      expect(decode(r)).toBe(script);
      if (encoding) expect(r.body.length).toBeLessThan(Buffer.byteLength(script) / 4);
    }
    // Too small to be worth compressing: sent as is, still immutable.
    const tiny = await raw(`${t.url}/assets/tiny-9f8e7d.css`, { 'accept-encoding': 'br' });
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(tiny.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('revalidates index.html, also for client-side routes', async () => {
    for (const path of ['/', '/index.html', '/characters/12/chat']) {
      const r = await raw(`${t.url}${path}`, { 'accept-encoding': 'br' });
      expect(r.status, path).toBe(200);
      expect(r.headers['cache-control'], path).toBe('no-cache');
      expect(r.headers['content-type']).toMatch(/text\/html/);
      expect(decode(r)).toBe(index);
    }
  });

  it('never serves source maps, nor the build manifest (source paths)', async () => {
    const r = await raw(`${t.url}/assets/app-1a2b3c.js.map`);
    expect(r.status).toBe(404);
    expect(r.body.toString()).not.toContain('secret.ts');
    const manifest = await raw(`${t.url}/.vite/manifest.json`);
    expect(manifest.body.toString()).not.toContain('secret.tsx');
  });

  it('compresses API JSON above the threshold only, and not for clients that do not accept it', async () => {
    const doc = await raw(`${t.url}/openapi.json`, { 'accept-encoding': 'gzip, br' });
    expect(doc.headers['content-encoding']).toBe('br');
    expect(doc.headers.vary).toMatch(/accept-encoding/i);
    expect(JSON.parse(decode(doc)).openapi).toMatch(/^3\./);
    const plain = await raw(`${t.url}/openapi.json`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(plain.body.toString()).paths).toBeTruthy();
    const small = await raw(`${t.url}/api/auth/me`, { 'accept-encoding': 'br' });
    expect(small.status).toBe(401);
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(small.body.toString()).error.code).toBe('unauthorized');
  });

  it('streams chat replies uncompressed even when the client accepts Brotli', async () => {
    const c = t.client();
    await c.register();
    const character = await importCard(c, '李白');
    const r = await raw(`${t.url}/api/characters/${character.id}/messages`, { cookie: c.cookie, 'content-type': 'application/json', accept: 'text/event-stream', 'accept-encoding': 'br, gzip' }, 'POST', JSON.stringify({ content: '你好' }));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/text\/event-stream/);
    expect(r.headers['content-encoding']).toBeUndefined();
    expect(r.body.toString()).toMatch(/event: done/);
  });

  it('reads Accept-Encoding with q-values', () => {
    expect(pickEncoding(undefined)).toBeUndefined();
    expect(pickEncoding('gzip, deflate, br, zstd')).toBe('br');
    expect(pickEncoding('br;q=0, gzip')).toBe('gzip');
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding('*;q=0, identity')).toBeUndefined();
    expect(pickEncoding('deflate')).toBeUndefined();
  });
});

describe('FASTNPC_TRUST_PROXY', () => {
  const apps: TestApp[] = [];
  afterAll(async () => Promise.all(apps.map((a) => a.close())));

  /** Two failed logins from two forwarded addresses against a limit of one: which ones are refused. */
  async function refusals(trust: string): Promise<number[]> {
    const t = await startTestApp('sqlite', { FASTNPC_AUTH_RATE_PER_MIN: '1', ...(trust ? { FASTNPC_TRUST_PROXY: trust } : {}) });
    apps.push(t);
    const statuses: number[] = [];
    for (const ip of ['203.0.113.1', '203.0.113.2']) {
      const r = await t.client().post('/api/auth/login', { username: 'nobody', password: 'wrong password' }, { 'x-forwarded-for': ip });
      statuses.push(r.status);
    }
    return statuses;
  }

  // Each case starts an app and hashes passwords: slow on a loaded machine, hence the long timeouts.
  it('limits per client address when the proxy is trusted', async () => {
    expect(await refusals('127.0.0.1')).toEqual([401, 401]);
  }, 90_000);

  it('ignores X-Forwarded-For when no proxy is trusted, so a client cannot pick its own rate-limit key', async () => {
    expect(await refusals('')).toEqual([401, 429]);
  }, 90_000);

  it('ignores X-Forwarded-For from an address that is not the trusted proxy', async () => {
    expect(await refusals('10.9.8.7')).toEqual([401, 429]);
  }, 90_000);
});
