/**
 * Building blocks for the scaled-mode suites: a fresh key prefix per test (runs never collide),
 * infra instances that stand for separate processes, a TCP proxy to take Redis "down" and bring
 * it back, and key cleanup.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { REDIS_URL } from '../../support/services.js';
import { Metrics } from '../../../src/infra/metrics.js';
import { createScaledInfra, type ScaledInfra, type ScaledInfraDeps } from '../../../src/infra/redis/scaled-infra.js';

/** Like DIALECTS: the Redis suites run when FASTNPC_TEST_REDIS_URL is set (services.ts makes it required under CI). */
export const REDIS_URLS: string[] = REDIS_URL ? [REDIS_URL] : [];

/** Nothing listens on port 1: connections are refused at once. */
export const DOWN_URL = 'redis://127.0.0.1:1';

export const silentLogger = { info() {}, warn() {}, error() {} };

export function freshPrefix(): string {
  return `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface TestInfra extends ScaledInfra {
  metrics: Metrics;
}

/** One "process" worth of scaled infra; closed by `closeAll`. */
export async function startInfra(url: string, prefix: string, opened: TestInfra[], deps: Partial<ScaledInfraDeps> = {}): Promise<TestInfra> {
  const metrics = new Metrics({ defaultMetrics: false });
  const infra = await createScaledInfra({ redisUrl: url, shutdownGraceMs: 2000 }, { metrics, logger: silentLogger, prefix, readyTimeoutMs: 1000, ...deps });
  const t = { ...infra, metrics };
  opened.push(t);
  return t;
}

export async function closeAll(opened: TestInfra[]): Promise<void> {
  await Promise.allSettled(opened.splice(0).map((i) => i.close()));
}

/** Deletes every key of a test's prefix. */
export async function dropPrefix(url: string, prefix: string): Promise<void> {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/** A TCP proxy in front of Redis: `stop()` makes Redis unreachable, `start()` brings it back on the same port. */
export class RedisProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: string) {}

  get url(): string {
    const t = new URL(this.target);
    t.hostname = '127.0.0.1';
    t.port = String(this.port);
    return t.toString();
  }

  async start(): Promise<void> {
    const t = new URL(this.target);
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(t.port || 6379), t.hostname);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    const addr = this.server.address();
    if (addr && typeof addr === 'object') this.port = addr.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server = undefined;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A promise with its resolver, for handlers the test releases. */
export function gate<T = void>() {
  let open!: (v: T) => void;
  const promise = new Promise<T>((r) => (open = r));
  return { promise, open };
}
