/**
 * ioredis connections for scaled mode, one factory per role, so each role's failure behaviour is
 * decided here once:
 * - `command` (cache, rate limits, locks, pub/sub publishing, BullMQ producers): no offline queue
 *   and a command timeout, so a call fails at once when Redis is down and callers fall back,
 *   instead of piling up behind a reconnect.
 * - `subscriber`: a connection in subscriber mode can run nothing else; it queues while offline
 *   and ioredis re-subscribes its channels after a reconnect (`autoResubscribe`).
 * - `bullmq`: BullMQ workers block on Redis and require `maxRetriesPerRequest: null`; they wait
 *   out an outage and resume.
 */
import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole = 'command' | 'subscriber' | 'bullmq';

/** The subset of pino we log through. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const CONNECT_TIMEOUT_MS = 2000;
const COMMAND_TIMEOUT_MS = 2000;

/** Reconnect forever, exponential from 100 ms up to 5 s, with jitter so N processes do not retry in step. */
export function reconnectDelay(times: number): number {
  const cap = Math.min(5000, 100 * 2 ** Math.min(times, 6));
  return Math.floor(cap / 2 + (Math.random() * cap) / 2);
}

export function redisOptions(role: RedisRole, name: string): RedisOptions {
  const base: RedisOptions = { connectionName: `fastnpc:${name}`, connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy: reconnectDelay, enableReadyCheck: true };
  switch (role) {
    case 'command':
      return { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: COMMAND_TIMEOUT_MS };
    case 'subscriber':
      // No ready check: its INFO would be refused once the connection is in subscriber mode
      // ("only subscriber commands may be used"), seen as a spurious "redis unavailable" at start-up.
      return { ...base, enableReadyCheck: false, enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true };
    case 'bullmq':
      return { ...base, enableOfflineQueue: true, maxRetriesPerRequest: null };
  }
}

export function createRedis(url: string, role: RedisRole, name: string, reporter?: ErrorReporter): Redis {
  const client = new Redis(url, redisOptions(role, name));
  // Without a listener ioredis prints every failed reconnect; the reporter rate-limits them.
  client.on('error', (err) => reporter?.error(`redis:${name}`, err));
  return client;
}

/** Resolves true once `client` is ready, false after `timeoutMs` (the caller runs degraded). */
export function waitForReady(client: Redis, timeoutMs: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    client.on('ready', onReady);
  });
}

/** QUIT politely, but never wait on a connection that cannot answer. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await Promise.race([client.quit().catch(() => client.disconnect()), new Promise((r) => setTimeout(r, 1000).unref())]);
  // QUIT may not have been answered within the second.
  if ((client.status as string) !== 'end') client.disconnect();
}

/**
 * Counts Redis failures per component and logs at most once per `intervalMs` per component, so an
 * outage at thousands of requests a second writes a handful of log lines, not millions.
 */
export class ErrorReporter {
  private readonly lastLog = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly count: (component: string) => void = () => {},
    private readonly intervalMs = 30_000,
  ) {}

  error(component: string, err: unknown): void {
    this.count(component);
    const now = Date.now();
    const last = this.lastLog.get(component) ?? 0;
    if (now - last < this.intervalMs) {
      this.suppressed.set(component, (this.suppressed.get(component) ?? 0) + 1);
      return;
    }
    this.lastLog.set(component, now);
    const suppressed = this.suppressed.get(component) ?? 0;
    this.suppressed.delete(component);
    this.logger.warn({ component, err: err instanceof Error ? err.message : String(err), suppressed }, 'redis unavailable; running degraded');
  }
}

/**
 * The one "Redis down → fall back" rule: skip Redis when the connection is not ready (no error
 * object, no wait), and use the fallback when a command fails. Never throws Redis errors.
 */
export class RedisFallback {
  constructor(
    readonly client: Redis,
    private readonly component: string,
    private readonly reporter: ErrorReporter,
  ) {}

  get available(): boolean {
    return this.client.status === 'ready';
  }

  async run<T>(op: (client: Redis) => Promise<T>, fallback: () => T | Promise<T>): Promise<T> {
    if (!this.available) {
      this.reporter.error(this.component, new Error(`connection ${this.client.status}`));
      return fallback();
    }
    try {
      return await op(this.client);
    } catch (err) {
      this.reporter.error(this.component, err);
      return fallback();
    }
  }
}
