/**
 * Leases in Redis (SET key token NX PX), so "this conversation is streaming" holds across
 * processes. Release deletes the key only if it still holds our token: a lease that expired and
 * was taken by someone else is never released by the old holder. Redis down → in-process leases
 * (they hold within this process only until Redis is back).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MemoryLocks, type Locks } from '../locks/locks.js';
import type { RedisFallback } from './connection.js';

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type ScriptedRedis = Redis & { fastnpcLockRelease(key: string, token: string): Promise<number> };

export class RedisLocks implements Locks {
  private readonly fallback = new MemoryLocks();

  constructor(
    private readonly redis: RedisFallback,
    private readonly prefix: string,
  ) {
    const client = redis.client as ScriptedRedis;
    if (!client.fastnpcLockRelease) client.defineCommand('fastnpcLockRelease', { numberOfKeys: 1, lua: RELEASE });
  }

  async tryAcquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const redisKey = `${this.prefix}:lock:${key}`;
    const token = randomUUID();
    return this.redis.run(
      async (c) => {
        const ok = await c.set(redisKey, token, 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
        if (ok !== 'OK') return undefined;
        let released = false;
        return async () => {
          if (released) return;
          released = true;
          // If Redis is down now, the lease simply expires after ttlMs.
          await this.redis.run((r) => (r as ScriptedRedis).fastnpcLockRelease(redisKey, token), () => 0);
        };
      },
      () => this.fallback.tryAcquire(key, ttlMs),
    );
  }

  async close(): Promise<void> {
    await this.fallback.close();
  }
}
