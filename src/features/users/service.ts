/**
 * Accounts, sessions and settings. Sessions are opaque random tokens; only their SHA-256 is
 * stored, and lookups go through the cache so an authenticated request costs no query.
 */
import { hash, randomBytes } from 'node:crypto';
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2';
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import type { FileStore } from '../../infra/files.js';
import { isUniqueViolation } from '../../infra/db/index.js';
import { AppError } from '../../errors.js';
import * as store from './store.js';
import type { User } from './store.js';
import { assertSingleScript, usernameKey } from './username.js';
import { DEFAULT_SETTINGS, type UserSettings } from './settings.js';

// OWASP's argon2id baseline (19 MiB, 2 passes). Hashing runs on the libuv pool, off the event loop.
// algorithm 2 = Argon2id (the package's const enum cannot be imported under isolatedModules).
const ARGON = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
const DAY = 86_400_000;
const SESSION_CACHE_TTL_S = 300;

export interface SessionUser extends User {
  expiresAt: number;
}

export interface UsersDeps {
  db: Db;
  cache: Cache;
  /** Other credentials of the account (API keys) to drop from every cache when its sessions end. */
  forgetCredentials?: (userId: number) => Promise<void>;
  adminUser?: string;
  sessionTtlDays: number;
  /** Models a user may choose; empty means any. */
  allowedModels: () => string[];
  /** Where the avatars of the user's characters are stored. */
  files: FileStore;
  now?: () => number;
}

export const sessionCacheKey = (tokenHash: string) => `session:${tokenHash}`;
export const settingsCacheKey = (userId: number) => `settings:${userId}`;
const hashToken = (token: string) => hash('sha256', token, 'hex');

export function createUsersService(deps: UsersDeps) {
  const { db, cache } = deps;
  const now = deps.now ?? Date.now;
  const ttlMs = deps.sessionTtlDays * DAY;
  // Verifying against a fixed hash when the user does not exist keeps login time the same either way.
  const dummyHash = argonHash('not-a-real-password', ARGON);

  async function openSession(userId: number): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const t = now();
    const expiresAt = t + ttlMs;
    await store.insertSession(db, { tokenHash: hashToken(token), userId, now: t, expiresAt });
    return { token, expiresAt };
  }

  async function evictSessions(hashes: string[]) {
    if (hashes.length) await cache.delete(...hashes.map(sessionCacheKey));
  }

  async function purge(userId: number) {
    // Before the rows go: the credentials are found through them.
    await deps.forgetCredentials?.(userId);
    const hashes = await store.deleteUserSessions(db, userId);
    const avatars = await store.userAvatarFiles(db, userId);
    // Foreign keys cascade: characters, conversations, messages, memories, groups, jobs, settings.
    await store.deleteUser(db, userId);
    await evictSessions(hashes);
    await cache.delete(settingsCacheKey(userId));
    // Files last: a failure here leaves orphan files, never rows pointing at missing files.
    await deps.files.deleteMany(avatars).catch(() => undefined);
  }

  return {
    async register(username: string, password: string): Promise<{ user: User; token: string; expiresAt: number }> {
      assertSingleScript(username);
      const key = usernameKey(username);
      const passwordHash = await argonHash(password, ARGON);
      let user: User;
      try {
        // The first account, or the one named by FASTNPC_ADMIN_USER, administers the instance.
        user = await store.insertUser(db, { username, usernameKey: key, passwordHash, namedAdmin: !!deps.adminUser && key === usernameKey(deps.adminUser), now: now() });
      } catch (err) {
        if (isUniqueViolation(err)) throw new AppError('conflict:username', 'That username is taken (names that look alike count as the same)');
        throw err;
      }
      return { user, ...(await openSession(user.id)) };
    },

    /** Any case or width variant of the name signs in (ａｌｉｃｅ, ALICE, alice). */
    async login(username: string, password: string): Promise<{ user: User; token: string; expiresAt: number }> {
      const row = await store.findUserForLogin(db, username, usernameKey(username));
      const ok = await argonVerify(row?.password_hash ?? (await dummyHash), password).catch(() => false);
      if (!row || !ok) throw new AppError('unauthorized:credentials', 'Wrong username or password');
      if (row.disabled_at) throw new AppError('forbidden:disabled', 'This account is disabled');
      return { user: store.rowToUser(row), ...(await openSession(row.id)) };
    },

    /** Whether anyone has registered yet (a fresh install opens the web app on "register"). */
    async hasUsers(): Promise<boolean> {
      return store.anyUser(db);
    },
    async logout(token: string): Promise<void> {
      const h = hashToken(token);
      await store.deleteSession(db, h);
      await evictSessions([h]);
    },

    /** The user behind a session token, or undefined; extends the session at most once a day. */
    async resolveSession(token: string): Promise<SessionUser | undefined> {
      const h = hashToken(token);
      const key = sessionCacheKey(h);
      let s = await cache.get<SessionUser | null>(key);
      if (s === undefined) {
        const row = await store.findSession(db, h);
        s = row ? { ...store.rowToUser(row), expiresAt: row.expires_at } : null;
        await cache.set(key, s, s ? SESSION_CACHE_TTL_S : 30);
      }
      if (!s) return undefined;
      const t = now();
      if (s.expiresAt <= t) return undefined;
      if (s.expiresAt - t < ttlMs - DAY) {
        const extended = { ...s, expiresAt: t + ttlMs };
        await store.extendSession(db, h, extended.expiresAt);
        await cache.set(key, extended, SESSION_CACHE_TTL_S);
        return extended;
      }
      return s;
    },

    async changePassword(user: User, currentToken: string, currentPassword: string, newPassword: string): Promise<void> {
      const row = await store.findUserById(db, user.id);
      if (!row || !(await argonVerify(row.password_hash, currentPassword).catch(() => false))) {
        throw new AppError('validation:current_password', 'The current password is wrong');
      }
      await store.updatePasswordHash(db, user.id, await argonHash(newPassword, ARGON));
      await evictSessions(await store.deleteUserSessions(db, user.id, hashToken(currentToken)));
    },

    async deleteAccount(user: User, password: string): Promise<void> {
      const row = await store.findUserById(db, user.id);
      if (!row || !(await argonVerify(row.password_hash, password).catch(() => false))) {
        throw new AppError('validation:password', 'The password is wrong');
      }
      await purge(user.id);
    },

    /** Ends every session of the account at once (database and every process's cache). */
    endSessions: async (userId: number) => {
      await evictSessions(await store.deleteUserSessions(db, userId));
      await deps.forgetCredentials?.(userId);
    },

    /** Deletes an account with everything it owns (the owner from settings, or an admin). */
    purge: (userId: number) => purge(userId),

    async getSettings(userId: number): Promise<UserSettings> {
      return cache.wrap(settingsCacheKey(userId), 300, async () => {
        const r = await store.findSettings(db, userId);
        if (!r) return { ...DEFAULT_SETTINGS };
        return {
          chatModel: r.chat_model,
          budgetSession: r.budget_session ?? DEFAULT_SETTINGS.budgetSession,
          budgetShortTerm: r.budget_short_term ?? DEFAULT_SETTINGS.budgetShortTerm,
          budgetLongTerm: r.budget_long_term ?? DEFAULT_SETTINGS.budgetLongTerm,
          profileText: r.profile_text ?? '',
          groupRounds: r.group_rounds ?? DEFAULT_SETTINGS.groupRounds,
        };
      });
    },

    /** Ranges are checked by the route schema; the model list is only known at run time. */
    async putSettings(userId: number, s: UserSettings): Promise<UserSettings> {
      const model = s.chatModel?.trim() || null;
      const allowed = deps.allowedModels();
      if (model && allowed.length && !allowed.includes(model)) {
        throw new AppError('validation:chatModel', `chatModel must be one of: ${allowed.join(', ')}`);
      }
      const clean = { ...s, chatModel: model, profileText: s.profileText.trim() };
      await store.upsertSettings(db, {
        user_id: userId,
        chat_model: clean.chatModel,
        budget_session: clean.budgetSession,
        budget_short_term: clean.budgetShortTerm,
        budget_long_term: clean.budgetLongTerm,
        profile_text: clean.profileText,
        group_rounds: clean.groupRounds,
        updated_at: now(),
      });
      await cache.delete(settingsCacheKey(userId));
      return clean;
    },

    listUsers: (limit: number, offset: number) => store.listUsers(db, limit, offset),
    purgeExpiredSessions: () => store.deleteExpiredSessions(db, now()),
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
