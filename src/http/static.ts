/**
 * Delivery: the built web app with caching a CDN or browser can trust, and compressed API JSON.
 *
 * - Vite puts a content hash in every file name under `assets/`, so those never change:
 *   `public, max-age=31536000, immutable`. Everything else (index.html, favicon) must be
 *   revalidated, or a deploy would leave browsers on an old index pointing at deleted chunks.
 * - `npm run build:web` writes `.br` and `.gz` beside each file (scripts/precompress.mjs); they are
 *   sent when the client accepts them, so serving costs no compression CPU.
 * - Source maps are built (for error reports) but never served: they expose the whole source.
 * - A page asked for with a session cookie names the signed-in app's chunks in a `Link:
 *   rel=modulepreload` header (from Vite's manifest), so they download beside the entry script
 *   instead of after it has run and the session check has answered (issue #19: one chunk download
 *   less in a row before a signed-in phone's first message). Without the cookie (the sign-in page)
 *   nothing more is sent.
 * - JSON responses above COMPRESS_MIN_BYTES are compressed on the fly (Brotli at a fast level).
 *   SSE streams are hijacked before onSend and so are never touched: compressing them would buffer tokens.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { SESSION_COOKIE } from './auth.js';
import { registerNotFound } from './errors.js';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Below about one packet, compression saves no round trip and costs CPU on both ends. */
export const COMPRESS_MIN_BYTES = 1024;

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);
// Quality 4 compresses JSON about as well as gzip -9 at a fraction of Brotli's default (11) cost.
const BROTLI_OPTIONS = { params: { [zlib.BROTLI_PARAM_QUALITY]: 4, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT } };

/** The encoding to use for a request's Accept-Encoding, preferring Brotli; q=0 refuses. */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([0-9.]+)\s*$/.exec(p)).find(Boolean);
    accepted.set(name.trim(), q ? Number(q[1]) : 1);
  }
  const ok = (name: string) => (accepted.get(name) ?? accepted.get('*') ?? 0) > 0;
  if (ok('br')) return 'br';
  if (ok('gzip')) return 'gzip';
  return undefined;
}

/** Compresses JSON responses (API and /openapi.json) above the threshold when the client accepts it. */
export function registerJsonCompression(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.method === 'HEAD' || reply.hasHeader('content-encoding')) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return payload;
    const type = String(reply.getHeader('content-type') ?? '');
    if (!type.includes('json')) return payload;
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    const vary = String(reply.getHeader('vary') ?? '');
    if (!/accept-encoding/i.test(vary)) reply.header('vary', vary ? `${vary}, accept-encoding` : 'accept-encoding');
    if (size < COMPRESS_MIN_BYTES) return payload;
    const encoding = pickEncoding(request.headers['accept-encoding']);
    if (!encoding) return payload;
    const body = encoding === 'br' ? await brotli(payload, BROTLI_OPTIONS) : await gz(payload, { level: 6 });
    reply.header('content-encoding', encoding);
    reply.removeHeader('content-length');
    return body;
  });
}

/** The lazily loaded chunks a signed-in browser needs first, by name (web/src/app/App.tsx loads the shell). */
export const SIGNED_IN_CHUNKS = ['Shell'];

interface ManifestChunk {
  file: string;
  name?: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
}

/**
 * The `Link` header value preloading the dynamic chunks named `names` and the chunks they import
 * (not the entry, which the page loads itself), or undefined without a manifest (an older build).
 */
export function modulePreloadLink(dir: string, names: string[] = SIGNED_IN_CHUNKS): string | undefined {
  const path = join(dir, '.vite', 'manifest.json');
  if (!existsSync(path)) return undefined;
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as Record<string, ManifestChunk>;
  const files = new Set<string>();
  const visit = (key: string) => {
    const chunk = manifest[key];
    if (!chunk || chunk.isEntry || files.has(chunk.file)) return;
    files.add(chunk.file);
    for (const k of chunk.imports ?? []) visit(k);
  };
  for (const [key, chunk] of Object.entries(manifest)) if (chunk.isDynamicEntry && chunk.name && names.includes(chunk.name)) visit(key);
  return files.size ? [...files].map((f) => `</${f}>; rel=modulepreload`).join(', ') : undefined;
}

/** Serves the built web app at `/`, with index.html for client-side routes. */
export async function registerWebApp(app: FastifyInstance, dir: string): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/plain').send('FastNPC API is running. The web app is not built: run `npm run build:web`. API docs: /docs'));
    registerNotFound(app, false);
    return;
  }
  const preload = modulePreloadLink(dir);
  if (preload) {
    // A callback hook, not an async one: it runs on every response, API calls included.
    app.addHook('onSend', (request, reply, payload, done) => {
      if (request.method === 'GET' && String(reply.getHeader('content-type') ?? '').startsWith('text/html') && request.cookies?.[SESSION_COOKIE]) reply.header('link', preload);
      done(null, payload);
    });
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    preCompressed: true,
    cacheControl: false,
    allowedPath: (pathName) => !pathName.endsWith('.map') && !pathName.startsWith('/.vite/'),
    setHeaders: (res, path) => {
      // The same URL has three bodies (br, gzip, plain): shared caches must key on Accept-Encoding.
      res.setHeader('vary', 'accept-encoding');
      res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path.slice(dir.length)) ? IMMUTABLE : 'no-cache');
    },
  });
  registerNotFound(app, true);
}
