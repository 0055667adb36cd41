import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSafeFetcher, type SafeFetcher } from '../../../src/infra/fetch/safe-fetcher.js';
import { isAppError } from '../../../src/errors.js';
import { Metrics } from '../../../src/infra/metrics.js';
import { startFixtureServer, type FixtureServer } from '../../support/fixture-server.js';
import { waitFor } from '../../support/wait.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'no error';
  } catch (err) {
    return isAppError(err) ? err.code : `${(err as Error).name}: ${(err as Error).message}`;
  }
}

/** A server that is not on the allow-list and counts what reaches it. */
async function startOutsider(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.end('secret internal page');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('safe fetcher', () => {
  let fx: FixtureServer;
  let fetcher: SafeFetcher;
  let metrics: Metrics;
  const opts = { source: 'test' };

  beforeAll(async () => {
    fx = await startFixtureServer();
    metrics = new Metrics({ defaultMetrics: false });
    fetcher = createSafeFetcher({ allowedBaseUrls: [fx.baikeBaseUrl, fx.zhwikiBaseUrl], timeoutMs: 1500, maxBytes: 64 * 1024, retries: 2, backoffMs: 20, metrics });
  });
  afterAll(async () => {
    await fetcher.close();
    await fx.close();
  });

  it('fetches a page on an allowed host and decompresses gzip', async () => {
    const page = await fetcher.get(`${fx.baikeBaseUrl}/__gzip`, opts);
    expect(page.status).toBe(200);
    expect(page.body).toContain('压缩的页面');
  });

  it('refuses hosts off the list before connecting: other ports, private addresses, other schemes, credentials', async () => {
    const outsider = await startOutsider();
    try {
      for (const url of [outsider.url, 'http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'file:///etc/passwd', `${fx.baikeBaseUrl.replace('http://', 'http://user:pw@')}/`]) {
        expect(await codeOf(fetcher.get(url, opts)), url).toBe('source_blocked:host_not_allowed');
      }
      expect(outsider.hits()).toBe(0);
      expect(fetcher.isAllowed(`${fx.zhwikiBaseUrl}/w/api.php`)).toBe(true);
    } finally {
      await outsider.close();
    }
  });

  it('follows redirects within allowed hosts, refuses one to another host without reaching it', async () => {
    const hop = await fetcher.get(`${fx.baikeBaseUrl}/__redirect?to=${encodeURIComponent(`${fx.zhwikiBaseUrl}/__gzip`)}`, opts);
    expect(hop.url).toBe(`${fx.zhwikiBaseUrl}/__gzip`);
    const outsider = await startOutsider();
    try {
      const code = await codeOf(fetcher.get(`${fx.baikeBaseUrl}/__redirect?to=${encodeURIComponent(outsider.url + '/admin')}`, opts));
      expect(code).toBe('source_blocked:host_not_allowed');
      expect(outsider.hits()).toBe(0);
    } finally {
      await outsider.close();
    }
  });

  it('refuses an allowed host name that resolves to a private address', async () => {
    const port = new URL(fx.baikeBaseUrl).port;
    const rebinding = createSafeFetcher({
      allowedBaseUrls: [`http://baike.example.com:${port}`],
      timeoutMs: 1000,
      maxBytes: 1024,
      retries: 0,
      lookup: (_host, _o, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]),
    });
    try {
      const before = fx.requests.length;
      expect(await codeOf(rebinding.get(`http://baike.example.com:${port}/item/李白`, opts))).toBe('source_blocked:private_address');
      expect(fx.requests.length).toBe(before);
    } finally {
      await rebinding.close();
    }
  });

  it('stops reading past the size limit', async () => {
    // A patient fetcher (no timeout in play): too_large, and the answer comes, so it stopped reading early.
    const patient = createSafeFetcher({ allowedBaseUrls: [fx.baikeBaseUrl], timeoutMs: 120_000, maxBytes: 64 * 1024, retries: 0, backoffMs: 20 });
    try {
      expect(await codeOf(patient.get(`${fx.baikeBaseUrl}/__big?bytes=50000000000`, opts))).toBe('source_unavailable:too_large');
    } finally {
      await patient.close();
    }
    const ok = await fetcher.get(`${fx.baikeBaseUrl}/__big?bytes=60000`, opts);
    expect(ok.body.length).toBe(60000);
  });

  it('gives up at the total timeout when headers or the body do not come', async () => {
    // Headers that would come after 10 minutes, and a body that never ends: only the timeout ends these.
    expect(await codeOf(fetcher.get(`${fx.baikeBaseUrl}/__slow?ms=600000`, opts))).toBe('source_unavailable:unreachable');
    expect(await codeOf(fetcher.get(`${fx.baikeBaseUrl}/__stall`, opts))).toBe('source_unavailable:unreachable');
  });

  it('retries 5xx with backoff and succeeds; reports upstream after the last retry', async () => {
    const page = await fetcher.get(`${fx.baikeBaseUrl}/__flaky?key=a&fail=2`, opts);
    expect(page.body).toContain('ok after 3');
    expect(await codeOf(fetcher.get(`${fx.baikeBaseUrl}/__flaky?key=b&fail=5`, opts))).toBe('source_unavailable:upstream');
    expect(fx.requests.filter((r) => r.includes('key=b'))).toHaveLength(3);
  });

  it('reports 403 at once and 429 after retries as blocked', async () => {
    const before = fx.requests.length;
    expect(await codeOf(fetcher.get(`${fx.baikeBaseUrl}/__status?code=403`, opts))).toBe('source_blocked:forbidden');
    expect(fx.requests.length - before).toBe(1);
    expect(await codeOf(fetcher.get(`${fx.baikeBaseUrl}/__status?code=429&retryAfter=0`, opts))).toBe('source_blocked:rate_limited');
    expect(fx.requests.length - before).toBe(4);
  });

  it('recognises verification pages by marker and by redirect host', async () => {
    const markers = { ...opts, blockedMarkers: ['<title>百度安全验证</title>'], blockedRedirectHosts: ['wappass.baidu.com'] };
    expect(await codeOf(fetcher.get(`${fx.baikeBaseUrl}/item/验证码`, markers))).toBe('source_blocked:captcha');
    expect(await codeOf(fetcher.get(`${fx.baikeBaseUrl}/item/验证跳转`, markers))).toBe('source_blocked:captcha');
  });

  it('reports a closed port as unreachable after retries', async () => {
    const outsider = await startOutsider();
    await outsider.close();
    const closed = createSafeFetcher({ allowedBaseUrls: [outsider.url], timeoutMs: 2000, maxBytes: 1024, retries: 1, backoffMs: 10 });
    try {
      expect(await codeOf(closed.get(`${outsider.url}/item/x`, opts))).toBe('source_unavailable:unreachable');
    } finally {
      await closed.close();
    }
  });

  it('passes a caller abort through instead of retrying', async () => {
    const ac = new AbortController();
    const before = fx.requests.filter((r) => r.includes('__slow')).length;
    const pending = codeOf(fetcher.get(`${fx.baikeBaseUrl}/__slow?ms=600000`, { ...opts, signal: ac.signal }));
    // Abort once the request is in flight; the answer would take 10 minutes, so only the abort can end it.
    await waitFor(async () => fx.requests.filter((r) => r.includes('__slow')).length > before);
    ac.abort(new Error('cancelled by user'));
    expect(await pending).toBe('Error: cancelled by user');
    expect(fx.requests.filter((r) => r.includes('__slow')).length).toBe(before + 1);
  });

  it('counts requests by outcome', async () => {
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/fastnpc_source_requests_total\{source="test",outcome="source_blocked:forbidden"\} 1/);
    expect(text).toMatch(/fastnpc_source_requests_total\{source="test",outcome="200"\}/);
  });
});
