import type { FastifyReply, FastifyRequest } from 'fastify';

/** A Content-Disposition for a download: an ASCII fallback name plus the exact UTF-8 one (RFC 6266 / 5987). */
export function contentDisposition(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

/** Sends a stored WebP image with its ETag (304 when the client has it), cached privately for a day. */
export function sendWebp(request: FastifyRequest, reply: FastifyReply, image: { bytes: Buffer; etag: string }): FastifyReply {
  const tag = `"${image.etag}"`;
  reply.header('etag', tag).header('cache-control', 'private, max-age=86400');
  if (request.headers['if-none-match'] === tag) return reply.code(304).send();
  return reply.type('image/webp').send(image.bytes);
}
