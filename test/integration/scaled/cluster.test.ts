/**
 * node:cluster supervision in a real child process: /metrics aggregates every worker, a crashed
 * worker is replaced, and SIGTERM drains (an in-flight request completes) before the primary exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { availableParallelism } from 'node:os';
import { nextRestartDelay, workerCount } from '../../../src/cluster.js';

const fixture = fileURLToPath(new URL('./fixtures/cluster-app.ts', import.meta.url));

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

const livePids = (metrics: string) => [...metrics.matchAll(/fixture_worker_up\{pid="(\d+)"\} 1/g)].map((m) => Number(m[1])).sort();

describe('processes', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  it('aggregates /metrics over workers, restarts a crashed one, and drains on SIGTERM', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['--import', 'tsx', fixture], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));

    let pids: number[] = [];
    await vi.waitFor(async () => {
      pids = livePids(await (await fetch(`${base}/metrics`)).text());
      expect(pids).toHaveLength(2);
    }, { timeout: 90_000, interval: 200 }); // start-up of two tsx workers on a loaded machine
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/fixture_worker_starts_total 2/);

    const crashed = Number(await (await fetch(`${base}/crash`)).text());
    expect(pids).toContain(crashed);
    await vi.waitFor(async () => {
      const now = livePids(await (await fetch(`${base}/metrics`)).text());
      expect(now).toHaveLength(2);
      expect(now).not.toContain(crashed);
    }, { timeout: 15_000, interval: 200 });

    // Once its headers are in, the slow request is being served: SIGTERM must let it finish.
    const slow = await fetch(`${base}/slow`);
    child.kill('SIGTERM');
    expect(await slow.text()).toBe('done');
    expect(await exited).toBe(0);
  }, 180_000);

  it('a jobs-only worker process closes its jobs on SIGTERM, once, then exits 0', async () => {
    const worker = fileURLToPath(new URL('./fixtures/worker-app.ts', import.meta.url));
    child = spawn(process.execPath, ['--import', 'tsx', worker], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
    await vi.waitFor(() => expect(out).toContain('ready'), { timeout: 20_000, interval: 50 });
    child.kill('SIGTERM');
    child.kill('SIGINT'); // a second signal during the drain must not cut it short
    expect(await exited).toBe(0);
    expect(out.match(/closed/g)).toHaveLength(1);
  }, 30_000);

  it('counts workers: explicit N, 0 = cores, unset = cores only in scaled mode', () => {
    expect(workerCount({ workers: 3, redisUrl: undefined })).toBe(3);
    expect(workerCount({ workers: 0, redisUrl: 'redis://x' })).toBe(availableParallelism());
    expect(workerCount({ workers: undefined, redisUrl: 'redis://x' })).toBe(availableParallelism());
    expect(workerCount({ workers: undefined, redisUrl: undefined })).toBe(1);
  });

  it('restarts at once after a long life and backs off while workers die young', () => {
    expect(nextRestartDelay(0, 60_000)).toBe(0);
    expect(nextRestartDelay(0, 100)).toBe(500);
    expect(nextRestartDelay(500, 100)).toBe(1000);
    expect(nextRestartDelay(16_000, 100)).toBe(30_000);
    expect(nextRestartDelay(30_000, 100)).toBe(30_000);
  });
});
