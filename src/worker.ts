/**
 * `fastnpc worker`: a process that runs background jobs only (no HTTP). On SIGTERM/SIGINT it
 * stops taking jobs, lets running ones finish (the job side's close decides how long; the BullMQ
 * queue puts unfinished jobs back to wait), and exits — no job is lost.
 */
import pino from 'pino';
import type { Config } from './config.js';
import type { Logger } from './infra/redis/connection.js';

/** The worker's logger (no Fastify here), at FASTNPC_LOG_LEVEL. */
export function workerLogger(config: Pick<Config, 'logLevel'>) {
  const p = pino({ level: config.logLevel });
  return { info: (o: object, m?: string) => p.info(o, m), warn: (o: object, m?: string) => p.warn(o, m), error: (o: object, m?: string) => p.error(o, m) };
}

export interface WorkerProcessOptions {
  logger?: Logger;
  exit?: (code: number) => void;
}

export async function runWorkerProcess(
  config: Pick<Config, 'shutdownGraceMs'>,
  startJobs: () => Promise<{ close(): Promise<void> }>,
  options: WorkerProcessOptions = {},
): Promise<void> {
  const log = options.logger;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const jobs = await startJobs();
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals) => {
    // `on`, not `once`: a second signal during the drain must not hit the default handler.
    if (closing) return;
    closing = true;
    log?.info({ signal }, 'worker shutting down: finishing running jobs');
    // Last resort if close itself hangs (e.g. Redis unreachable while acknowledging).
    const force = setTimeout(() => {
      log?.warn({}, 'worker did not close in time; exiting');
      exit(1);
    }, config.shutdownGraceMs + 10_000);
    force.unref();
    let code = 0;
    try {
      await jobs.close();
    } catch (err) {
      code = 1;
      log?.error({ err: err instanceof Error ? err.message : String(err) }, 'error while closing jobs');
    }
    clearTimeout(force);
    exit(code);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  log?.info({ pid: process.pid }, 'worker is running jobs');
}
