import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { currentUser, clearSessionCookie, setSessionCookie, SESSION_COOKIE } from '../../http/auth.js';
import { enforceRateLimit } from '../../http/rate-limit.js';
import { errors, NoContent, Pagination } from '../../http/schemas.js';
import type { RateLimiter } from '../../infra/rate-limit/rate-limiter.js';
import type { UsersService } from './service.js';
import { LIMITS } from '../../shared/limits.js';
import { PROFILE_TEXT_MAX, SETTINGS_RANGES } from './settings.js';

// Letters (any script, which covers CJK), digits, "_" and "-".
const Username = Type.String({ minLength: LIMITS.username.min, maxLength: LIMITS.username.max, pattern: '^[\\p{L}\\p{N}_-]+$', description: '3–32 letters, digits, _ or -' });
const Password = Type.String({ minLength: LIMITS.password.min, maxLength: LIMITS.password.max });
const Credentials = Type.Object({ username: Username, password: Password }, { additionalProperties: false });

export const UserSchema = Type.Object({ id: Type.Integer(), username: Type.String(), isAdmin: Type.Boolean(), createdAt: Type.Integer() });
const range = (r: { min: number; max: number }) => Type.Integer({ minimum: r.min, maximum: r.max });
export const SettingsSchema = Type.Object(
  {
    chatModel: Type.Union([Type.String({ maxLength: 200 }), Type.Null()]),
    budgetSession: range(SETTINGS_RANGES.budgetSession),
    budgetShortTerm: range(SETTINGS_RANGES.budgetShortTerm),
    budgetLongTerm: range(SETTINGS_RANGES.budgetLongTerm),
    profileText: Type.String({ maxLength: PROFILE_TEXT_MAX }),
    groupRounds: range(SETTINGS_RANGES.groupRounds),
  },
  { additionalProperties: false },
);

export interface UsersRouteDeps {
  users: UsersService;
  limiter: RateLimiter;
  authRatePerMin: number;
  cookieSecure: boolean;
}

export function registerUserRoutes(root: FastifyInstance, deps: UsersRouteDeps): void {
  const app = root.withTypeProvider<TypeBoxTypeProvider>();
  const { users } = deps;
  const limitByIp = (ip: string) => enforceRateLimit(deps.limiter, `auth:${ip}`, deps.authRatePerMin, 'sign-in attempts');

  app.post(
    '/api/auth/register',
    { schema: { tags: ['auth'], summary: 'Create an account and sign in', body: Credentials, response: { 201: Type.Object({ user: UserSchema }), ...errors(400, 409, 429) } } },
    async (request, reply) => {
      await limitByIp(request.ip);
      const r = await users.register(request.body.username, request.body.password);
      setSessionCookie(reply, r.token, r.expiresAt, deps.cookieSecure);
      return reply.code(201).send({ user: r.user });
    },
  );

  app.post(
    '/api/auth/login',
    { schema: { tags: ['auth'], summary: 'Sign in', body: Type.Object({ username: Type.String({ maxLength: 64 }), password: Type.String({ maxLength: 128 }) }), response: { 200: Type.Object({ user: UserSchema }), ...errors(400, 401, 429) } } },
    async (request, reply) => {
      await limitByIp(request.ip);
      const r = await users.login(request.body.username, request.body.password);
      setSessionCookie(reply, r.token, r.expiresAt, deps.cookieSecure);
      return { user: r.user };
    },
  );

  app.post('/api/auth/logout', { schema: { tags: ['auth'], summary: 'Sign out and revoke the session', response: { 204: NoContent } } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await users.logout(token);
    clearSessionCookie(reply, deps.cookieSecure);
    return reply.code(204).send(null);
  });

  app.get(
    '/api/auth/me',
    { config: { auth: 'user' }, schema: { tags: ['auth'], summary: 'The signed-in user and settings', response: { 200: Type.Object({ user: UserSchema, settings: SettingsSchema }), ...errors(401) } } },
    async (request) => {
      const { expiresAt: _e, ...user } = currentUser(request);
      return { user, settings: await users.getSettings(user.id) };
    },
  );

  // The web app's first question. Signed out is an answer, not an error: a 401 here would be
  // logged by every browser as a failed request on each visit to the sign-in page.
  app.get(
    '/api/auth/session',
    {
      config: { auth: 'optional' },
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user and settings, or user null when signed out',
        response: { 200: Type.Union([Type.Object({ user: UserSchema, settings: SettingsSchema }), Type.Object({ user: Type.Null() })]) },
      },
    },
    async (request) => {
      if (!request.user) return { user: null };
      const { expiresAt: _e, ...user } = request.user;
      return { user, settings: await users.getSettings(user.id) };
    },
  );

  app.get('/api/me/settings', { config: { auth: 'user' }, schema: { tags: ['me'], response: { 200: SettingsSchema, ...errors(401) } } }, async (request) =>
    users.getSettings(currentUser(request).id),
  );

  app.put(
    '/api/me/settings',
    { config: { auth: 'user' }, schema: { tags: ['me'], summary: 'Replace settings', body: SettingsSchema, response: { 200: SettingsSchema, ...errors(400, 401) } } },
    async (request) => users.putSettings(currentUser(request).id, request.body),
  );

  app.put(
    '/api/me/password',
    {
      config: { auth: 'user' },
      schema: { tags: ['me'], summary: 'Change the password; other sessions are revoked', body: Type.Object({ currentPassword: Type.String({ maxLength: 128 }), newPassword: Password }), response: { 204: NoContent, ...errors(400, 401) } },
    },
    async (request, reply) => {
      await users.changePassword(currentUser(request), request.cookies[SESSION_COOKIE]!, request.body.currentPassword, request.body.newPassword);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/me',
    { config: { auth: 'user' }, schema: { tags: ['me'], summary: 'Delete the account and everything it owns', body: Type.Object({ password: Type.String({ maxLength: 128 }) }), response: { 204: NoContent, ...errors(400, 401) } } },
    async (request, reply) => {
      await users.deleteAccount(currentUser(request), request.body.password);
      clearSessionCookie(reply, deps.cookieSecure);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/admin/users',
    {
      config: { auth: 'admin' },
      schema: {
        tags: ['admin'],
        summary: 'All users (administrators only)',
        querystring: Pagination,
        response: { 200: Type.Object({ items: Type.Array(Type.Composite([UserSchema, Type.Object({ characterCount: Type.Integer(), disabled: Type.Boolean() })])), total: Type.Integer() }), ...errors(401, 403) },
      },
    },
    async (request) => users.listUsers(request.query.limit, request.query.offset),
  );
}
