/**
 * The one place errors become HTTP. Every error answer is `{ error: { code, message } }` (a schema
 * failure adds `field`, `rule` and `limit`);
 * 5xx details are logged, never sent; a stack trace never reaches a client.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../errors.js';
import { translateDbError } from '../infra/db/index.js';

export function sendError(reply: FastifyReply, err: AppError): FastifyReply {
  if (err.retryAfter !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(err.retryAfter))));
  return reply.code(err.status).send({ error: { code: err.code, message: err.message, ...(err.details ?? {}) } });
}

/** Turns any thrown value into an AppError a client may see. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const fe = err as FastifyError & { validation?: AjvIssue[]; validationContext?: string };
  if (fe?.validation) return validationError(fe);
  switch (fe?.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('payload_too_large', 'The request body is too large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type', 'Unsupported content type; send application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('validation', 'The JSON body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('validation:json', `The body is not valid JSON: ${fe.message}`);
    case 'FST_ERR_BAD_URL':
      return new AppError('validation:url', 'The URL is malformed (an invalid percent-escape)');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new AppError('validation:url', 'A path segment of the URL is too long');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return new AppError('unsupported_media_type', 'Send the file as multipart/form-data');
  }
  if (fe instanceof SyntaxError || fe?.statusCode === 400) return new AppError('validation', fe.message || 'Bad request');
  if (fe?.statusCode === 413) return new AppError('payload_too_large', 'The request body is too large');
  if (fe?.statusCode === 415) return new AppError('unsupported_media_type', fe.message);
  return translateDbError(err) ?? new AppError('internal', 'Internal server error', { cause: err });
}

interface AjvIssue {
  keyword?: string;
  instancePath?: string;
  params?: Record<string, unknown>;
  message?: string;
}

/**
 * A schema failure as a stable, machine-readable answer: `field` (dotted path in the body, query or
 * params), `rule` (the schema keyword: minLength, maxLength, pattern, required, type, minimum…) and
 * `limit` when the rule has one. `message` stays English for API users; the web app words it from
 * the other fields in the user's language.
 */
export function validationError(fe: { validation?: AjvIssue[]; validationContext?: string }): AppError {
  const v = fe.validation?.[0];
  const where = fe.validationContext ?? 'body';
  const missing = typeof v?.params?.missingProperty === 'string' ? v.params.missingProperty : undefined;
  const extra = typeof v?.params?.additionalProperty === 'string' ? v.params.additionalProperty : undefined;
  const path = (v?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  const field = [path, missing ?? extra].filter(Boolean).join('.');
  const rule = v?.keyword ?? 'invalid';
  const limit = typeof v?.params?.limit === 'number' ? v.params.limit : undefined;
  const what = missing ? 'is required' : extra ? 'is not allowed' : (v?.message ?? 'is invalid');
  const message = field ? `${where}.${field}: ${what}` : `${where}: ${what}`;
  return new AppError('validation', message, { details: { ...(field ? { field } : {}), in: where, rule, ...(limit !== undefined ? { limit } : {}) } });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const appErr = toAppError(err);
    if (appErr.status >= 500) request.log.error({ err, code: appErr.code }, 'request failed');
    else request.log.debug({ code: appErr.code, msg: appErr.message }, 'request rejected');
    if (reply.raw.headersSent) {
      // A stream already started; it ends its own way (SSE error frame) — nothing more to send.
      reply.raw.destroy();
      return;
    }
    return sendError(reply, appErr);
  });
}

/** 404 for unknown routes; with a web app, client-side routes (GET, no file extension) get index.html. */
export function registerNotFound(app: FastifyInstance, spaIndex: boolean): void {
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    const isApi = /^\/(api|docs|openapi\.json|metrics|healthz|readyz)(\/|$)/.test(path);
    if (spaIndex && request.method === 'GET' && !isApi && !/\.[a-z0-9]+$/i.test(path)) return reply.type('text/html').sendFile('index.html');
    return sendError(reply, new AppError('not_found:route', `No route ${request.method} ${path}`));
  });
}
