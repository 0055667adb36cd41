/** Multipart uploads (avatars, cards, chat files): one `file` part, size-limited while streaming. */
import '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';

/** Reads the single `file` part of a multipart upload, enforcing the size limit while streaming. */
export async function readUpload(request: FastifyRequest, maxBytes: number): Promise<{ bytes: Buffer; filename?: string; contentType?: string; fields: Record<string, string> }> {
  if (!request.isMultipart()) throw new AppError('unsupported_media_type', 'Send the file as multipart/form-data in a field named "file"');
  let file: { bytes: Buffer; filename?: string; contentType?: string } | undefined;
  const fields: Record<string, string> = {};
  try {
    for await (const part of request.parts({ limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 1000 } })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          continue;
        }
        const bytes = await part.toBuffer().catch((err: { code?: string }) => {
          if (err.code === 'FST_REQ_FILE_TOO_LARGE') throw new AppError('payload_too_large', `The file is larger than ${Math.round(maxBytes / 1024 / 1024)} MB`);
          throw err;
        });
        file = { bytes, filename: part.filename, contentType: part.mimetype };
      } else {
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    // busboy's own errors (no boundary, truncated or malformed parts) are the client's: 400, not 500.
    if (err instanceof AppError || (err as { statusCode?: number }).statusCode) throw err;
    throw new AppError('validation:multipart', `The multipart body is malformed: ${(err as Error).message}`);
  }
  if (!file) throw new AppError('validation:file', 'The "file" field is missing');
  if (file.bytes.length === 0) throw new AppError('validation:file', 'The file is empty');
  return { ...file, fields };
}

export function cropFrom(fields: Record<string, string>) {
  const keys = ['cropX', 'cropY', 'cropWidth', 'cropHeight'] as const;
  const present = keys.filter((k) => fields[k] !== undefined && fields[k] !== '');
  if (present.length === 0) return undefined;
  if (present.length !== 4) throw new AppError('validation:crop', 'Give all of cropX, cropY, cropWidth and cropHeight, or none');
  const [x, y, width, height] = keys.map((k) => Number(fields[k]));
  if (![x, y, width, height].every((n) => Number.isFinite(n) && n >= 0) || width < 1 || height < 1) {
    throw new AppError('validation:crop', 'The crop box must be non-negative numbers with a positive size');
  }
  return { x: Math.round(x), y: Math.round(y), width: Math.round(width), height: Math.round(height) };
}
