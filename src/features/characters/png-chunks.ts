/**
 * PNG chunk reading and writing, just enough for Character Cards: the card JSON rides in a text chunk
 * (`chara` for V2, `ccv3` for V3; https://github.com/kwaroran/character-card-spec-v3 "Embedding Methods").
 *
 * No dependency beyond node:zlib. Every length read from the file is checked against the bytes that
 * are actually there before it is used, chunk data are views (`subarray`) into the input, and
 * compressed text is inflated with an output cap, so a truncated or hostile file ends in an
 * `AppError('validation:png')` naming the problem, never in a crash or a large allocation.
 *
 * Chunk layout (PNG spec §5.3): length (4, big-endian, ≤ 2^31−1) · type (4 ASCII letters) · data · CRC-32
 * over type + data.
 */
import { inflateSync } from 'node:zlib';
import { AppError } from '../../errors.js';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG spec §5.3: a chunk length is at most 2^31 − 1. */
const MAX_CHUNK_LENGTH = 0x7fffffff;
/** Default cap on one decoded text value (after inflating iTXt/zTXt). Card JSON is capped lower by the caller. */
export const DEFAULT_MAX_TEXT_BYTES = 16 * 1024 * 1024;

export interface PngChunk {
  /** Four-letter chunk type, e.g. `IHDR`, `tEXt`. */
  type: string;
  /** The chunk's data: a view into the input buffer, not a copy. */
  data: Buffer;
  /** Byte offset of the chunk (its length field) in the file. */
  offset: number;
}

export type TextChunkType = 'tEXt' | 'iTXt' | 'zTXt';

export interface PngText {
  chunk: TextChunkType;
  keyword: string;
  text: string;
  /** iTXt only. */
  languageTag?: string;
  /** iTXt only. */
  translatedKeyword?: string;
}

const pngError = (message: string) => new AppError('validation:png', message);

export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= PNG_SIGNATURE.length && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG uses it) of the given byte ranges taken in order. */
export function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) c = CRC_TABLE[(c ^ part[i]) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Splits a PNG into its chunks, up to and including IEND (bytes after IEND are ignored, as decoders do).
 * Checks the signature, that IHDR comes first, every length against the remaining bytes, every type's
 * characters, and every CRC.
 */
export function parseChunks(bytes: Buffer): PngChunk[] {
  if (!isPng(bytes)) throw pngError('not a PNG file (the PNG signature is missing)');
  const chunks: PngChunk[] = [];
  let pos = PNG_SIGNATURE.length;
  for (;;) {
    if (pos === bytes.length) throw pngError('truncated PNG: the file ends before the IEND chunk');
    if (pos + 8 > bytes.length) throw pngError(`truncated PNG: incomplete chunk header at byte ${pos}`);
    const length = bytes.readUInt32BE(pos);
    const typeBytes = bytes.subarray(pos + 4, pos + 8);
    const type = typeBytes.toString('latin1');
    if (!/^[A-Za-z]{4}$/.test(type)) throw pngError(`corrupt PNG: invalid chunk type at byte ${pos}`);
    if (length > MAX_CHUNK_LENGTH) throw pngError(`corrupt PNG: chunk ${type} declares an impossible length (${length})`);
    const end = pos + 12 + length;
    if (end > bytes.length) {
      throw pngError(`truncated PNG: chunk ${type} declares ${length} bytes but only ${Math.max(0, bytes.length - pos - 12)} remain`);
    }
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    const storedCrc = bytes.readUInt32BE(pos + 8 + length);
    if (crc32(typeBytes, data) !== storedCrc) throw pngError(`corrupt PNG: chunk ${type} at byte ${pos} has a bad CRC`);
    if (chunks.length === 0 && type !== 'IHDR') throw pngError('corrupt PNG: the first chunk is not IHDR');
    chunks.push({ type, data, offset: pos });
    pos = end;
    if (type === 'IEND') return chunks;
  }
}

/** Encodes one chunk: length, type, data, CRC. */
export function encodeChunk(type: string, data: Uint8Array): Buffer {
  if (!/^[A-Za-z]{4}$/.test(type)) throw new TypeError(`invalid PNG chunk type: ${type}`);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * The text chunks (tEXt, iTXt, zTXt) of a PNG, decoded, in file order; with `keywords`, only those whose
 * keyword matches one of them, case-insensitively.
 */
export function readTextChunks(bytes: Buffer, options: { maxTextBytes?: number; keywords?: readonly string[] } = {}): PngText[] {
  const maxTextBytes = options.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES;
  // Filtering by keyword before decoding means unrelated chunks (a V3 card's `chara-ext-asset_:…` images,
  // say) are neither decoded nor held to the size cap.
  const wanted = options.keywords && new Set(options.keywords.map((k) => k.toLowerCase()));
  return parseChunks(bytes)
    .filter((c): c is PngChunk & { type: TextChunkType } => isTextChunk(c.type) && (!wanted || wanted.has(keywordOf(c.data))))
    .map((c) => decodeTextChunk(c, maxTextBytes));
}

const isTextChunk = (type: string): type is TextChunkType => type === 'tEXt' || type === 'iTXt' || type === 'zTXt';

/**
 * Decodes one text chunk (PNG spec §11.3.4):
 * - tEXt: keyword (Latin-1, 1–79 bytes) \0 text (Latin-1)
 * - zTXt: keyword \0 method(0 = zlib) compressed text (Latin-1)
 * - iTXt: keyword \0 compression flag, method, language tag \0 translated keyword (UTF-8) \0 text (UTF-8, maybe zlib)
 */
export function decodeTextChunk(chunk: PngChunk & { type: TextChunkType }, maxTextBytes = DEFAULT_MAX_TEXT_BYTES): PngText {
  const { type, data } = chunk;
  const nul = data.indexOf(0);
  if (nul < 1 || nul > 79) throw pngError(`corrupt PNG: ${type} chunk at byte ${chunk.offset} has no valid keyword`);
  const keyword = data.subarray(0, nul).toString('latin1');

  if (type === 'tEXt') {
    const raw = data.subarray(nul + 1);
    if (raw.length > maxTextBytes) throw pngError(`PNG text chunk "${keyword}" is larger than ${maxTextBytes} bytes`);
    return { chunk: type, keyword, text: raw.toString('latin1') };
  }

  if (type === 'zTXt') {
    if (data.length < nul + 2) throw pngError(`corrupt PNG: zTXt chunk "${keyword}" is truncated`);
    if (data[nul + 1] !== 0) throw pngError(`corrupt PNG: zTXt chunk "${keyword}" uses unknown compression method ${data[nul + 1]}`);
    return { chunk: type, keyword, text: inflateText(data.subarray(nul + 2), keyword, maxTextBytes).toString('latin1') };
  }

  // iTXt
  if (data.length < nul + 3) throw pngError(`corrupt PNG: iTXt chunk "${keyword}" is truncated`);
  const compressed = data[nul + 1];
  const method = data[nul + 2];
  if (compressed !== 0 && compressed !== 1) throw pngError(`corrupt PNG: iTXt chunk "${keyword}" has an invalid compression flag ${compressed}`);
  if (compressed === 1 && method !== 0) throw pngError(`corrupt PNG: iTXt chunk "${keyword}" uses unknown compression method ${method}`);
  const langStart = nul + 3;
  const langEnd = data.indexOf(0, langStart);
  if (langEnd < 0) throw pngError(`corrupt PNG: iTXt chunk "${keyword}" has no language tag terminator`);
  const transEnd = data.indexOf(0, langEnd + 1);
  if (transEnd < 0) throw pngError(`corrupt PNG: iTXt chunk "${keyword}" has no translated keyword terminator`);
  const body = data.subarray(transEnd + 1);
  const raw = compressed === 1 ? inflateText(body, keyword, maxTextBytes) : body;
  if (raw.length > maxTextBytes) throw pngError(`PNG text chunk "${keyword}" is larger than ${maxTextBytes} bytes`);
  return {
    chunk: type,
    keyword,
    text: utf8(raw, keyword),
    languageTag: data.subarray(langStart, langEnd).toString('latin1'),
    translatedKeyword: utf8(data.subarray(langEnd + 1, transEnd), keyword),
  };
}

function inflateText(compressed: Buffer, keyword: string, maxTextBytes: number): Buffer {
  try {
    // maxOutputLength turns a zip bomb into an error instead of an allocation.
    return inflateSync(compressed, { maxOutputLength: maxTextBytes });
  } catch (err) {
    const tooBig = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
    throw new AppError(
      'validation:png',
      tooBig ? `PNG text chunk "${keyword}" inflates to more than ${maxTextBytes} bytes` : `corrupt PNG: compressed text chunk "${keyword}" does not inflate`,
      { cause: err },
    );
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
function utf8(bytes: Uint8Array, keyword: string): string {
  try {
    return UTF8.decode(bytes);
  } catch (err) {
    throw new AppError('validation:png', `corrupt PNG: iTXt chunk "${keyword}" is not valid UTF-8`, { cause: err });
  }
}

/** Encodes a tEXt chunk. Keyword: 1–79 printable Latin-1 characters; text: Latin-1 only (base64 is). */
export function encodeTextChunk(keyword: string, text: string): Buffer {
  if (!/^[\x20-\x7e\xa1-\xff]{1,79}$/.test(keyword) || keyword !== keyword.trim()) throw new TypeError(`invalid PNG text keyword: ${JSON.stringify(keyword)}`);
  if (/[^\x00-\xff]/.test(text)) throw new TypeError(`tEXt "${keyword}" can only hold Latin-1 text; base64-encode it first`);
  return encodeChunk('tEXt', Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]));
}

/**
 * Returns a new PNG with the given tEXt chunks inserted just before IEND. Existing text chunks (tEXt, iTXt,
 * zTXt) whose keyword matches one being written or one in `remove` (case-insensitive, as card readers
 * match `chara`) are dropped first, so writing a card twice leaves one copy. Everything else is kept.
 */
export function writeTextChunks(png: Buffer, texts: ReadonlyArray<{ keyword: string; text: string }>, options: { remove?: readonly string[] } = {}): Buffer {
  const chunks = parseChunks(png);
  const drop = new Set([...texts.map((t) => t.keyword), ...(options.remove ?? [])].map((k) => k.toLowerCase()));
  const encoded = texts.map((t) => encodeTextChunk(t.keyword, t.text));
  const parts: Buffer[] = [PNG_SIGNATURE];
  for (const c of chunks) {
    const raw = png.subarray(c.offset, c.offset + 12 + c.data.length);
    if (c.type === 'IEND') {
      parts.push(...encoded, raw);
    } else if (isTextChunk(c.type) && drop.has(keywordOf(c.data))) {
      continue;
    } else {
      parts.push(raw);
    }
  }
  return Buffer.concat(parts);
}

function keywordOf(data: Buffer): string {
  const nul = data.indexOf(0);
  return (nul < 0 ? data : data.subarray(0, nul)).toString('latin1').toLowerCase();
}
