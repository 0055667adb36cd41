import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  AVATAR_SIZE,
  MAX_AVATAR_BYTES,
  avatarToPng,
  defaultAvatar,
  processAvatar,
  sniffImageType,
} from '../../../src/features/characters/avatar-image.js';
import { PNG_SIGNATURE, encodeChunk } from '../../../src/features/characters/png-chunks.js';
import { rejected } from '../cards/helpers.js';

type Rgb = [number, number, number];
const RED: Rgb = [255, 0, 0];
const GREEN: Rgb = [0, 255, 0];
const BLUE: Rgb = [0, 0, 255];

/** An image of vertical stripes, one colour per stripe, each `stripe` pixels wide. */
function stripes(colours: Rgb[], stripe: number, height: number) {
  const width = colours.length * stripe;
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw.set(colours[Math.floor(x / stripe)], (y * width + x) * 3);
  return sharp(raw, { raw: { width, height, channels: 3 } });
}

/** The colour of a pixel in an output WebP, rounded to the nearest primary for robustness against lossy coding. */
async function colourAt(webp: Buffer, x: number, y: number): Promise<'red' | 'green' | 'blue' | 'other'> {
  const { data, info } = await sharp(webp).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * 3;
  const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
  if (r > 150 && g < 100 && b < 100) return 'red';
  if (g > 150 && r < 100 && b < 100) return 'green';
  if (b > 150 && r < 100 && g < 100) return 'blue';
  return 'other';
}

async function expectAvatar(webp: Buffer) {
  expect(sniffImageType(webp)).toBe('webp');
  const meta = await sharp(webp).metadata();
  expect([meta.format, meta.width, meta.height]).toEqual(['webp', AVATAR_SIZE, AVATAR_SIZE]);
  return meta;
}

/** A valid PNG whose IHDR claims `width`×`height`, with a few bytes of image data: a decompression bomb's header. */
function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([PNG_SIGNATURE, encodeChunk('IHDR', ihdr), encodeChunk('IDAT', deflateSync(Buffer.alloc(1024))), encodeChunk('IEND', Buffer.alloc(0))]);
}

describe('sniffImageType', () => {
  it('recognises PNG, JPEG, WebP and GIF by their bytes', async () => {
    const img = stripes([RED], 8, 8);
    expect(sniffImageType(await img.clone().png().toBuffer())).toBe('png');
    expect(sniffImageType(await img.clone().jpeg().toBuffer())).toBe('jpeg');
    expect(sniffImageType(await img.clone().webp().toBuffer())).toBe('webp');
    expect(sniffImageType(await img.clone().gif().toBuffer())).toBe('gif');
  });

  it('recognises nothing else', () => {
    for (const bytes of ['hello', '<svg xmlns="http://www.w3.org/2000/svg"/>', 'BM6\0\0\0', '', 'RIFF\0\0\0\0WAVEfmt ', 'GIF90a']) {
      expect(sniffImageType(Buffer.from(bytes))).toBeUndefined();
    }
  });
});

describe('processAvatar', () => {
  it('accepts PNG, JPEG, WebP and GIF and always returns a 512×512 WebP', async () => {
    const img = stripes([GREEN], 300, 200);
    for (const bytes of [
      await img.clone().png().toBuffer(),
      await img.clone().jpeg().toBuffer(),
      await img.clone().webp().toBuffer(),
      await img.clone().gif().toBuffer(),
    ]) {
      const { webp } = await processAvatar(bytes);
      await expectAvatar(webp);
      expect(await colourAt(webp, 256, 256)).toBe('green');
    }
  });

  it('takes the first frame of an animated GIF', async () => {
    const frames = [await stripes([RED], 40, 40).png().toBuffer(), await stripes([BLUE], 40, 40).png().toBuffer()];
    const gif = await sharp(frames, { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const { webp } = await processAvatar(gif);
    const meta = await expectAvatar(webp);
    expect(meta.pages ?? 1).toBe(1);
    expect(await colourAt(webp, 256, 256)).toBe('red');
  });

  it('refuses a text file named .png and other types with 415', async () => {
    for (const bytes of ['just text, renamed to avatar.png', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', 'BM6\0\0\0\0\0']) {
      const err = await rejected(processAvatar(Buffer.from(bytes)));
      expect([err.code, err.status]).toEqual(['unsupported_media_type', 415]);
      expect(err.message).toBe('the file is not a PNG, JPEG, WebP or GIF image');
    }
  });

  it('refuses more than 5 MB with 413 before decoding', async () => {
    const big = Buffer.concat([await stripes([RED], 8, 8).png().toBuffer(), Buffer.alloc(MAX_AVATAR_BYTES)]);
    const err = await rejected(processAvatar(big));
    expect([err.code, err.status]).toEqual(['payload_too_large', 413]);
    expect(err.message).toMatch(/limit is 5 MB/);
  });

  it('refuses a small PNG that claims huge dimensions (decompression bomb) with 400', async () => {
    const bomb = pngClaiming(100_000, 100_000);
    expect(bomb.length).toBeLessThan(2000);
    const err = await rejected(processAvatar(bomb));
    expect([err.code, err.status]).toEqual(['validation:avatar', 400]);
    expect(err.message).toBe('the image is 100000×100000 pixels; the limit is 50 megapixels');
  });

  it('refuses corrupt and truncated images with 400', async () => {
    const png = await stripes([RED, GREEN], 100, 100).png().toBuffer();
    const jpeg = await stripes([RED, GREEN], 100, 100).jpeg().toBuffer();
    for (const bytes of [png.subarray(0, png.length >> 1), jpeg.subarray(0, 40), Buffer.from('RIFF\0\0\0\0WEBPVP8 garbage')]) {
      const err = await rejected(processAvatar(Buffer.from(bytes)));
      expect(err.status).toBe(400);
      expect(err.message).toMatch(/could not be (read|decoded) \(corrupt or truncated\)/);
    }
  });

  it('centre-crops a wide image to a square', async () => {
    const { webp } = await processAvatar(await stripes([RED, GREEN, BLUE], 100, 100).png().toBuffer());
    await expectAvatar(webp);
    for (const [x, y] of [[2, 2], [256, 256], [509, 509]]) expect(await colourAt(webp, x, y)).toBe('green');
  });

  it('applies a crop box', async () => {
    const png = await stripes([RED, GREEN, BLUE], 100, 100).png().toBuffer();
    const { webp } = await processAvatar(png, { x: 200, y: 0, width: 100, height: 100 });
    for (const [x, y] of [[2, 2], [256, 256], [509, 509]]) expect(await colourAt(webp, x, y)).toBe('blue');
    // Fractional coordinates from a browser cropper, touching the edge.
    const edge = await processAvatar(png, { x: 0.4, y: 0.3, width: 99.7, height: 99.9 });
    expect(await colourAt(edge.webp, 256, 256)).toBe('red');
  });

  it('refuses a crop box outside the image with 400', async () => {
    const png = await stripes([RED, GREEN, BLUE], 100, 100).png().toBuffer();
    for (const crop of [
      { x: 250, y: 0, width: 100, height: 100 },
      { x: 0, y: 50, width: 100, height: 100 },
      { x: -1, y: 0, width: 10, height: 10 },
      { x: 0, y: 0, width: 0, height: 10 },
    ]) {
      const err = await rejected(processAvatar(png, crop));
      expect([err.code, err.status]).toEqual(['validation:avatar', 400]);
      expect(err.message).toMatch(/lies outside the 300×100 image/);
    }
    const nan = await rejected(processAvatar(png, { x: Number.NaN, y: 0, width: 10, height: 10 }));
    expect(nan.message).toMatch(/numeric x, y, width and height/);
  });

  it('turns the image upright by EXIF before cropping, then strips all metadata', async () => {
    // Stored 200×100 red|blue with orientation 6 (rotate 90° clockwise): upright it is 100×200, red on top.
    const jpeg = await stripes([RED, BLUE], 100, 100).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const bottom = await processAvatar(jpeg, { x: 0, y: 100, width: 100, height: 100 });
    expect(await colourAt(bottom.webp, 256, 256)).toBe('blue');
    const top = await processAvatar(jpeg, { x: 0, y: 0, width: 100, height: 100 });
    expect(await colourAt(top.webp, 256, 256)).toBe('red');
    // In stored (sideways) coordinates this box would fit; upright it does not.
    expect((await rejected(processAvatar(jpeg, { x: 100, y: 0, width: 100, height: 100 }))).message).toMatch(/outside the 100×200 image/);

    const meta = await expectAvatar(top.webp);
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(meta.icc).toBeUndefined();
  });

  it('keeps transparency', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } }).png().toBuffer();
    const { webp } = await processAvatar(png);
    expect((await sharp(webp).metadata()).hasAlpha).toBe(true);
  });

  it('gives an etag that is a hash of the output', async () => {
    const a = await stripes([RED, GREEN], 50, 100).png().toBuffer();
    const first = await processAvatar(a);
    const second = await processAvatar(a);
    expect(second.etag).toBe(first.etag);
    expect(first.etag).toBe(createHash('sha256').update(first.webp).digest('base64url').slice(0, 20));
    expect((await processAvatar(a, { x: 0, y: 0, width: 50, height: 50 })).etag).not.toBe(first.etag);
  });
});

describe('defaultAvatar', () => {
  it('is a deterministic 512×512 WebP per name, coloured by the name', async () => {
    const a = await defaultAvatar('Alice');
    await expectAvatar(a.webp);
    expect((await defaultAvatar('Alice')).webp.equals(a.webp)).toBe(true);
    expect((await defaultAvatar('  Alice ')).etag).toBe(a.etag);
    const etags = new Set(await Promise.all(['Alice', 'Bob', 'Carol', 'Dave'].map(async (n) => (await defaultAvatar(n)).etag)));
    expect(etags.size).toBe(4);
  });

  it('draws a Latin initial in white on the background', async () => {
    const { webp } = await defaultAvatar('alice');
    const { data, info } = await sharp(webp).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const corner = [data[0], data[1], data[2]];
    let white = 0;
    for (let i = 0; i < data.length; i += 3) if (data[i] > 230 && data[i + 1] > 230 && data[i + 2] > 230) white++;
    expect(corner.some((v) => v < 200)).toBe(true);
    // Roughly a glyph's worth of white: more than a stray pixel, far less than the whole square.
    expect(white / (info.width * info.height)).toBeGreaterThan(0.03);
    expect(white / (info.width * info.height)).toBeLessThan(0.5);
  });

  it('uses a pattern for a CJK name when no CJK font is available, and the glyph when one is', async () => {
    const withoutFont = await defaultAvatar('李白', { cjkFont: false });
    const withFont = await defaultAvatar('李白', { cjkFont: true });
    await expectAvatar(withoutFont.webp);
    await expectAvatar(withFont.webp);
    expect(withoutFont.etag).not.toBe(withFont.etag);
    // The pattern is symmetric left to right.
    const { data, info } = await sharp(withoutFont.webp).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    for (const [x, y] of [[100, 120], [160, 250], [130, 400]]) {
      const l = (y * info.width + x) * 3;
      const r = (y * info.width + (info.width - 1 - x)) * 3;
      expect(Math.abs(data[l] - data[r])).toBeLessThan(24);
    }
  });

  it('never fails, whatever the name', async () => {
    for (const name of ['', '   ', '<&>"\'', '😀 smile', 'مرحبا', 'Ωmega', '\u0301accent', 'x'.repeat(10_000), '李白', '\0']) {
      const { webp, etag } = await defaultAvatar(name);
      await expectAvatar(webp);
      expect(etag).toMatch(/^[\w-]{20}$/);
    }
  });
});

describe('avatarToPng', () => {
  it('converts a stored avatar to a 512×512 PNG for card export', async () => {
    const { webp } = await defaultAvatar('Alice');
    const png = await avatarToPng(webp);
    expect(sniffImageType(png)).toBe('png');
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([512, 512]);
  });
});
