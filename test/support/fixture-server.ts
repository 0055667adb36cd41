/**
 * Local stand-ins for Baidu Baike and Chinese Wikipedia, serving the recorded fixtures in
 * test/fixtures/sources at the paths the real sites use. Two servers on port 0 (two origins, as in
 * production), plus test-only routes under `/__…` on both for the fetcher's failure modes.
 *
 * Baike:  /item/{name}, /item/{name}/{lemmaId}, /search?word=, /search/none (unknown names land here).
 * zhwiki: /w/api.php — action=query&titles= (from pages.json), action=query&list=search (search-{term}.json),
 *         action=parse&pageid= (parse-{id}.json); anything else answers a MediaWiki error object.
 * Test routes: /__slow?ms= (headers late), /__stall (headers, then a body that never ends),
 *         /__big?bytes= (streams that many bytes), /__flaky?key=&fail=N (503 N times, then 200),
 *         /__status?code=, /__redirect?to=, /__gzip (gzip body), /__captcha-redirect.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sources');

export function readFixture(path: string): string {
  return readFileSync(join(FIXTURE_DIR, path), 'utf8');
}

/** Baike pages by lemma id (for /item/{any}/{id}). */
const BAIKE_BY_ID: Record<string, string> = {
  '1043': 'li-bai.html',
  '20395283': 'li-bai-song.html',
  '7099': 'sun-wukong.html',
  '21048': 'zhuge-liang-legacy.html',
  '65553': 'su-shi.html',
  '5757': 'hua-mulan.html',
  '16927': 'zhang-wei-actor.html',
  '126263': 'lin-daiyu.html',
  '5977': 'sherlock-holmes.html',
  '1': 'empty.html',
};

/** Baike default pages by name (for /item/{name}); a string starting with `→` is a redirect target. */
const BAIKE_BY_NAME: Record<string, string | number> = {
  李白: 'li-bai.html',
  孙悟空: 'sun-wukong.html',
  诸葛亮: 'zhuge-liang-legacy.html',
  苏轼: 'su-shi.html',
  花木兰: '→/item/%E8%8A%B1%E6%9C%A8%E5%85%B0/5757',
  张伟: 'zhang-wei-polysemant.html',
  林黛玉: 'lin-daiyu.html',
  '夏洛克·福尔摩斯': 'sherlock-holmes.html',
  空条目: 'empty.html',
  验证码: 'captcha.html',
  封禁: 403,
  限流: 429,
  故障: 500,
  验证跳转: '→https://wappass.baidu.com/static/captcha/tuxing.html?ak=x&backurl=y',
};

const BAIKE_SEARCH: Record<string, string> = { 福尔摩斯: 'search-fuermosi.html' };

interface WikiPageRow {
  title: string;
  pageid?: number;
  description?: string;
  disambiguation?: boolean;
  redirect?: string;
}

export interface FixtureServer {
  baikeBaseUrl: string;
  zhwikiBaseUrl: string;
  /** Every request as `baike GET /item/…` or `zhwiki GET /w/api.php?…` (path decoded). */
  requests: string[];
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/html; charset=utf-8', headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, obj: unknown) {
  send(res, 200, JSON.stringify(obj), 'application/json; charset=utf-8');
}

/** Test-only routes; returns true when it answered. */
function testRoute(url: URL, res: ServerResponse, flaky: Map<string, number>): boolean {
  const q = url.searchParams;
  switch (url.pathname) {
    case '/__slow': {
      const t = setTimeout(() => send(res, 200, '<html><body>slow</body></html>'), Number(q.get('ms') ?? 2000));
      res.on('close', () => clearTimeout(t));
      return true;
    }
    case '/__stall':
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<html><body>');
      return true;
    case '/__big': {
      const total = Number(q.get('bytes') ?? 1_000_000);
      res.writeHead(200, { 'content-type': 'text/html' });
      const chunk = Buffer.alloc(16 * 1024, 'a');
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const part = chunk.subarray(0, Math.min(chunk.length, total - sent));
          sent += part.length;
          if (!res.write(part)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => undefined);
      pump();
      return true;
    }
    case '/__flaky': {
      const key = q.get('key') ?? 'default';
      const seen = (flaky.get(key) ?? 0) + 1;
      flaky.set(key, seen);
      if (seen <= Number(q.get('fail') ?? 2)) send(res, 503, 'unavailable', 'text/plain');
      else send(res, 200, `<html><body>ok after ${seen}</body></html>`);
      return true;
    }
    case '/__status':
      send(res, Number(q.get('code') ?? 500), 'status', 'text/plain', q.get('retryAfter') ? { 'retry-after': q.get('retryAfter')! } : {});
      return true;
    case '/__redirect':
      res.writeHead(302, { location: q.get('to') ?? '/' });
      res.end();
      return true;
    case '/__gzip': {
      const body = gzipSync(Buffer.from('<html><body>压缩的页面</body></html>'));
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-encoding': 'gzip', 'content-length': body.length });
      res.end(body);
      return true;
    }
  }
  return false;
}

function baikeHandler(url: URL, res: ServerResponse) {
  const path = decodeURIComponent(url.pathname);
  const byId = /^\/item\/[^/]+\/(\d+)\/?$/.exec(path);
  if (byId) {
    const file = BAIKE_BY_ID[byId[1]!];
    if (file) return send(res, 200, readFixture(`baike/${file}`));
    res.writeHead(302, { location: `/search/none?word=${encodeURIComponent(path.split('/')[2] ?? '')}` });
    return res.end();
  }
  const byName = /^\/item\/([^/]+)\/?$/.exec(path);
  if (byName) {
    const entry = BAIKE_BY_NAME[byName[1]!];
    if (typeof entry === 'number') return send(res, entry, `<html><body>${entry}</body></html>`);
    if (typeof entry === 'string' && entry.startsWith('→')) {
      res.writeHead(302, { location: entry.slice(1) });
      return res.end();
    }
    if (entry) return send(res, 200, readFixture(`baike/${entry}`));
    res.writeHead(302, { location: `/search/none?word=${encodeURIComponent(byName[1]!)}` });
    return res.end();
  }
  if (path === '/search/none') return send(res, 200, readFixture('baike/not-found.html'));
  if (path === '/search') {
    const file = BAIKE_SEARCH[url.searchParams.get('word') ?? ''] ?? 'search-empty.html';
    return send(res, 200, readFixture(`baike/${file}`));
  }
  return send(res, 404, '<html><body>404</body></html>');
}

function wikiHandler(url: URL, res: ServerResponse) {
  if (url.pathname !== '/w/api.php') return send(res, 404, 'not found', 'text/plain');
  const q = url.searchParams;
  if (q.get('format') !== 'json' || q.get('formatversion') !== '2') {
    return sendJson(res, { error: { code: 'badformat', info: 'fixtures exist for format=json&formatversion=2 only' } });
  }
  const action = q.get('action');
  if (action === 'query' && q.get('list') === 'search') {
    try {
      return send(res, 200, readFixture(`zhwiki/search-${q.get('srsearch')}.json`), 'application/json; charset=utf-8');
    } catch {
      return sendJson(res, { batchcomplete: true, query: { searchinfo: { totalhits: 0 }, search: [] } });
    }
  }
  if (action === 'query' && q.has('titles')) {
    const rows = (JSON.parse(readFixture('zhwiki/pages.json')) as { pages: WikiPageRow[] }).pages;
    const byTitle = new Map(rows.map((r) => [r.title, r]));
    const normalized: { from: string; to: string }[] = [];
    const redirects: { from: string; to: string }[] = [];
    const pages: Record<string, unknown>[] = [];
    for (const raw of q.get('titles')!.split('|')) {
      let title = raw.replace(/_/g, ' ').trim();
      if (title !== raw) normalized.push({ from: raw, to: title });
      const row = byTitle.get(title);
      if (row?.redirect && q.get('redirects')) {
        redirects.push({ from: title, to: row.redirect });
        title = row.redirect;
      }
      const target = byTitle.get(title);
      if (pages.some((p) => p.title === title)) continue;
      if (!target?.pageid) {
        pages.push({ ns: 0, title, missing: true });
        continue;
      }
      const page: Record<string, unknown> = { pageid: target.pageid, ns: 0, title };
      if (target.disambiguation && q.get('prop')?.includes('pageprops')) page.pageprops = { disambiguation: '' };
      if (target.description && q.get('prop')?.includes('description')) Object.assign(page, { description: target.description, descriptionsource: 'local' });
      pages.push(page);
    }
    const query: Record<string, unknown> = { pages };
    if (normalized.length) query.normalized = normalized;
    if (redirects.length) query.redirects = redirects;
    return sendJson(res, { batchcomplete: true, query });
  }
  if (action === 'parse' && q.has('pageid')) {
    try {
      return send(res, 200, readFixture(`zhwiki/parse-${q.get('pageid')}.json`), 'application/json; charset=utf-8');
    } catch {
      return sendJson(res, { error: { code: 'nosuchpageid', info: `There is no page with ID ${q.get('pageid')}.` } });
    }
  }
  return sendJson(res, { error: { code: 'badvalue', info: 'unsupported fixture request' } });
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const requests: string[] = [];
  const flaky = new Map<string, number>();
  const servers: Server[] = [];
  const make = (label: string, handler: (url: URL, res: ServerResponse) => void) =>
    createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://fixture.local');
      let shown = url.pathname;
      try {
        shown = decodeURIComponent(url.pathname);
      } catch {
        /* keep raw */
      }
      requests.push(`${label} ${req.method} ${shown}${url.search ? decodeURIComponent(url.search.replace(/\+/g, ' ')) : ''}`);
      if (testRoute(url, res, flaky)) return;
      handler(url, res);
    });
  const baike = make('baike', baikeHandler);
  const wiki = make('zhwiki', wikiHandler);
  servers.push(baike, wiki);
  const [baikeBaseUrl, zhwikiBaseUrl] = await Promise.all([listen(baike), listen(wiki)]);
  return {
    baikeBaseUrl: baikeBaseUrl!,
    zhwikiBaseUrl: zhwikiBaseUrl!,
    requests,
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.closeAllConnections();
              s.close(() => resolve());
            }),
        ),
      );
    },
  };
}
