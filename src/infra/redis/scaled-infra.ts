/**
 * The Redis-backed infrastructure of scaled mode, built once per process from REDIS_URL:
 * cache, job queue, rate limiter, pub/sub and locks over three connections (commands, the
 * subscriber, BullMQ workers), plus the readiness check. Redis being down at start-up does not
 * stop the process: it starts degraded and recovers when Redis comes back.
 */
import type { Config } from '../../config.js';
import type { Cache } from '../cache/cache.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { RateLimiter } from '../rate-limit/rate-limiter.js';
import type { PubSub } from '../pubsub/pubsub.js';
import type { Locks } from '../locks/locks.js';
import type { Metrics } from '../metrics.js';
/** A readiness check as /readyz takes it (infra must not import the system feature's routes). */
interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
  critical: boolean;
}
import { closeRedis, createRedis, ErrorReporter, RedisFallback, waitForReady, type Logger } from './connection.js';
import { RedisPubSub } from './redis-pubsub.js';
import { RedisCache } from './redis-cache.js';
import { RedisRateLimiter } from './redis-rate-limiter.js';
import { RedisLocks } from './redis-locks.js';
import { BullMqJobQueue } from './bullmq-queue.js';

export interface ScaledInfra {
  cache: Cache;
  queue: JobQueue;
  limiter: RateLimiter;
  pubsub: PubSub;
  locks: Locks;
  /** name 'redis', critical: false — Redis down makes /readyz "degraded", not failed. */
  readiness: ReadinessCheck;
  close(): Promise<void>;
}

export interface ScaledInfraDeps {
  metrics: Metrics;
  logger: Logger;
  /** Namespace of every key and channel; default "fastnpc". Tests pass a fresh one. */
  prefix?: string;
  /** Longest wait for Redis at start-up before starting degraded; default 3 s. */
  readyTimeoutMs?: number;
  /** Forwarded to the queue (job failure logging/metrics). */
  onJobError?: (name: string, err: unknown, final: boolean) => void;
}

export async function createScaledInfra(config: Pick<Config, 'redisUrl' | 'shutdownGraceMs'>, deps: ScaledInfraDeps): Promise<ScaledInfra> {
  const url = config.redisUrl;
  if (!url) throw new Error('createScaledInfra needs REDIS_URL');
  const prefix = deps.prefix ?? 'fastnpc';
  const errors = deps.metrics.counter('redis_errors_total', 'Redis failures by component; each one was served by a fallback or dropped', ['component']);
  const reporter = new ErrorReporter(deps.logger, (component) => errors.inc({ component }));

  const command = createRedis(url, 'command', 'command', reporter);
  const subscriber = createRedis(url, 'subscriber', 'subscriber', reporter);
  const workerConnection = createRedis(url, 'bullmq', 'bullmq', reporter);
  if (!(await waitForReady(command, deps.readyTimeoutMs ?? 3000))) {
    deps.logger.warn({ status: command.status }, 'redis not reachable at start-up; starting degraded (local cache, per-process limits, enqueue fails with 503)');
  }

  const pubsub = new RedisPubSub(subscriber, command, reporter);
  const cache = await RedisCache.create(new RedisFallback(command, 'cache', reporter), pubsub, { prefix, onResubscribe: (l) => pubsub.onResubscribe(l) });
  const limiter = new RedisRateLimiter(new RedisFallback(command, 'rate-limit', reporter), prefix);
  const locks = new RedisLocks(new RedisFallback(command, 'locks', reporter), prefix);
  const queue = await BullMqJobQueue.create({ prefix, producer: command, workerConnection, pubsub, reporter, onError: deps.onJobError });
  // Invalidations from other processes must reach this one before it reports ready.
  if (command.status === 'ready') await pubsub.waitLive(deps.readyTimeoutMs ?? 3000);

  const readiness: ReadinessCheck = {
    name: 'redis',
    critical: false,
    async check() {
      if (command.status !== 'ready') throw new Error(`connection ${command.status}`);
      // Until the subscriber is back, other processes' invalidations do not reach this one.
      if (!pubsub.live) throw new Error(`subscriber ${subscriber.status === 'ready' ? 'resubscribing' : subscriber.status}`);
      await command.ping();
    },
  };

  let closing: Promise<void> | undefined;
  return {
    cache,
    queue,
    limiter,
    pubsub,
    locks,
    readiness,
    // Safe to call after (or instead of) the app closing each piece: every close is idempotent.
    close() {
      closing ??= (async () => {
        await queue.close(config.shutdownGraceMs);
        await Promise.allSettled([cache.close(), limiter.close(), locks.close()]);
        await pubsub.close();
        await Promise.allSettled([closeRedis(workerConnection), closeRedis(command)]);
      })();
      return closing;
    },
  };
}
