#!/usr/bin/env node
/**
 * fastnpc — one entry point:
 *   serve [--workers N]   HTTP API + web app (+ jobs unless FASTNPC_RUN_JOBS=false)
 *   worker                background jobs only
 *   migrate               apply database migrations and exit
 *   create <name>         create a character from Baike, Wikipedia or a text file
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, redactUrl, type Config } from './config.js';
import { CREATE_USAGE } from './cli-usage.js';

const USAGE = `Usage: fastnpc <command> [options]

Commands:
  serve [--workers N]    start the HTTP server (and background jobs)
  worker                 run background jobs only (scaled mode)
  migrate                apply database migrations
${CREATE_USAGE.trimEnd().replace(/^/gm, '  ')}
  prompts export [--file F] | prompts import <file>
                         versioned prompts as JSON
  help, --help           show this help
`;

const isHelp = (a: string | undefined) => a === '--help' || a === '-h' || a === 'help';

/**
 * What the server is, in one place: the address, the mode and the model. A person at a terminal
 * gets one readable line; a log collector (stdout not a TTY) gets one JSON object.
 */
async function announceReady(config: Config, log: { info: (o: object, msg: string) => void }): Promise<void> {
  const { remoteLlmBaseUrl } = await import('./infra/llm/index.js');
  const url = `http://${config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host}:${config.port}`;
  const scaled = Boolean(config.databaseUrl || config.redisUrl);
  const database = config.databaseUrl ? redactUrl(config.databaseUrl) : 'sqlite';
  const redis = config.redisUrl ? redactUrl(config.redisUrl) : 'off';
  const llmBase = remoteLlmBaseUrl(config);
  const model = config.llmModelChat ?? config.llmModel;
  if (!process.stdout.isTTY) {
    log.info({ url, mode: scaled ? 'scaled' : 'embedded', database, redis, llm: llmBase ? { provider: 'openai-compatible', baseUrl: redactUrl(llmBase), model } : { provider: 'offline' } }, 'FastNPC is ready');
    return;
  }
  const storage = scaled ? `scaled: ${config.databaseUrl ? 'PostgreSQL' : 'SQLite'}${config.redisUrl ? ' + Redis' : ''}` : 'embedded: SQLite, in-process jobs';
  const llm = llmBase ? `model ${model} at ${new URL(llmBase).host}` : 'built-in offline model (set FASTNPC_LLM_BASE_URL or an API key for a real one)';
  process.stdout.write(`FastNPC is ready at ${url}  ·  ${storage}  ·  ${llm}\n`);
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (isHelp(command)) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (rest.some(isHelp) && command === 'create') {
    process.stdout.write(`Usage: fastnpc ${CREATE_USAGE}`);
    return 0;
  }
  if (rest.some(isHelp)) {
    process.stdout.write(USAGE);
    return 0;
  }
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
        // Once per machine: in cluster mode only the first worker speaks.
        const { default: cluster } = await import('node:cluster');
        if (!cluster.isWorker || cluster.worker?.id === 1) await announceReady(config, app.log);
      });
      return -1;
    }
    case 'worker': {
      const [{ buildCore }, { runWorkerProcess, workerLogger }] = await Promise.all([import('./core.js'), import('./worker.js')]);
      const log = workerLogger(config);
      // The core alone (no HTTP): only the job handlers do work here.
      await runWorkerProcess(config, () => buildCore(config, { runJobs: true, log }), { logger: log });
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
