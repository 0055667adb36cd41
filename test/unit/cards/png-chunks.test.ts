import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  PNG_SIGNATURE,
  crc32,
  encodeChunk,
  encodeTextChunk,
  isPng,
  parseChunks,
  readTextChunks,
  writeTextChunks,
} from '../../../src/features/characters/png-chunks.js';
import { fixture, thrown } from './helpers.js';

const plain = fixture('plain.png');
/** Inserts chunks before IEND. */
const withChunks = (png: Buffer, ...chunks: Buffer[]) => Buffer.concat([png.subarray(0, png.length - 12), ...chunks, png.subarray(png.length - 12)]);
const iTXt = (keyword: string, flag: number, method: number, lang: string, translated: string, body: Buffer) =>
  encodeChunk('iTXt', Buffer.concat([Buffer.from(`${keyword}\0`, 'latin1'), Buffer.from([flag, method]), Buffer.from(`${lang}\0`, 'latin1'), Buffer.from(`${translated}\0`, 'utf8'), body]));

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('1234'), Buffer.from('56789'))).toBe(0xcbf43926);
  });
});

describe('parseChunks', () => {
  it('lists the chunks of a PNG from IHDR to IEND', () => {
    const chunks = parseChunks(plain);
    expect(chunks[0].type).toBe('IHDR');
    expect(chunks[0].data.readUInt32BE(0)).toBe(64);
    expect(chunks.at(-1)!.type).toBe('IEND');
    expect(chunks.map((c) => c.type)).toContain('IDAT');
  });

  it('refuses a file without the PNG signature', () => {
    expect(isPng(Buffer.from('hello, not a png'))).toBe(false);
    const err = thrown(() => parseChunks(Buffer.from('hello, not a png')));
    expect(err.code).toBe('validation:png');
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/not a PNG/);
  });

  it('reports a truncated file', () => {
    expect(thrown(() => parseChunks(fixture('truncated.png'))).message).toMatch(/truncated PNG/);
    expect(thrown(() => parseChunks(PNG_SIGNATURE)).message).toMatch(/ends before the IEND/);
    expect(thrown(() => parseChunks(Buffer.concat([PNG_SIGNATURE, Buffer.from([0, 0, 0])]))).message).toMatch(/incomplete chunk header/);
    // Cut exactly at a chunk boundary: every chunk is whole but IEND never comes.
    expect(thrown(() => parseChunks(plain.subarray(0, plain.length - 12))).message).toMatch(/ends before the IEND/);
  });

  it('refuses a huge declared length without allocating it', () => {
    const bomb = Buffer.from(plain);
    const firstAfterIhdr = 8 + 12 + 13;
    bomb.writeUInt32BE(0x7ffffff0, firstAfterIhdr);
    expect(thrown(() => parseChunks(bomb)).message).toMatch(/declares 2147483632 bytes but only \d+ remain/);
    bomb.writeUInt32BE(0xffffffff, firstAfterIhdr);
    expect(thrown(() => parseChunks(bomb)).message).toMatch(/impossible length/);
  });

  it('refuses a bad CRC, a bad chunk type and a first chunk other than IHDR', () => {
    const badCrc = Buffer.from(plain);
    badCrc[8 + 8 + 13] ^= 0xff;
    expect(thrown(() => parseChunks(badCrc)).message).toMatch(/chunk IHDR .* bad CRC/);

    const badType = Buffer.from(plain);
    badType.write('I#DR', 12, 'latin1');
    expect(thrown(() => parseChunks(badType)).message).toMatch(/invalid chunk type/);

    const noIhdr = Buffer.concat([PNG_SIGNATURE, encodeChunk('tEXt', Buffer.from('a\0b')), encodeChunk('IEND', Buffer.alloc(0))]);
    expect(thrown(() => parseChunks(noIhdr)).message).toMatch(/first chunk is not IHDR/);
  });

  it('ignores bytes after IEND', () => {
    const chunks = parseChunks(Buffer.concat([plain, Buffer.from('trailing garbage')]));
    expect(chunks.at(-1)!.type).toBe('IEND');
  });
});

describe('readTextChunks', () => {
  it('decodes tEXt as Latin-1', () => {
    const png = withChunks(plain, encodeChunk('tEXt', Buffer.concat([Buffer.from('Comment\0'), Buffer.from('café', 'latin1')])));
    expect(readTextChunks(png)).toEqual([{ chunk: 'tEXt', keyword: 'Comment', text: 'café' }]);
  });

  it('decodes uncompressed and zlib-compressed iTXt as UTF-8, with language and translated keyword', () => {
    const png = withChunks(
      plain,
      iTXt('Title', 0, 0, 'zh-CN', '标题', Buffer.from('李白，字太白', 'utf8')),
      iTXt('Description', 1, 0, '', '', deflateSync(Buffer.from('床前明月光'.repeat(50), 'utf8'))),
    );
    const [a, b] = readTextChunks(png);
    expect(a).toEqual({ chunk: 'iTXt', keyword: 'Title', text: '李白，字太白', languageTag: 'zh-CN', translatedKeyword: '标题' });
    expect(b.text).toBe('床前明月光'.repeat(50));
  });

  it('decodes zTXt', () => {
    const png = withChunks(plain, encodeChunk('zTXt', Buffer.concat([Buffer.from('Comment\0'), Buffer.from([0]), deflateSync(Buffer.from('compressed comment'))])));
    expect(readTextChunks(png)[0]).toEqual({ chunk: 'zTXt', keyword: 'Comment', text: 'compressed comment' });
  });

  it('caps inflated text so a zip bomb fails with a message instead of filling memory', () => {
    const bomb = deflateSync(Buffer.alloc(8 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(20_000);
    const png = withChunks(plain, iTXt('chara', 1, 0, '', '', bomb));
    const err = thrown(() => readTextChunks(png, { maxTextBytes: 1024 * 1024 }));
    expect(err.message).toMatch(/"chara" inflates to more than 1048576 bytes/);
  });

  it('names the problem in a malformed text chunk', () => {
    const cases: Array<[Buffer, RegExp]> = [
      [encodeChunk('tEXt', Buffer.from('no keyword terminator')), /no valid keyword/],
      [encodeChunk('tEXt', Buffer.from('\0empty keyword')), /no valid keyword/],
      [iTXt('chara', 2, 0, '', '', Buffer.from('x')), /invalid compression flag 2/],
      [iTXt('chara', 1, 7, '', '', Buffer.from('x')), /unknown compression method 7/],
      [iTXt('chara', 1, 0, '', '', Buffer.from('not zlib at all')), /does not inflate/],
      [iTXt('chara', 0, 0, '', '', Buffer.from([0xff, 0xfe, 0xfd])), /not valid UTF-8/],
      [encodeChunk('iTXt', Buffer.from('chara\0\0\0en')), /no language tag terminator/],
      [encodeChunk('iTXt', Buffer.from('chara\0')), /truncated/],
    ];
    for (const [chunk, message] of cases) {
      const err = thrown(() => readTextChunks(withChunks(plain, chunk)));
      expect(err.code).toBe('validation:png');
      expect(err.message).toMatch(message);
    }
  });

  it('with keywords, skips other text chunks without decoding them', () => {
    const png = withChunks(plain, iTXt('chara-ext-asset_:x', 1, 0, '', '', Buffer.from('broken')), encodeTextChunk('Chara', 'abc'));
    expect(readTextChunks(png, { keywords: ['chara'] })).toEqual([{ chunk: 'tEXt', keyword: 'Chara', text: 'abc' }]);
  });
});

describe('writeTextChunks', () => {
  it('inserts tEXt chunks just before IEND with valid CRCs, and the image still decodes', async () => {
    const out = writeTextChunks(plain, [{ keyword: 'chara', text: 'QUJD' }]);
    const types = parseChunks(out).map((c) => c.type);
    expect(types.slice(-2)).toEqual(['tEXt', 'IEND']);
    expect(readTextChunks(out)).toEqual([{ chunk: 'tEXt', keyword: 'chara', text: 'QUJD' }]);
    const meta = await sharp(out).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 64]);
  });

  it('replaces existing chunks with the same keyword (any case, any text chunk type) and keeps the others', () => {
    const before = withChunks(
      plain,
      encodeTextChunk('Chara', 'old'),
      iTXt('ccv3', 0, 0, '', '', Buffer.from('old v3')),
      encodeTextChunk('Software', 'SillyTavern'),
    );
    const out = writeTextChunks(before, [{ keyword: 'chara', text: 'new' }], { remove: ['ccv3'] });
    expect(readTextChunks(out).map((t) => [t.keyword, t.text])).toEqual([
      ['Software', 'SillyTavern'],
      ['chara', 'new'],
    ]);
    // Writing twice leaves one copy.
    expect(readTextChunks(writeTextChunks(out, [{ keyword: 'chara', text: 'newer' }])).filter((t) => t.keyword === 'chara')).toHaveLength(1);
  });

  it('refuses text a tEXt chunk cannot hold and invalid keywords', () => {
    expect(() => encodeTextChunk('chara', '李白')).toThrow(/Latin-1/);
    expect(() => encodeTextChunk('', 'x')).toThrow(/keyword/);
    expect(() => encodeTextChunk('k'.repeat(80), 'x')).toThrow(/keyword/);
    expect(() => encodeTextChunk('bad\0key', 'x')).toThrow(/keyword/);
  });

  it('refuses to write into something that is not a PNG', () => {
    expect(thrown(() => writeTextChunks(Buffer.from('GIF89a....'), [{ keyword: 'chara', text: 'x' }])).message).toMatch(/not a PNG/);
  });
});
