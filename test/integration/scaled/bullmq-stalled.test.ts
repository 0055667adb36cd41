/**
 * A worker process killed in the middle of a job (SIGKILL: no shutdown, its Redis connections
 * just drop) must not hold the job for minutes: its short lock lapses, another process's stalled
 * check puts the job back, and that process runs it — with no attempt spent and nothing failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, dropPrefix, freshPrefix, REDIS_URLS, startInfra, type TestInfra } from './helpers.js';
import { LOCK_DURATION_MS, STALLED_INTERVAL_MS } from '../../../src/infra/redis/bullmq-queue.js';
import { waitFor } from '../../support/wait.js';

const fixture = fileURLToPath(new URL('./fixtures/queue-worker.ts', import.meta.url));

/** Resolves with the first stdout line matching `re`. */
function lineMatching(child: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (chunk: Buffer) => {
      buf += chunk.toString();
      const line = buf.split('\n').find((l) => re.test(l));
      if (line) {
        child.stdout!.off('data', onData);
        resolve(line);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`worker exited (${code}) before printing ${re}`)));
  });
}

describe.each(REDIS_URLS)('a killed BullMQ worker (%s)', (url) => {
  const opened: TestInfra[] = [];
  let child: ChildProcess | undefined;
  let prefix: string;
  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await closeAll(opened);
    await dropPrefix(url, prefix);
  });

  it('loses its job to another process within the lock plus a few stalled checks', async () => {
    prefix = freshPrefix();
    child = spawn(process.execPath, ['--import', 'tsx', fixture, url, prefix], { stdio: ['ignore', 'pipe', 'inherit'] });
    await lineMatching(child, /^ready$/);
    const failures: unknown[] = [];
    const survivor = await startInfra(url, prefix, opened, { onJobError: (_n, err) => failures.push(err) });
    await survivor.queue.enqueue('creation', { n: 1 }, { jobId: 'job-killed-worker' });
    expect(await lineMatching(child, /^started /)).toBe('started job-killed-worker');

    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;

    const runs: { jobId: string; attempt: number }[] = [];
    survivor.queue.process('creation', async (_p, ctx) => void runs.push({ jobId: ctx.jobId, attempt: ctx.attempt }), { concurrency: 1 });
    // The old 5-minute lock would time this out; the bound is the lock plus two stalled checks, with slack for a loaded machine.
    await waitFor(async () => runs.length > 0, 2 * (LOCK_DURATION_MS + 2 * STALLED_INTERVAL_MS));
    expect(runs).toEqual([{ jobId: 'job-killed-worker', attempt: 1 }]);
    await waitFor(async () => {
      const c = await survivor.queue.counts('creation');
      return c.running === 0 && c.waiting === 0;
    });
    expect(failures).toEqual([]);
  }, 120_000);
});
