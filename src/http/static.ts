/**
 * Delivery: the built web app with caching a CDN or browser can trust, and compressed API JSON.
 *
 * - Vite puts a content hash in every file name under `assets/`, so those never change:
 *   `public, max-age=31536000, immutable`. Everything else (index.html, favicon) must be
 *   revalidated, or a deploy would leave browsers on an old index pointing at deleted chunks.
 * - `npm run build:web` writes `.br` and `.gz` beside each file (scripts/precompress.mjs); they are
 *   sent when the client accepts them, so serving costs no compression CPU.
 * - Source maps are built (for error reports) but never served: they expose the whole source.
 * - JSON responses above COMPRESS_MIN_BYTES are compressed on the fly (Brotli at a fast level).
 *   SSE streams are hijacked before onSend and so are never touched: compressing them would buffer tokens.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlib, gzip } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
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

/** Serves the built web app at `/`, with index.html for client-side routes. */
export async function registerWebApp(app: FastifyInstance, dir: string): Promise<void> {
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/plain').send('FastNPC API is running. The web app is not built: run `npm run build:web`. API docs: /docs'));
    registerNotFound(app, false);
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: ['index.html'],
    preCompressed: true,
    cacheControl: false,
    allowedPath: (pathName) => !pathName.endsWith('.map'),
    setHeaders: (res, path) => {
      // The same URL has three bodies (br, gzip, plain): shared caches must key on Accept-Encoding.
      res.setHeader('vary', 'accept-encoding');
      res.setHeader('cache-control', /[\\/]assets[\\/]/.test(path.slice(dir.length)) ? IMMUTABLE : 'no-cache');
    },
  });
  registerNotFound(app, true);
}
