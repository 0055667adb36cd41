// Writes `.br` and `.gz` beside every compressible file of the built web app, once at build time,
// so the server sends compressed assets without spending CPU per request (src/http/static.ts).
// Usage: node scripts/precompress.mjs [dir]   (default dist/web)
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|webmanifest|txt|xml|ico)$/i;
// Below this, the saving is smaller than the extra request headers are worth.
const MIN_BYTES = 1024;

function* files(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else yield p;
  }
}

const dir = process.argv[2] ?? 'dist/web';
let raw = 0;
let br = 0;
let count = 0;
for (const file of files(dir)) {
  if (!COMPRESSIBLE.test(file) || statSync(file).size < MIN_BYTES) continue;
  const body = readFileSync(file);
  const b = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } });
  const g = gzipSync(body, { level: 9 });
  // A compressed copy that is not smaller would only cost the client a decode.
  if (b.length < body.length) writeFileSync(`${file}.br`, b);
  if (g.length < body.length) writeFileSync(`${file}.gz`, g);
  raw += body.length;
  br += Math.min(b.length, body.length);
  count++;
}
console.log(`precompressed ${count} files in ${dir}: ${(raw / 1024).toFixed(0)} KB → ${(br / 1024).toFixed(0)} KB brotli`);
