import { AppError } from '../errors.js';
import type { RateLimiter } from '../infra/rate-limit/rate-limiter.js';

/** Counts one hit and throws 429 with Retry-After past the limit. `limit` 0 = unlimited. */
export async function enforceRateLimit(limiter: RateLimiter, key: string, limit: number, what: string, windowMs = 60_000): Promise<void> {
  if (limit <= 0) return;
  const r = await limiter.hit(key, limit, windowMs);
  if (!r.allowed) throw new AppError('rate_limited', `Too many ${what}; try again in ${r.retryAfter} s`, { retryAfter: r.retryAfter });
}
