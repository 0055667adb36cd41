/**
 * Real processes for the fault scenarios: the built server (`node dist/src/cli.js serve`), and
 * PRIVATE Redis and PostgreSQL instances on free ports that a scenario may kill and restart. The
 * shared services on 5432/6379 are never touched.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { Redis } from 'ioredis';
import { freePort } from '../../e2e/stack.js';
import { waitFor } from '../../support/wait.js';

const run = promisify(execFile);
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

export class ServerProcess {
  child?: ChildProcess;
  url = '';
  private out = '';
  constructor(private readonly env: Record<string, string>, private readonly args: string[] = []) {}

  logs(): string {
    return this.out.slice(-4000);
  }

  allLogs(): string {
    return this.out.slice(-2_000_000);
  }

  async start(): Promise<void> {
    if (!existsSync(CLI)) throw new Error('dist/src/cli.js is missing: run `npm run build:server` first (npm test and npm run chaos do)');
    const port = this.url ? Number(new URL(this.url).port) : await freePort();
    this.url = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [CLI, 'serve', ...this.args], {
      cwd: ROOT,
      env: { ...process.env, FASTNPC_HOST: '127.0.0.1', FASTNPC_PORT: String(port), FASTNPC_LOG_LEVEL: 'warn', ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout!.on('data', (b: Buffer) => (this.out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (this.out += b.toString()));
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${this.logs()}`);
      return fetch(`${this.url}/healthz`).then((r) => r.ok, () => false);
    }, 180_000);
  }

  /** node:cluster workers of this server (children of the primary). */
  async workerPids(): Promise<number[]> {
    const { stdout } = await run('ps', ['-o', 'pid=', '--ppid', String(this.child!.pid)]).catch(() => ({ stdout: '' }));
    return stdout.split('\n').map((s) => Number(s.trim())).filter((n) => n > 0);
  }

  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  async waitExit(): Promise<void> {
    if (this.child) await exited(this.child);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited(child);
    clearTimeout(timer);
  }
}

/** A redis-server of our own, without persistence: `kill()` loses everything, as a crash would. */
export class PrivateRedis {
  child?: ChildProcess;
  port = 0;
  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    this.port ||= await freePort();
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(async () => {
      const r = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      r.on('error', () => undefined); // refused while starting: the poll tries again
      try {
        await r.connect();
        return (await r.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        r.disconnect();
      }
    }, 20_000);
  }

  async kill(): Promise<void> {
    if (!this.child) return;
    this.child.kill('SIGKILL');
    await exited(this.child);
  }
}

/**
 * A PostgreSQL cluster of our own in a temp dir (owned by the `postgres` OS user, since PostgreSQL
 * refuses to run as root), trust auth on 127.0.0.1 and a free port.
 */
export class PrivatePostgres {
  port = 0;
  private dir = '';
  private get data() {
    return join(this.dir, 'data');
  }
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/chaos`;
  }

  private asPostgres(cmd: string, args: string[]) {
    const bin = `/usr/lib/postgresql/15/bin/${cmd}`;
    return process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', bin, ...args], { cwd: this.dir }) : run(bin, args, { cwd: this.dir });
  }

  async init(): Promise<void> {
    this.dir = mkdtempSync(join(tmpdir(), 'fastnpc-chaos-pg-'));
    if (process.getuid?.() === 0) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(this.dir, Number(stdout.trim()), Number(gid.trim()));
    }
    this.port = await freePort();
    await this.asPostgres('initdb', ['-D', this.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await this.start();
    const c = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${this.port}/postgres` });
    await c.connect();
    await c.query('CREATE DATABASE chaos');
    await c.end();
  }

  async start(): Promise<void> {
    await this.asPostgres('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'log'), '-w', '-t', '60', '-o', `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start']);
  }

  /** A fast restart: connections are cut, the server is back within seconds. */
  async restart(): Promise<void> {
    await this.asPostgres('pg_ctl', ['-D', this.data, '-w', '-m', 'fast', 'stop']);
    await this.start();
  }

  async destroy(): Promise<void> {
    if (!this.dir) return;
    await this.asPostgres('pg_ctl', ['-D', this.data, '-w', '-m', 'immediate', 'stop']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
