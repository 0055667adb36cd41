/**
 * Hostile uploads (issue 11): avatars and Character Card imports that are not what they claim, too
 * big, or built to explode when decoded. Each must be a 4xx with a message, and store nothing: the
 * character's avatar and the owner's character list stay as they were, no file appears on disk.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { TestApp, TestClient } from '../../support/app.js';
import { importCard, cardJson } from '../../support/characters.js';
import { forbiddenContent } from './leaks.js';
import type { ReportRow } from './report.js';
import { tinyPng, PASSWORD } from './world.js';
import { deepJson } from './fuzz.js';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A well-formed PNG header claiming `width`×`height` (1-bit grey), with `idat` as its pixel data. */
function pngWith(width: number, height: number, idat: Buffer, extra: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([SIGNATURE, chunk('IHDR', ihdr), ...extra, chunk('IDAT', idat), chunk('IEND', Buffer.alloc(0))]);
}

/** 20,000 × 20,000 pixels (400 Mpx) that deflate to a few hundred KB. */
function decompressionBombPng(): Buffer {
  const side = 20_000;
  const row = 1 + side / 8;
  return pngWith(side, side, deflateSync(Buffer.alloc(row * side), { level: 9 }));
}

/** A card whose `chara` text chunk is a compressed (iTXt) zip bomb: 64 MB of base64 from a tiny chunk. */
function zipBombCardPng(base: Buffer): Buffer {
  const inflated = Buffer.alloc(64 * 1024 * 1024, 0x41);
  const data = Buffer.concat([Buffer.from('chara\0', 'latin1'), Buffer.from([1, 0]), Buffer.from('\0\0', 'latin1'), deflateSync(inflated, { level: 9 })]);
  const iend = base.length - 12;
  return Buffer.concat([base.subarray(0, iend), chunk('iTXt', data), base.subarray(iend)]);
}

const SVG = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>');

export interface UploadCase {
  route: 'avatar' | 'import';
  label: string;
  file: () => Promise<{ bytes: Buffer; type: string; name: string }>;
  /** A success that is also right (issue 11 allows stripping U+0000 instead of refusing it). */
  acceptedSuccess?: (text: string) => boolean;
}

export async function uploadCases(): Promise<UploadCase[]> {
  const png = await tinyPng(64, 64);
  const card = (obj: unknown) => Buffer.from(JSON.stringify(obj));
  const nested = Buffer.from(JSON.stringify(cardJson('深的')).replace('{"other/tool":{"keep":true}}', deepJson(3000)));
  const both = (label: string, file: UploadCase['file']): UploadCase[] => [
    { route: 'avatar', label, file },
    { route: 'import', label, file },
  ];
  return [
    ...both('fake PNG (signature + junk)', async () => ({ bytes: Buffer.concat([SIGNATURE, Buffer.from('not really a png at all')]), type: 'image/png', name: 'a.png' })),
    ...both('truncated PNG', async () => ({ bytes: png.subarray(0, Math.floor(png.length / 2)), type: 'image/png', name: 'a.png' })),
    ...both('huge dimensions (100,000 × 100,000 header)', async () => ({ bytes: pngWith(100_000, 100_000, deflateSync(Buffer.alloc(64))), type: 'image/png', name: 'a.png' })),
    ...both('decompression bomb PNG (400 Mpx)', async () => ({ bytes: decompressionBombPng(), type: 'image/png', name: 'a.png' })),
    ...both('text file named .png', async () => ({ bytes: Buffer.from('hello, I am text\n'.repeat(20)), type: 'image/png', name: 'a.png' })),
    ...both('SVG with a script', async () => ({ bytes: SVG, type: 'image/svg+xml', name: 'a.svg' })),
    ...both('empty file', async () => ({ bytes: Buffer.alloc(0), type: 'image/png', name: 'a.png' })),
    { route: 'avatar', label: 'oversize (6 MB)', file: async () => ({ bytes: Buffer.concat([png, Buffer.alloc(6 * 1024 * 1024)]), type: 'image/png', name: 'a.png' }) },
    { route: 'import', label: 'oversize (11 MB JSON)', file: async () => ({ bytes: card(cardJson('大', { description: 'x'.repeat(11 * 1024 * 1024) })), type: 'application/json', name: 'a.json' }) },
    { route: 'import', label: 'JSON card, 3,000 levels in extensions', file: async () => ({ bytes: nested, type: 'application/json', name: 'a.json' }) },
    { route: 'import', label: 'JSON card, invalid JSON', file: async () => ({ bytes: Buffer.from('{"spec":"chara_card_v2","data":{'), type: 'application/json', name: 'a.json' }) },
    { route: 'import', label: 'JSON card, name with NUL', file: async () => ({ bytes: card(cardJson('a\u0000b')), type: 'application/json', name: 'a.json' }), acceptedSuccess: (text) => !text.includes('\\u0000') },
    { route: 'import', label: 'JSON card, wrong types', file: async () => ({ bytes: card({ spec: 'chara_card_v2', data: { name: 12, description: [], tags: 'x' } }), type: 'application/json', name: 'a.json' }) },
    { route: 'import', label: 'PNG card, zip-bomb iTXt chunk (64 MB inflated)', file: async () => ({ bytes: zipBombCardPng(png), type: 'image/png', name: 'a.png' }) },
    { route: 'import', label: 'PNG without a card', file: async () => ({ bytes: png, type: 'image/png', name: 'a.png' }) },
  ];
}

function avatarFiles(app: TestApp): string[] {
  try {
    return readdirSync(join(app.config.dataDirAbs, 'avatars')).sort();
  } catch {
    return [];
  }
}

export async function runUploadCases(app: TestApp, backend: string): Promise<ReportRow> {
  const owner: TestClient = app.client();
  await owner.register(`up_${Math.random().toString(36).slice(2, 10)}`, PASSWORD);
  const target = await importCard(owner, '上传目标');
  const problems: string[] = [];
  let requests = 0;
  let fiveXx = 0;
  let leaks = 0;
  const state = async () => JSON.stringify({ avatar: (await owner.get(`/api/characters/${target.id}`)).body.avatarUrl, list: (await owner.get('/api/characters?limit=100')).body.total, files: avatarFiles(app) });
  let before = await state();

  for (const c of await uploadCases()) {
    const f = await c.file();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(f.bytes)], { type: f.type }), f.name);
    const r = c.route === 'avatar' ? await owner.put(`/api/characters/${target.id}/avatar`, form) : await owner.post('/api/characters/import', form);
    requests++;
    const where = `${c.route}: ${c.label}`;
    if (r.status >= 500) fiveXx++;
    if (r.status < 300 && c.acceptedSuccess?.(r.text)) {
      if (c.route === 'import') await owner.del(`/api/characters/${r.body.id}`);
      continue;
    }
    const message = typeof r.body === 'object' ? r.body?.error?.message : undefined;
    if (r.status < 400 || r.status >= 500 || typeof message !== 'string' || !message) problems.push(`${where} → ${r.status} ${r.text.slice(0, 100)}`);
    const forbidden = forbiddenContent(r.text);
    if (forbidden) {
      leaks++;
      problems.push(`${where}: ${forbidden}`);
    }
    const now = await state();
    if (now !== before) {
      leaks++;
      problems.push(`${where}: something was stored (${now})`);
      if (r.status < 300 && c.route === 'import') await owner.del(`/api/characters/${r.body.id}`);
      before = await state();
    }
  }
  return { check: `upload cases (avatars, card imports)`, backend, requests, fiveXx, leaks, problems };
}
