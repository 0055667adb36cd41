/**
 * `serve --workers N`: a node:cluster primary that only supervises. It forks the HTTP workers
 * (each runs `startWorker`, i.e. the whole app), restarts one that crashes — with a growing delay
 * when crashes come in a row, so a worker that dies at start-up does not fork-loop — and on
 * SIGTERM/SIGINT tells every worker to drain (src/server.ts: stop accepting, let streams finish
 * up to FASTNPC_SHUTDOWN_GRACE_MS, close) and exits when all are gone.
 *
 * /metrics in a worker shows the whole cluster: the worker asks the primary over IPC, the primary
 * collects every worker's registry as JSON and merges them with prom-client's AggregatorRegistry.
 *   worker → primary  { type: 'fastnpc:metrics:ask', id }
 *   primary → workers { type: 'fastnpc:metrics:req', id }
 *   workers → primary { type: 'fastnpc:metrics:res', id, metrics | error }
 *   primary → worker  { type: 'fastnpc:metrics:agg', id, contentType, body | error }
 */
import cluster, { type Worker } from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from './infra/redis/connection.js';

export interface ClusterOptions {
  logger?: Logger;
  /** Called once every worker has exited after a shutdown signal; default process.exit. */
  exit?: (code: number) => void;
}

type MetricsMessage =
  | { type: 'fastnpc:metrics:ask'; id: string }
  | { type: 'fastnpc:metrics:req'; id: string }
  | { type: 'fastnpc:metrics:res'; id: string; metrics?: object[]; error?: string }
  | { type: 'fastnpc:metrics:agg'; id: string; contentType?: string; body?: string; error?: string };

const COLLECT_TIMEOUT_MS = 3000;

/**
 * Runs the cluster. In the primary: forks, supervises, resolves once the workers are forked.
 * In a worker: runs `startWorker`. With one worker there is nothing to supervise, so it runs
 * `startWorker` in this process.
 */
export async function runCluster(config: { workers: number; shutdownGraceMs: number }, startWorker: () => Promise<void>, options: ClusterOptions = {}): Promise<void> {
  if (cluster.isWorker) {
    // The primary is gone (killed hard): drain and exit rather than live on as an orphan.
    process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
    return startWorker();
  }
  const count = workerCount(config);
  if (count <= 1) return startWorker();
  runPrimary(count, config.shutdownGraceMs, options);
}

function runPrimary(count: number, graceMs: number, options: ClusterOptions) {
  const log = options.logger ?? stderrLogger;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const startedAt = new Map<number, number>();
  const restartTimers = new Set<NodeJS.Timeout>();
  let restartDelayMs = 0;
  let shuttingDown = false;

  const fork = () => {
    const w = cluster.fork();
    startedAt.set(w.id, Date.now());
  };
  const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    if (shuttingDown) {
      if (alive().length === 0) {
        log.info({}, 'all workers stopped');
        exit(0);
      }
      return;
    }
    restartDelayMs = nextRestartDelay(restartDelayMs, lived);
    log.warn({ pid: worker.process.pid, code, signal, livedMs: lived, restartInMs: restartDelayMs }, 'worker exited; restarting it');
    const t = setTimeout(() => {
      restartTimers.delete(t);
      if (!shuttingDown) fork();
    }, restartDelayMs);
    restartTimers.add(t);
  });

  cluster.on('message', (worker, msg: MetricsMessage) => {
    if (msg?.type !== 'fastnpc:metrics:ask') return;
    aggregateMetrics(alive()).then(
      (m) => worker.isConnected() && worker.send({ type: 'fastnpc:metrics:agg', id: msg.id, ...m } satisfies MetricsMessage),
      (err: Error) => worker.isConnected() && worker.send({ type: 'fastnpc:metrics:agg', id: msg.id, error: err.message } satisfies MetricsMessage),
    );
  });

  const shutdown = (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    for (const t of restartTimers) clearTimeout(t);
    const workers = alive();
    log.info({ signal, workers: workers.length }, 'shutting down: draining workers');
    if (workers.length === 0) return exit(0);
    // Always SIGTERM: a Ctrl-C already sent SIGINT to the whole process group, and a second
    // SIGINT would hit the worker's default handler and kill it mid-drain.
    for (const w of workers) w.process.kill('SIGTERM');
    setTimeout(() => {
      for (const w of alive()) w.process.kill('SIGKILL');
    }, graceMs + 15_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  for (let i = 0; i < count; i++) fork();
  log.info({ workers: count }, 'cluster started');
}

/** FASTNPC_WORKERS / --workers: 0 = one per core; unset = one per core in scaled mode (REDIS_URL), else 1. */
export function workerCount(config: { workers?: number; redisUrl?: string }): number {
  const n = config.workers ?? (config.redisUrl ? 0 : 1);
  return n === 0 ? availableParallelism() : n;
}

/** Immediate restart after a long life; 0.5 s doubling to 30 s while workers keep dying young. */
export function nextRestartDelay(previousMs: number, livedMs: number): number {
  if (livedMs >= 30_000) return 0;
  return Math.min(30_000, Math.max(500, previousMs * 2));
}

async function aggregateMetrics(workers: Worker[]): Promise<{ contentType: string; body: string }> {
  const id = randomUUID();
  const replies = await Promise.all(workers.map((w) => askWorker(w, id)));
  const registry = AggregatorRegistry.aggregate(replies.filter((r): r is object[] => !!r));
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** One worker's metrics as JSON, or undefined if it does not answer in time (it may be busy or dying). */
function askWorker(w: Worker, id: string): Promise<object[] | undefined> {
  return new Promise((resolve) => {
    const done = (v: object[] | undefined) => {
      clearTimeout(timer);
      w.off('message', onMessage);
      resolve(v);
    };
    const onMessage = (msg: MetricsMessage) => {
      if (msg?.type === 'fastnpc:metrics:res' && msg.id === id) done(msg.metrics);
    };
    const timer = setTimeout(() => done(undefined), COLLECT_TIMEOUT_MS);
    w.on('message', onMessage);
    try {
      w.send({ type: 'fastnpc:metrics:req', id } satisfies MetricsMessage);
    } catch {
      done(undefined);
    }
  });
}

// Worker side -------------------------------------------------------------------------------------

let ownRegistry: Registry | undefined;
const pendingAggregates = new Map<string, (m: MetricsMessage & { type: 'fastnpc:metrics:agg' }) => void>();

/** Call once in each worker with the app's registry: answers the primary's collection requests. */
export function serveMetricsToPrimary(registry: Registry): void {
  const first = !ownRegistry;
  ownRegistry = registry;
  if (!first || !cluster.isWorker) return;
  process.on('message', (msg: MetricsMessage) => {
    if (msg?.type === 'fastnpc:metrics:req') {
      ownRegistry!.getMetricsAsJSON().then(
        (metrics) => process.send?.({ type: 'fastnpc:metrics:res', id: msg.id, metrics } satisfies MetricsMessage),
        (err: Error) => process.send?.({ type: 'fastnpc:metrics:res', id: msg.id, error: err.message } satisfies MetricsMessage),
      );
    } else if (msg?.type === 'fastnpc:metrics:agg') {
      pendingAggregates.get(msg.id)?.(msg);
    }
  });
}

/**
 * The text of /metrics for the whole cluster (pass it as BuildOptions.metricsText). Outside a
 * cluster, or if the primary does not answer, this process's own metrics.
 */
export async function clusterMetricsText(): Promise<{ contentType: string; body: string }> {
  if (!ownRegistry) throw new Error('serveMetricsToPrimary(registry) was not called in this process');
  const local = ownRegistry;
  const localText = async () => ({ contentType: local.contentType, body: await local.metrics() });
  if (!cluster.isWorker || !process.send) return localText();
  const id = randomUUID();
  const reply = await new Promise<(MetricsMessage & { type: 'fastnpc:metrics:agg' }) | undefined>((resolve) => {
    const timer = setTimeout(() => {
      pendingAggregates.delete(id);
      resolve(undefined);
    }, COLLECT_TIMEOUT_MS + 1000);
    pendingAggregates.set(id, (m) => {
      clearTimeout(timer);
      pendingAggregates.delete(id);
      resolve(m);
    });
    process.send!({ type: 'fastnpc:metrics:ask', id } satisfies MetricsMessage);
  });
  if (!reply || reply.error || reply.body === undefined) return localText();
  return { contentType: reply.contentType ?? local.contentType, body: reply.body };
}

const stderrLogger: Logger = {
  info: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'info', msg, ...obj })}\n`),
  warn: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...obj })}\n`),
  error: (obj, msg) => process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...obj })}\n`),
};
