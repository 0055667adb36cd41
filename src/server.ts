/**
 * Listening, timeouts and graceful shutdown for one process. On SIGTERM/SIGINT: stop accepting,
 * let open streams finish up to FASTNPC_SHUTDOWN_GRACE_MS, close jobs and connections, exit.
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { buildApp, type BuildOptions } from './app.js';

export async function startServer(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const { app } = await buildApp(config, options);
  // Keep-alive longer than typical proxies' idle timeout avoids races on reused connections.
  app.server.keepAliveTimeout = 65_000;
  app.server.headersTimeout = 66_000;
  // A deep accept queue (capped by net.core.somaxconn): when thousands of clients connect at once,
  // a full queue drops SYNs and clients retry after 1, 3, 7, 15 s — seen as 17 s first tokens.
  await app.listen({ host: config.host, port: config.port, backlog: 4096 });
  installShutdown(app, config.shutdownGraceMs);
  return app;
}

export function installShutdown(app: FastifyInstance, graceMs: number): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: draining connections');
    const force = setTimeout(() => {
      app.log.warn('grace period over; closing remaining connections');
      app.server.closeAllConnections();
    }, graceMs);
    force.unref();
    // close() stops accepting, waits for in-flight requests (streams included), then runs onClose.
    app.server.closeIdleConnections();
    await app.close().catch((err) => app.log.error({ err }, 'error while closing'));
    clearTimeout(force);
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}
