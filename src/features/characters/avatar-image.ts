/**
 * Avatar images: checks and re-encodes an upload, draws a default, and converts for card export.
 *
 * The original accepted any `image/*` content type with no size limit and decoded whatever it got
 * (spec/characters.md §10 items 2 and 4). Here the type is decided by the bytes (PNG, JPEG, WebP, GIF
 * only; SVG never reaches the decoder), the size and the pixel count are capped before decoding, and the
 * output is always a fresh 512×512 WebP without metadata (EXIF orientation is applied first, then
 * dropped with the rest, GPS included). Storage names are the caller's business; nothing here looks at a
 * client filename.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { AppError } from '../../errors.js';

export const AVATAR_SIZE = 512;
export const MAX_AVATAR_BYTES = 5 * 1024 * 1024;
/**
 * Decoded size cap, checked from the header before decoding. 50 MP admits a 50-megapixel phone photo;
 * a small PNG that declares 100 000 × 100 000 (a decompression bomb) is refused.
 */
export const MAX_AVATAR_PIXELS = 50_000_000;
const WEBP_QUALITY = 82;

export type ImageType = 'png' | 'jpeg' | 'webp' | 'gif';

export interface CropBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface AvatarImage {
  webp: Buffer;
  /** Short content hash of `webp` (unquoted; the route wraps it as `"<etag>"`). */
  etag: string;
}

/** The image type by magic bytes, or undefined for anything else (SVG, HEIC, text, …). */
export function sniffImageType(bytes: Uint8Array): ImageType | undefined {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 16));
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'png';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 12 && b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return 'gif';
  return undefined;
}

/**
 * Checks and re-encodes an uploaded avatar: ≤ 5 MB (`payload_too_large`), PNG/JPEG/WebP/GIF by content
 * (`unsupported_media_type`), ≤ 50 MP and decodable (`validation:avatar`). Auto-rotates by EXIF, then
 * takes `crop` (in the coordinates of the upright image; outside the image → `validation:avatar`) or
 * else the centred square, resizes to 512×512 and encodes WebP. Animated GIF/WebP keep their first frame.
 */
export async function processAvatar(bytes: Buffer, crop?: CropBox): Promise<AvatarImage> {
  if (bytes.length > MAX_AVATAR_BYTES) {
    throw new AppError('payload_too_large', `the image is ${(bytes.length / 1024 / 1024).toFixed(1)} MB; the limit is ${MAX_AVATAR_BYTES / 1024 / 1024} MB`);
  }
  const type = sniffImageType(bytes);
  if (!type) throw new AppError('unsupported_media_type', 'the file is not a PNG, JPEG, WebP or GIF image');

  const meta = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch((err: unknown) => {
      throw new AppError('validation:avatar', `the ${type.toUpperCase()} image could not be read (corrupt or truncated)`, { cause: err });
    });
  if (meta.format !== type && !(type === 'jpeg' && meta.format === 'jpg')) {
    throw new AppError('unsupported_media_type', `the file starts like ${type.toUpperCase()} but is not a valid ${type.toUpperCase()} image`);
  }
  const rawWidth = meta.width ?? 0;
  const rawHeight = meta.pageHeight ?? meta.height ?? 0;
  if (rawWidth < 1 || rawHeight < 1) throw new AppError('validation:avatar', 'the image has no size');
  if (rawWidth * rawHeight > MAX_AVATAR_PIXELS) {
    throw new AppError(
      'validation:avatar',
      `the image is ${rawWidth}×${rawHeight} pixels; the limit is ${MAX_AVATAR_PIXELS / 1_000_000} megapixels`,
    );
  }
  // EXIF orientations 5–8 turn the image a quarter: width and height swap once it is upright.
  const quarterTurn = (meta.orientation ?? 1) >= 5;
  const width = quarterTurn ? rawHeight : rawWidth;
  const height = quarterTurn ? rawWidth : rawHeight;

  let pipeline = sharp(bytes, { limitInputPixels: MAX_AVATAR_PIXELS, failOn: 'error', animated: false }).rotate();
  if (crop) pipeline = pipeline.extract(cropRegion(crop, width, height));
  try {
    const webp = await pipeline
      .resize(AVATAR_SIZE, AVATAR_SIZE, { fit: 'cover', position: 'centre' })
      .webp({ quality: WEBP_QUALITY })
      .toBuffer();
    return { webp, etag: etagOf(webp) };
  } catch (err) {
    throw new AppError('validation:avatar', `the ${type.toUpperCase()} image could not be decoded (corrupt or truncated)`, { cause: err });
  }
}

/** Validates a crop box against the upright image and returns whole-pixel extract bounds. */
function cropRegion(crop: CropBox, width: number, height: number): { left: number; top: number; width: number; height: number } {
  const values = [crop.x, crop.y, crop.width, crop.height];
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new AppError('validation:avatar', 'the crop box needs numeric x, y, width and height');
  }
  // Half a pixel of slack: browser croppers send fractional coordinates.
  if (crop.x < 0 || crop.y < 0 || crop.width < 1 || crop.height < 1 || crop.x + crop.width > width + 0.5 || crop.y + crop.height > height + 0.5) {
    throw new AppError(
      'validation:avatar',
      `the crop box (x ${crop.x}, y ${crop.y}, ${crop.width}×${crop.height}) lies outside the ${width}×${height} image`,
    );
  }
  const left = Math.min(Math.floor(crop.x), width - 1);
  const top = Math.min(Math.floor(crop.y), height - 1);
  return {
    left,
    top,
    width: Math.max(1, Math.min(Math.round(crop.width), width - left)),
    height: Math.max(1, Math.min(Math.round(crop.height), height - top)),
  };
}

/** Converts a stored avatar (WebP) to PNG, for embedding in a Character Card. */
export async function avatarToPng(webp: Buffer): Promise<Buffer> {
  return sharp(webp, { limitInputPixels: MAX_AVATAR_PIXELS }).png().toBuffer();
}

// ---------------------------------------------------------------------------------------------------
// Default avatar

/** Background colours, all dark enough for white text. */
const PALETTE = ['#c0392b', '#d35400', '#b7791f', '#2f855a', '#16a085', '#2b6cb0', '#1f618d', '#5b4db7', '#8e44ad', '#b83280', '#4a5568', '#6b4f3a'];

const LATIN_FONTS = "'DejaVu Sans', 'Liberation Sans', Arial, Helvetica, sans-serif";
const CJK_FONTS = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'WenQuanYi Micro Hei', 'WenQuanYi Zen Hei', 'Microsoft YaHei', 'PingFang SC', sans-serif";

let cjkFontProbe: Promise<boolean> | undefined;
/** Whether fontconfig knows a Chinese font (`fc-list :lang=zh`); false when fc-list is missing. Asked once. */
export function hasCjkFont(): Promise<boolean> {
  cjkFontProbe ??= new Promise((resolve) => {
    execFile('fc-list', [':lang=zh', 'family'], { timeout: 3000 }, (err, stdout) => resolve(!err && stdout.trim() !== ''));
  });
  return cjkFontProbe;
}

/**
 * A deterministic 512×512 WebP for a character without an uploaded avatar: a background colour chosen
 * by a hash of the name, and the name's first character in white. Latin letters and digits are drawn
 * with any sans font. A Chinese/Japanese/Korean first character is drawn only when a CJK font is
 * installed (checked with fc-list; `options.cjkFont` overrides), since without one it would come out as
 * an empty box; otherwise, and for every other script or symbol, a symmetric 5×5 pattern from the same
 * hash stands in. It never throws: if rendering fails, a plain square of the colour is returned.
 */
export async function defaultAvatar(name: string, options: { cjkFont?: boolean } = {}): Promise<AvatarImage> {
  const trimmed = name.trim();
  const hash = createHash('sha256').update(trimmed).digest();
  const background = PALETTE[hash[0] % PALETTE.length];
  const first = Array.from(trimmed)[0] ?? '';
  let glyph: { char: string; fonts: string } | undefined;
  if (/^[\p{Script=Latin}\p{Nd}]$/u.test(first)) glyph = { char: first.toLocaleUpperCase('en'), fonts: LATIN_FONTS };
  else if (/^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]$/u.test(first) && (options.cjkFont ?? (await hasCjkFont()))) {
    glyph = { char: first, fonts: CJK_FONTS };
  }
  const body = glyph
    ? `<text x="256" y="352" text-anchor="middle" font-family="${glyph.fonts}" font-size="272" font-weight="bold" fill="#ffffff">${escapeXml(glyph.char)}</text>`
    : pattern(hash);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${AVATAR_SIZE}" height="${AVATAR_SIZE}" viewBox="0 0 512 512"><rect width="512" height="512" fill="${background}"/>${body}</svg>`;
  let webp: Buffer;
  try {
    webp = await sharp(Buffer.from(svg)).resize(AVATAR_SIZE, AVATAR_SIZE).webp({ quality: WEBP_QUALITY }).toBuffer();
  } catch {
    webp = await sharp({ create: { width: AVATAR_SIZE, height: AVATAR_SIZE, channels: 3, background } }).webp({ quality: WEBP_QUALITY }).toBuffer();
  }
  return { webp, etag: etagOf(webp) };
}

/** A left-right symmetric 5×5 block pattern (an identicon) from the hash bits, 320 px wide, centred. */
function pattern(hash: Buffer): string {
  const cell = 64;
  const origin = 96;
  const rects: string[] = [];
  for (let row = 0; row < 5; row++) {
    for (let col = 0; col < 3; col++) {
      const bit = row * 3 + col;
      if ((hash[1 + (bit >> 3)] >> (bit & 7)) & 1) {
        for (const c of col === 2 ? [2] : [col, 4 - col]) rects.push(`<rect x="${origin + c * cell}" y="${origin + row * cell}" width="${cell}" height="${cell}"/>`);
      }
    }
  }
  if (rects.length === 0) rects.push(`<rect x="${origin + 2 * cell}" y="${origin + 2 * cell}" width="${cell}" height="${cell}"/>`);
  return `<g fill="#ffffff" fill-opacity="0.9">${rects.join('')}</g>`;
}

const escapeXml = (s: string) => s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const etagOf = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64url').slice(0, 20);
