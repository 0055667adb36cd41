/**
 * Authentication for routes: a route declares `config: { auth: 'user' | 'admin' }` and this hook
 * resolves the session cookie before the handler runs. Handlers read `request.user`. `'optional'`
 * resolves it too but lets anonymous callers through (`request.user` stays null).
 */
import '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../errors.js';
import type { SessionUser } from '../features/users/service.js';

export const SESSION_COOKIE = 'fastnpc_session';

declare module 'fastify' {
  interface FastifyRequest {
    user: SessionUser | null;
  }
  interface FastifyContextConfig {
    auth?: 'user' | 'admin' | 'optional';
  }
}

export function registerAuth(app: FastifyInstance, resolve: (token: string) => Promise<SessionUser | undefined>): void {
  app.decorateRequest('user', null);
  app.addHook('onRequest', async (request) => {
    const need = request.routeOptions.config?.auth;
    if (!need) return;
    const token = request.cookies[SESSION_COOKIE];
    const user = token ? await resolve(token) : undefined;
    if (!user && need === 'optional') return;
    if (!user) throw new AppError('unauthorized', 'Sign in first');
    if (need === 'admin' && !user.isAdmin) throw new AppError('forbidden', 'Administrators only');
    request.user = user;
  });
}

/** The signed-in user of a route declared with `auth`. */
export function currentUser(request: FastifyRequest): SessionUser {
  if (!request.user) throw new AppError('unauthorized', 'Sign in first');
  return request.user;
}

export function setSessionCookie(reply: FastifyReply, token: string, expiresAt: number, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    expires: new Date(expiresAt),
  });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: '/' });
}
