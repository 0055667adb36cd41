/**
 * While the server drains (SIGTERM), requests that still arrive on open keep-alive connections are
 * refused in our error shape with Retry-After and `Connection: close`, so a client or load balancer
 * retries elsewhere; streams already open finish. (Fastify's own 503 has neither.)
 */
import type { FastifyInstance } from 'fastify';
import { AppError } from '../errors.js';
import { sendError } from './errors.js';

export function registerDrainRefusal(app: FastifyInstance): void {
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (!draining) return;
    reply.header('connection', 'close');
    return sendError(reply, new AppError('unavailable:shutting_down', 'The server is restarting; try again in a moment', { retryAfter: 1 }));
  });
}
