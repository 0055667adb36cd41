/**
 * npx tsx bench/ab.ts --a DIR --b DIR [--users 100] [--windows 6] [--window 15] [--warmup 20] [--a-node-args="…"] [--b-node-args="…"]
 *
 * Two builds side by side, at the same time: each checkout's built server (`DIR/dist`, run from
 * DIR) gets `--users` closed-loop chat users of its own (the realistic mock of bench/run.ts,
 * think time 0.5–1.5 s), both driven by this one process against one mock. On a shared, noisy
 * machine, runs one after the other drift by 10–30 % between windows (bench/RESULTS.md); here both
 * servers live through the same moments, so each window's ratio B/A cancels the drift, and the
 * median of the windows' ratios is the figure to report. Prints each window's ms of server CPU
 * per completed turn for A and B, their ratio, and the median; with 100 users each the machine
 * carries the 200-user level's load. `--a-node-args`/`--b-node-args` give one side Node flags
 * (e.g. the same build twice, B with `--max-semi-space-size=32`).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { api, benchServerEnv, chatTurn, importBenchCard, freePort, percentile, round, sampleProcess, sleep, startProcess, stopProcess, thinkTime, waitForHttp, type Api, type TurnOutcome } from './lib.js';

const { values: args } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    users: { type: 'string', default: '100' },
    windows: { type: 'string', default: '6' },
    window: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '20' },
    'a-node-args': { type: 'string', default: '' },
    'b-node-args': { type: 'string', default: '' },
  },
});
if (!args.a || !args.b) throw new Error('usage: npx tsx bench/ab.ts --a DIR --b DIR (each a checkout with dist/ built)');
const USERS = Number(args.users);

interface Side {
  name: 'A' | 'B';
  dir: string;
  child: ChildProcess;
  pid: number;
  api: Api;
  users: { cookie: string; characterId: number }[];
  /** Turns completed since the last window boundary, and their outcomes. */
  done: TurnOutcome[];
}

/** One user and one imported character per simulated user, as bench/run.ts sets them up. */
async function setUp(a: Api, count: number): Promise<Side['users']> {
  const users: Side['users'] = [];
  for (let i = 0; i < count; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, count - i) }, async (_, j) => {
        const r = await a.json('POST', '/api/auth/register', { username: `ab_${i + j}`, password: 'bench-password' });
        if (r.status !== 201 || !r.cookie) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
        return { cookie: r.cookie, characterId: await importBenchCard(a, r.cookie, `诗人${i + j}`) };
      }),
    );
    users.push(...batch);
  }
  return users;
}

async function main() {
  const mockPort = await freePort();
  const mock = startProcess(process.execPath, ['--import', 'tsx', 'tools/mock-llm.ts', '--port', String(mockPort), '--profile', 'bench'], {}, 'mock');
  const dataDirs: string[] = [];
  const sides: Side[] = [];
  try {
    await waitForHttp(`http://127.0.0.1:${mockPort}/v1/models`);
    for (const [name, dir] of [['A', resolve(args.a!)], ['B', resolve(args.b!)]] as const) {
      const port = await freePort();
      const dataDir = mkdtempSync(join(tmpdir(), `fastnpc-ab-${name}-`));
      dataDirs.push(dataDir);
      const nodeArgs = (name === 'A' ? args['a-node-args'] : args['b-node-args'])!.split(' ').filter(Boolean);
      const server = startProcess(process.execPath, [...nodeArgs, join(dir, 'dist/src/cli.js'), 'serve'], benchServerEnv(port, mockPort, dataDir), `server ${name}`);
      const base = `http://127.0.0.1:${port}`;
      await waitForHttp(`${base}/healthz`);
      const a = api(base);
      sides.push({ name, dir, child: server, pid: server.pid!, api: a, users: await setUp(a, USERS), done: [] });
    }
    console.error(`[ab] A = ${sides[0].dir}, B = ${sides[1].dir}; ${USERS} users each; warm-up ${args.warmup} s, then ${args.windows} windows of ${args.window} s`);
    let running = true;
    const loops = sides.flatMap((side) =>
      side.users.map(async (u, i) => {
        await sleep((i / USERS) * 3000); // arrivals spread over 3 s
        for (let n = 0; running; n++) {
          side.done.push(await chatTurn(side.api, u.cookie, u.characterId, `第${n}个问题：你怎么看待月亮和酒？请说说你的故事。`));
          await thinkTime();
        }
      }),
    );
    await sleep(Number(args.warmup) * 1000);
    const rows: { a: number; b: number; ratio: number }[] = [];
    const outcomes: Record<'A' | 'B', TurnOutcome[]> = { A: [], B: [] };
    for (let w = 0; w < Number(args.windows); w++) {
      const cpu0 = sides.map((s) => sampleProcess(s.pid).cpuSeconds);
      for (const s of sides) s.done = [];
      await sleep(Number(args.window) * 1000);
      const perTurn = sides.map((s, k) => {
        const ok = s.done.filter((o) => o.ok);
        outcomes[s.name].push(...s.done);
        return ((sampleProcess(s.pid).cpuSeconds - cpu0[k]) * 1000) / Math.max(1, ok.length);
      });
      rows.push({ a: round(perTurn[0], 2), b: round(perTurn[1], 2), ratio: round(perTurn[1] / perTurn[0], 3) });
      console.error(`[ab] window ${w + 1}: A ${rows.at(-1)!.a} ms/turn, B ${rows.at(-1)!.b} ms/turn, B/A ${rows.at(-1)!.ratio}`);
    }
    running = false;
    await Promise.all(loops);
    const latency = (o: TurnOutcome[]) => {
      const ok = o.filter((x) => x.ok);
      return { turns: ok.length, failed: o.length - ok.length, ttftP50Ms: round(percentile(ok.map((x) => x.ttftMs), 50)), totalP50Ms: round(percentile(ok.map((x) => x.totalMs), 50)), totalP99Ms: round(percentile(ok.map((x) => x.totalMs), 99)) };
    };
    const med = (xs: number[]) => round(percentile(xs, 50), 3);
    console.log(JSON.stringify({ users: USERS, windows: rows, medianA: med(rows.map((r) => r.a)), medianB: med(rows.map((r) => r.b)), medianRatio: med(rows.map((r) => r.ratio)), A: latency(outcomes.A), B: latency(outcomes.B) }));
  } finally {
    for (const s of sides) await stopProcess(s.child);
    await stopProcess(mock);
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
