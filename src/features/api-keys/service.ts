/**
 * API keys: a user's bearer tokens for the OpenAI-compatible endpoint. A key is `fnpc_` + 32
 * random bytes, shown once at creation; only its SHA-256 is stored (as sessions are), and lookups go
 * through the cache so an API request costs no query. Revoking evicts it from every process's cache.
 */
import { hash, randomBytes } from 'node:crypto';
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import { AppError, notFound } from '../../errors.js';
import * as groupStore from '../groups/store.js';
import * as store from './store.js';
import type { ApiKey, ApiKeyScope } from './store.js';

export type { ApiKey, ApiKeyScope } from './store.js';

export const API_KEY_PREFIX = 'fnpc_';
/** `fnpc_` and the first 8 characters of the random part: enough to tell keys apart, useless to guess with. */
const SHOWN_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;
export const MAX_KEYS_PER_USER = 50;
const DAY = 86_400_000;
const CACHE_TTL_S = 60;
/** last_used_at is written at most this often per key, not on every request. */
const TOUCH_EVERY_MS = 60_000;

/** The user and key behind a bearer token. */
export interface ApiCaller {
  userId: number;
  username: string;
  key: ApiKey;
  /** The owner's account is disabled: the key is refused with 403. */
  disabled: boolean;
}

export interface ApiKeysDeps {
  db: Db;
  cache: Cache;
  now?: () => number;
  onBackgroundError?: (err: unknown) => void;
}

export interface NewApiKey {
  name: string;
  /** Days until the key stops working; null/undefined = never. */
  expiresInDays?: number | null;
  characterIds?: number[];
  groupIds?: number[];
  ratePerMin?: number | null;
}

const hashToken = (token: string) => hash('sha256', token, 'hex');
const cacheKey = (tokenHash: string) => `apikey:${tokenHash}`;

/** Whether a key may use this character or group (no list = all of the user's). */
export function keyAllows(scope: ApiKeyScope | null, target: { kind: 'character' | 'group'; id: number }): boolean {
  const list = target.kind === 'character' ? scope?.characterIds : scope?.groupIds;
  return !scope || !list || list.includes(target.id);
}

export function createApiKeysService(deps: ApiKeysDeps) {
  const { db, cache } = deps;
  const now = deps.now ?? Date.now;

  async function scopeFor(userId: number, input: NewApiKey): Promise<ApiKeyScope | null> {
    if (input.characterIds === undefined && input.groupIds === undefined) return null;
    const characterIds = input.characterIds && [...new Set(input.characterIds)];
    const groupIds = input.groupIds && [...new Set(input.groupIds)];
    if (characterIds?.length) {
      const mine = await groupStore.ownedCharacterIds(db, userId, characterIds);
      const foreign = characterIds.find((id) => !mine.has(id));
      if (foreign !== undefined) throw new AppError('not_found:character', `character ${foreign} not found`, { details: { characterId: foreign } });
    }
    for (const id of groupIds ?? []) if (!(await groupStore.findGroup(db, userId, id))) throw new AppError('not_found:group', `group ${id} not found`, { details: { groupId: id } });
    // A key limited to some characters reaches no group unless groups are named too, and the reverse.
    return { characterIds: characterIds ?? [], groupIds: groupIds ?? [] };
  }

  return {
    /** Creates a key; the returned token is the only time it is ever seen. */
    async create(userId: number, input: NewApiKey): Promise<{ key: ApiKey; token: string }> {
      const existing = await store.listApiKeys(db, userId);
      if (existing.length >= MAX_KEYS_PER_USER) throw new AppError('conflict:api_keys', `You have ${MAX_KEYS_PER_USER} API keys; revoke one first`);
      const scope = await scopeFor(userId, input);
      const token = API_KEY_PREFIX + randomBytes(32).toString('base64url');
      const t = now();
      const key = await store.insertApiKey(db, {
        userId,
        name: input.name.trim(),
        prefix: token.slice(0, SHOWN_PREFIX_LENGTH),
        tokenHash: hashToken(token),
        scope,
        ratePerMin: input.ratePerMin ?? null,
        expiresAt: input.expiresInDays ? t + input.expiresInDays * DAY : null,
        now: t,
      });
      return { key, token };
    },

    list: (userId: number) => store.listApiKeys(db, userId),

    async rename(userId: number, id: number, name: string): Promise<ApiKey> {
      const key = await store.renameApiKey(db, userId, id, name.trim());
      if (!key) throw notFound('api_key');
      return key;
    },

    /** Revokes at once, in every process (the cache entry goes with the row). */
    async revoke(userId: number, id: number): Promise<void> {
      const hash = await store.deleteApiKey(db, userId, id);
      if (!hash) throw notFound('api_key');
      await cache.delete(cacheKey(hash));
    },

    /** Drops the user's keys from every process's cache, so a disabled or deleted account's keys stop at once. */
    async forget(userId: number): Promise<void> {
      const hashes = await store.apiKeyHashes(db, userId);
      if (hashes.length) await cache.delete(...hashes.map(cacheKey));
    },

    /** The caller behind a bearer token, or undefined for an unknown, revoked or expired key; 403 for a disabled account. */
    async resolve(token: string): Promise<ApiCaller | undefined> {
      if (!token.startsWith(API_KEY_PREFIX) || token.length > 200) return undefined;
      const hash = hashToken(token);
      let caller = await cache.get<ApiCaller | null>(cacheKey(hash));
      if (caller === undefined) {
        const found = await store.findByHash(db, hash);
        caller = found ? { userId: found.userId, username: found.username, key: found.key, disabled: found.disabled } : null;
        await cache.set(cacheKey(hash), caller, CACHE_TTL_S);
      }
      if (!caller) return undefined;
      if (caller.disabled) throw new AppError('forbidden:disabled', 'This account is disabled');
      const t = now();
      if (caller.key.expiresAt !== null && caller.key.expiresAt <= t) return undefined;
      if (caller.key.lastUsedAt === null || t - caller.key.lastUsedAt >= TOUCH_EVERY_MS) {
        caller = { ...caller, key: { ...caller.key, lastUsedAt: t } };
        await cache.set(cacheKey(hash), caller, CACHE_TTL_S);
        // Last-used is informative: a failed write must not fail the request.
        store.touchApiKey(db, caller.key.id, t).catch((err) => deps.onBackgroundError?.(err));
      }
      return caller;
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
