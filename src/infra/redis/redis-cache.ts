/**
 * Cache on Redis with the in-process LRU in front.
 *
 * - Reads hit the local LRU first (kept at most `localTtlSeconds`, default 5 s), then Redis.
 * - `delete` removes the keys in Redis and publishes them; every process drops them from its LRU
 *   on receipt, so a write made through one process is read fresh through all of them at once.
 *   The local TTL bounds staleness if a message is lost (Redis pub/sub is best effort), and the
 *   LRU is cleared when the subscription comes back after an outage.
 * - A load racing a delete must not put the old value back: `delete` bumps a per-key version, and
 *   `wrap` stores its loaded value in Redis only if the version is still the one it read.
 * - Redis down: get is a miss, set/delete touch only the LRU; nothing is thrown at the caller.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Cache } from '../cache/cache.js';
import { MemoryCache } from '../cache/memory-cache.js';
import type { PubSub } from '../pubsub/pubsub.js';
import type { RedisFallback } from './connection.js';

export interface RedisCacheOptions {
  /** Namespace for keys and the invalidation channel (tests use a fresh one each). */
  prefix: string;
  localTtlSeconds?: number;
  localMaxEntries?: number;
  /** How long a delete's version marker outlives it; must exceed the slowest load. */
  versionTtlMs?: number;
  /** Registers a callback for "pub/sub is back after an outage" (invalidations may have been missed). */
  onResubscribe?: (listener: () => void) => void;
}

interface InvalidationMessage {
  origin: string;
  keys: string[];
}

/** SET the value only if the key's version is still the one read before loading. */
const SET_IF_VERSION = `
local v = redis.call('GET', KEYS[2])
if (v or '') ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;

/** DEL each key and bump its version, in one round trip. */
const DELETE_AND_BUMP = `
for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  redis.call('INCR', KEYS[i + 1])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
end
return #KEYS / 2`;

type ScriptedRedis = Redis & {
  fastnpcCacheSetIfVersion(key: string, versionKey: string, value: string, ttlMs: number, expected: string): Promise<number>;
  fastnpcCacheDelete(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

export class RedisCache implements Cache {
  private local: MemoryCache;
  private readonly origin = randomUUID();
  private readonly channel: string;
  private readonly localTtl: number;
  private readonly versionTtlMs: number;
  private unsubscribe?: () => Promise<void>;
  private hits = 0;
  private misses = 0;

  private constructor(
    private readonly redis: RedisFallback,
    private readonly pubsub: PubSub,
    private readonly options: RedisCacheOptions,
  ) {
    this.local = new MemoryCache(options.localMaxEntries ?? 50_000);
    this.channel = `${options.prefix}:cache:invalidate`;
    this.localTtl = options.localTtlSeconds ?? 5;
    this.versionTtlMs = options.versionTtlMs ?? 10 * 60_000;
    const client = redis.client as ScriptedRedis;
    if (!client.fastnpcCacheSetIfVersion) {
      client.defineCommand('fastnpcCacheSetIfVersion', { numberOfKeys: 2, lua: SET_IF_VERSION });
      client.defineCommand('fastnpcCacheDelete', { lua: DELETE_AND_BUMP });
    }
  }

  /** Builds the cache and waits until it listens for invalidations (when Redis is up). */
  static async create(redis: RedisFallback, pubsub: PubSub, options: RedisCacheOptions): Promise<RedisCache> {
    const cache = new RedisCache(redis, pubsub, options);
    cache.unsubscribe = await pubsub.subscribe(cache.channel, (m: InvalidationMessage) => {
      if (m && m.origin !== cache.origin && Array.isArray(m.keys)) cache.local.deleteSync(m.keys);
    });
    // Start the local tier afresh: loads in flight finish against the old one and are dropped.
    options.onResubscribe?.(() => (cache.local = new MemoryCache(options.localMaxEntries ?? 50_000)));
    return cache;
  }

  async get<T>(key: string): Promise<T | undefined> {
    const hit = this.local.getSync<T>(key);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    // GET and PTTL in one round trip: a value stays local no longer than it has left in Redis.
    const [raw, pttl] = await this.redis.run(
      async (c) => {
        const res = await c.pipeline().get(this.key(key)).pttl(this.key(key)).exec();
        const err = res?.find(([e]) => e)?.[0];
        if (!res || err) throw err ?? new Error('pipeline failed');
        return [res[0][1] as string | null, res[1][1] as number] as const;
      },
      () => [null, -1] as const,
    );
    if (raw === null) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    const value = JSON.parse(raw) as T;
    this.local.setSync(key, value, this.localTtlFor(pttl > 0 ? Math.ceil(pttl / 1000) : this.localTtl));
    return value;
  }

  async set<T>(key: string, value: T, ttlSeconds: number): Promise<void> {
    this.local.setSync(key, value, this.localTtlFor(ttlSeconds));
    const json = JSON.stringify(value);
    if (json === undefined) return;
    await this.redis.run(
      (c) => c.set(this.key(key), json, 'PX', ttlMs(ttlSeconds)),
      () => undefined,
    );
  }

  async delete(...keys: string[]): Promise<void> {
    if (!keys.length) return;
    this.local.deleteSync(keys);
    const args = keys.flatMap((k) => [this.key(k), this.versionKey(k)]);
    await this.redis.run(
      (c) => (c as ScriptedRedis).fastnpcCacheDelete(args.length, ...args, this.versionTtlMs),
      () => 0,
    );
    await this.pubsub.publish(this.channel, { origin: this.origin, keys } satisfies InvalidationMessage);
  }

  async wrap<T>(key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    const hit = this.local.getSync<T>(key);
    if (hit !== undefined) {
      this.hits++;
      return hit;
    }
    // The local tier single-flights concurrent misses in this process, Redis or not.
    return this.local.wrap(key, this.localTtlFor(ttlSeconds), async () => {
      const [raw, version] = await this.redis.run(
        (c) => c.mget(this.key(key), this.versionKey(key)),
        () => [null, null] as (string | null)[],
      );
      if (raw !== null && raw !== undefined) {
        this.hits++;
        return JSON.parse(raw) as T;
      }
      this.misses++;
      const loaded = await load();
      const json = JSON.stringify(loaded);
      if (json !== undefined) {
        await this.redis.run(
          (c) => (c as ScriptedRedis).fastnpcCacheSetIfVersion(this.key(key), this.versionKey(key), json, ttlMs(ttlSeconds), version ?? ''),
          () => 0,
        );
      }
      return loaded;
    });
  }

  stats() {
    return { hits: this.hits, misses: this.misses };
  }

  async close(): Promise<void> {
    const unsubscribe = this.unsubscribe;
    this.unsubscribe = undefined;
    await unsubscribe?.().catch(() => {});
    await this.local.close();
  }

  private localTtlFor(ttlSeconds: number): number {
    return Math.max(1, Math.min(this.localTtl, ttlSeconds));
  }

  private key(key: string) {
    return `${this.options.prefix}:c:${key}`;
  }

  private versionKey(key: string) {
    return `${this.options.prefix}:v:${key}`;
  }
}

function ttlMs(ttlSeconds: number): number {
  return Math.max(1, Math.round(ttlSeconds * 1000));
}
