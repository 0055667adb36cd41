/**
 * npx tsx bench/floor.ts [--users 200] [--duration 20] [--rounds 1] [--frame 100] [--variants bare,sqlite] [--warmup 8]
 *
 * The floor of a streamed turn under bench/run.ts's realistic load (the same mock: 500 ms to the
 * first token, 80 tokens at 50/s; the same closed-loop users with a pause of 0.5–1.5 s between turns):
 * server CPU per turn of bench/floor-server.ts, a bare node:http server streaming through our
 * provider with no framework and no features, without and with the turn's three SQLite writes.
 * Set beside `bench/run.ts --levels 200 --scenarios chat` run in the same window, it says how much
 * of a turn is the unavoidable I/O of Node (socket reads and writes, timers, HTTP parsing) and how
 * much is ours. Each round measures each variant in a fresh process after a warm-up (8 s; `--warmup`).
 * Variants: bare; sqlite (+ the turn's three writes); node-http (the upstream read with node:http's
 * client instead of undici); raw-write (frames written straight to the socket, framed by hand).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { api, chatTurn, freePort, percentile, round, sampleProcess, sleep, startProcess, stopProcess, thinkTime, waitForHttp, type TurnOutcome } from './lib.js';

const { values: args } = parseArgs({ options: { users: { type: 'string', default: '200' }, duration: { type: 'string', default: '20' }, rounds: { type: 'string', default: '1' }, frame: { type: 'string', default: '100' }, variants: { type: 'string', default: 'bare,sqlite' }, warmup: { type: 'string', default: '8' } } });
const USERS = Number(args.users);
const NOMINAL_TOTAL = 2080;

/** Closed-loop users for `seconds`: each sends a turn, reads it to the end, waits 1 s. */
async function load(base: string, pid: number, users: number, seconds: number) {
  const a = api(base);
  const before = sampleProcess(pid);
  const end = performance.now() + seconds * 1000;
  const outcomes: TurnOutcome[] = [];
  await Promise.all(
    Array.from({ length: users }, async (_, i) => {
      await sleep(Math.random() * 3000);
      let n = 0;
      while (performance.now() < end) {
        outcomes.push(await chatTurn(a, '', i + 1, `第${n++}个问题：你怎么看待月亮和酒？请说说你的故事。`));
        await thinkTime();
      }
    }),
  );
  const after = sampleProcess(pid);
  const cpu = after.cpuSeconds - before.cpuSeconds;
  const kernel = after.systemSeconds - before.systemSeconds;
  await a.agent.close();
  const ok = outcomes.filter((o) => o.ok);
  const totals = ok.map((o) => o.totalMs);
  return { turns: outcomes.length, failed: outcomes.length - ok.length, cpuMsPerTurn: round((cpu * 1000) / Math.max(1, ok.length), 2), kernelShare: round(kernel / Math.max(cpu, 1e-9), 2), addedTotalP50: round(percentile(totals, 50) - NOMINAL_TOTAL), addedTotalP99: round(percentile(totals, 99) - NOMINAL_TOTAL) };
}

async function main() {
  const mockPort = await freePort();
  const mock = startProcess(process.execPath, ['--import', 'tsx', 'tools/mock-llm.ts', '--port', String(mockPort), '--profile', 'bench'], {}, 'mock');
  await waitForHttp(`http://127.0.0.1:${mockPort}/v1/models`);
  const dir = mkdtempSync(join(tmpdir(), 'fastnpc-floor-'));
  try {
    for (let r = 0; r < Number(args.rounds); r++) {
      for (const variant of args.variants!.split(',')) {
        const port = await freePort();
        // bare, sqlite (+ the turn's writes), node-http (upstream on node:http), raw-write (frames straight to the socket)
        const extra = { bare: [], sqlite: ['--db', join(dir, `floor-${r}.db`)], 'node-http': ['--upstream', 'node'], 'raw-write': ['--write', 'raw'] }[variant];
        if (!extra) throw new Error(`unknown variant ${variant}`);
        const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
        const server = startProcess(process.execPath, [...nodeArgs, '--import', 'tsx', 'bench/floor-server.ts', '--frame', args.frame!, '--port', String(port), '--llm', `http://127.0.0.1:${mockPort}/v1`, ...extra], {}, 'floor');
        try {
          await waitForHttp(`http://127.0.0.1:${port}/healthz`);
          await load(`http://127.0.0.1:${port}`, server.pid!, 100, Number(args.warmup)); // warm-up (JIT, pools), as bench/run.ts --warmup
          const result = await load(`http://127.0.0.1:${port}`, server.pid!, USERS, Number(args.duration));
          console.log(JSON.stringify({ variant, frameMs: Number(args.frame), users: USERS, ...result }));
        } finally {
          await stopProcess(server);
        }
      }
    }
  } finally {
    await stopProcess(mock);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
