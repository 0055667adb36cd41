/**
 * Leases in Redis (SET key token NX PX), so "this conversation is streaming" holds across
 * processes. Release deletes the key only if it still holds our token: a lease that expired and
 * was taken by someone else is never released by the old holder. Redis down → in-process leases
 * (they hold within this process only until Redis is back).
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { MemoryLocks, type Lease, type Locks } from '../locks/locks.js';
import type { RedisFallback } from './connection.js';

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

type ScriptedRedis = Redis & {
  fastnpcLockRelease(key: string, token: string): Promise<number>;
  fastnpcLockRenew(key: string, token: string, ttlMs: number): Promise<number>;
};

export class RedisLocks implements Locks {
  private readonly fallback = new MemoryLocks();

  constructor(
    private readonly redis: RedisFallback,
    private readonly prefix: string,
  ) {
    const client = redis.client as ScriptedRedis;
    if (!client.fastnpcLockRelease) client.defineCommand('fastnpcLockRelease', { numberOfKeys: 1, lua: RELEASE });
    if (!client.fastnpcLockRenew) client.defineCommand('fastnpcLockRenew', { numberOfKeys: 1, lua: RENEW });
  }

  async tryAcquire(key: string, ttlMs: number): Promise<Lease | undefined> {
    const redisKey = `${this.prefix}:lock:${key}`;
    const token = randomUUID();
    const ttl = Math.max(1, Math.round(ttlMs));
    return this.redis.run(
      async (c): Promise<Lease | undefined> => {
        const ok = await c.set(redisKey, token, 'PX', ttl, 'NX');
        if (ok !== 'OK') return undefined;
        let released = false;
        return {
          // Redis down during a renewal: keep going; the key expires on its own if we die.
          renew: () => this.redis.run(async (r) => (await (r as ScriptedRedis).fastnpcLockRenew(redisKey, token, ttl)) === 1, () => true),
          release: async () => {
            if (released) return;
            released = true;
            // If Redis is down now, the lease simply expires after ttlMs.
            await this.redis.run((r) => (r as ScriptedRedis).fastnpcLockRelease(redisKey, token), () => 0);
          },
        };
      },
      () => this.fallback.tryAcquire(key, ttlMs),
    );
  }

  async close(): Promise<void> {
    await this.fallback.close();
  }
}
