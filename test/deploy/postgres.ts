/**
 * A PostgreSQL 15 node of our own (primary, or a streaming standby made with `pg_basebackup -R`)
 * in a temp dir, owned by the `postgres` OS user (PostgreSQL refuses to run as root). `prefix`
 * runs every command inside a network namespace for the multi-host test (`ip netns exec NS`).
 */
import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

export class PgNode {
  readonly dir = mkdtempSync(join(tmpdir(), 'fastnpc-pg-'));
  constructor(readonly host: string, readonly port: number, private readonly prefix: string[] = []) {}

  private get data() {
    return join(this.dir, 'data');
  }

  url(database = 'postgres'): string {
    return `postgres://postgres@${this.host}:${this.port}/${database}`;
  }

  private async asPostgres(cmd: string, args: string[]) {
    const line = process.getuid?.() === 0 ? [...this.prefix, 'runuser', '-u', 'postgres', '--', join(BIN, cmd), ...args] : [...this.prefix, join(BIN, cmd), ...args];
    return run(line[0], line.slice(1), { cwd: this.dir, timeout: 90_000 }).catch((err: Error & { stderr?: string }) => {
      throw new Error(`${cmd} failed: ${err.message}\n${err.stderr ?? ''}`);
    });
  }

  private async own() {
    if (process.getuid?.() !== 0) return;
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(this.dir, uid, gid);
  }

  /** A fresh primary that accepts replication and clients from anywhere (trust: test networks only). */
  async initPrimary(): Promise<void> {
    await this.own();
    await this.asPostgres('initdb', ['-D', this.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    appendFileSync(join(this.data, 'pg_hba.conf'), '\nhost all all 0.0.0.0/0 trust\nhost replication all 0.0.0.0/0 trust\n');
    await this.start();
  }

  /** A hot standby streaming from `primary`, cloned from it. */
  async initStandby(primary: PgNode): Promise<void> {
    await this.own();
    await this.asPostgres('pg_basebackup', ['-h', primary.host, '-p', String(primary.port), '-U', 'postgres', '-D', this.data, '-R', '-X', 'stream', '--checkpoint=fast', '--no-sync']);
    await this.start();
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=${this.host} -c fsync=off -c max_connections=200 -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on -c wal_receiver_status_interval=1s`;
    await this.asPostgres('pg_ctl', ['-D', this.data, '-l', join(this.dir, 'log'), '-w', '-t', '60', '-o', options, 'start']);
  }

  /** `immediate` is a crash (no shutdown checkpoint); `fast` a clean stop. */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.asPostgres('pg_ctl', ['-D', this.data, '-w', '-m', mode, 'stop']).catch(() => undefined);
  }

  /** One statement on a short-lived connection. */
  async query<T extends pg.QueryResultRow = any>(text: string, database = 'postgres'): Promise<T[]> {
    const c = new pg.Client({ connectionString: this.url(database) });
    await c.connect();
    try {
      return (await c.query<T>(text)).rows;
    } finally {
      await c.end();
    }
  }

  async destroy(): Promise<void> {
    await this.stop('immediate');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
