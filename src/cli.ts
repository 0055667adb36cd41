#!/usr/bin/env node
/**
 * fastnpc — one entry point:
 *   serve [--workers N]   HTTP API + web app (+ jobs unless FASTNPC_RUN_JOBS=false)
 *   worker                background jobs only
 *   migrate               apply database migrations and exit
 *   create <name>         create a character from Baike, Wikipedia or a text file
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, redactUrl } from './config.js';

const USAGE = `Usage: fastnpc <command> [options]

Commands:
  serve [--workers N]    start the HTTP server (and background jobs)
  worker                 run background jobs only (scaled mode)
  migrate                apply database migrations
  create <name> [--source baike|zhwiki|text] [--file F] [--candidate ID]
         [--detail concise|detailed] [--user USERNAME]
                         create a character (prints its id)
  prompts export [--file F] | prompts import <file>
                         versioned prompts as JSON
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      return 2;
    }
    throw err;
  }
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({ args: rest, options: { workers: { type: 'string' } } });
      let workers = config.workers ?? (config.redisUrl ? 0 : 1);
      if (values.workers !== undefined) {
        workers = Number(values.workers);
        if (!Number.isInteger(workers) || workers < 0) throw new Error('--workers must be a non-negative integer');
      }
      if (workers !== 1 && !config.redisUrl) throw new Error('--workers other than 1 needs REDIS_URL (processes must share cache, locks and jobs)');
      const [{ startServer }, { runCluster }] = await Promise.all([import('./server.js'), import('./cluster.js')]);
      await runCluster({ workers, shutdownGraceMs: config.shutdownGraceMs }, async () => {
        const app = await startServer(config);
        app.log.info({ url: `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${config.port}`, database: config.databaseUrl ? redactUrl(config.databaseUrl) : 'sqlite', redis: config.redisUrl ? redactUrl(config.redisUrl) : 'off' }, 'FastNPC is ready');
      });
      return -1;
    }
    case 'worker': {
      const [{ buildApp }, { runWorkerProcess }] = await Promise.all([import('./app.js'), import('./worker.js')]);
      await runWorkerProcess(config, async () => {
        // The same composition as `serve`, without listening: only the job handlers do work here.
        const { app } = await buildApp(config, { runJobs: true });
        return { close: () => app.close() };
      });
      return -1;
    }
    case 'migrate': {
      const { openDatabase, migrateToLatest } = await import('./infra/db/index.js');
      const { join } = await import('node:path');
      const db = openDatabase({ databaseUrl: config.databaseUrl, sqliteFile: join(config.dataDirAbs, 'fastnpc.db') });
      try {
        const applied = await migrateToLatest(db.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      } finally {
        await db.close();
      }
      return 0;
    }
    case 'create': {
      const { runCreate } = await import('./cli-create.js');
      return runCreate(config, rest);
    }
    case 'prompts': {
      const { runPromptsCli } = await import('./features/prompts/cli.js');
      return runPromptsCli(config, rest);
    }
    default:
      process.stderr.write(USAGE);
      return command ? 2 : 0;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`fastnpc: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
