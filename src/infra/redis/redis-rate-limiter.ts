/**
 * Fixed-window rate limits in Redis, so a limit holds across processes and hosts. INCR and the
 * window's expiry run in one Lua script: a crash between them can never leave a counter that
 * never expires. Redis down → the in-process limiter takes over (limits hold per process) and
 * Redis is used again as soon as it is back.
 */
import type { Redis } from 'ioredis';
import { MemoryRateLimiter, type RateLimiter, type RateLimitResult } from '../rate-limit/rate-limiter.js';
import type { RedisFallback } from './connection.js';

/** Returns { count, ms left in the window }. */
const HIT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }`;

type ScriptedRedis = Redis & { fastnpcRateHit(key: string, windowMs: number): Promise<[number, number]> };

export class RedisRateLimiter implements RateLimiter {
  private readonly fallback = new MemoryRateLimiter();

  constructor(
    private readonly redis: RedisFallback,
    private readonly prefix: string,
  ) {
    const client = redis.client as ScriptedRedis;
    if (!client.fastnpcRateHit) client.defineCommand('fastnpcRateHit', { numberOfKeys: 1, lua: HIT });
  }

  async hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    if (limit <= 0) return { allowed: true, retryAfter: 0, remaining: Infinity };
    return this.redis.run(
      async (c) => {
        const [count, ttl] = await (c as ScriptedRedis).fastnpcRateHit(`${this.prefix}:rl:${key}`, windowMs);
        return { allowed: count <= limit, retryAfter: Math.max(1, Math.ceil(ttl / 1000)), remaining: Math.max(0, limit - count) };
      },
      () => this.fallback.hit(key, limit, windowMs),
    );
  }

  async close(): Promise<void> {
    await this.fallback.close();
  }
}
