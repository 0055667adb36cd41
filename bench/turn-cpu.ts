/**
 * npx tsx bench/turn-cpu.ts [--turns 600] [--users 20] [--reads 4000] [--pin] [--cpu-prof DIR] [--api web|openai|both] [--depth 300]
 *
 * The server's CPU cost of one streamed turn and of one cached read, measured so that a busy
 * machine changes it little: a fast mock (80 tokens in ~10 ms) and closed-loop users without think
 * time keep the server busy, so per-process background work (timers, GC of idle heaps) is spread
 * over many turns; the figure is the server's process CPU time (user + system, from /proc) over
 * the window divided by completed turns. Latency is NOT measured here (see bench/run.ts).
 * Runs the built server (dist/); compare two builds by running this script in each checkout.
 * `--api openai` sends the turns through the OpenAI-compatible /v1/chat/completions (streamed,
 * stateful, with an API key) instead of the web route; `--api both` measures the two in one run
 * on one server, alternating rounds so both see the same machine state, and prints their ratio.
 * `--depth N` measures whether a turn costs more as its conversation grows: every user's chat is
 * taken to turn N in lock-step, and the CPU per turn over turns 11–20 is compared with turns
 * N−9…N (memory compression runs in between, as in any long chat).
 * Each mode also reports its client-side median time to first token and to the end (the mock adds
 * ~10 ms), so the two routes' added latency can be compared.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { api, benchServerEnv, chatTurn, importBenchCard, freePort, openAiTurn, percentile, round, sampleProcess, startProcess, stopProcess, waitForHttp, type TurnOutcome } from './lib.js';

const { values: args } = parseArgs({
  options: {
    turns: { type: 'string', default: '600' },
    users: { type: 'string', default: '20' },
    reads: { type: 'string', default: '4000' },
    pin: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    api: { type: 'string', default: 'web' },
    depth: { type: 'string' },
  },
});
type Mode = 'web' | 'openai';
if (!['web', 'openai', 'both'].includes(args.api!)) throw new Error('--api is web, openai or both');
const modes: Mode[] = args.api === 'both' ? ['web', 'openai'] : [args.api as Mode];
const QUESTION = '你怎么看待月亮和酒？请说说你的故事。';
const turns = Number(args.turns);
const users = Number(args.users);
const reads = Number(args.reads);
const pinned = (cpu: number, cmd: string, a: string[]): [string, string[]] => (args.pin ? ['taskset', ['-c', String(cpu), cmd, ...a]] : [cmd, a]);

/** Waits until the process spends under 2 % of a core for a quarter of a second (bounded). */
async function quiet(pid: number): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const c0 = sampleProcess(pid).cpuSeconds;
    await new Promise((r) => setTimeout(r, 250));
    if (sampleProcess(pid).cpuSeconds - c0 < 0.005) return;
  }
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-turncpu-'));
  const [mockPort, port] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  if (args.pin) execSync(`taskset -p -c 1 ${process.pid}`, { stdio: 'ignore' });
  const mock = startProcess(...pinned(1, process.execPath, ['--import', 'tsx', 'tools/mock-llm.ts', '--port', String(mockPort), '--ttft-ms', '0', '--tokens', '80', '--tps', '8000']), {}, 'mock');
  await waitForHttp(`http://127.0.0.1:${mockPort}/v1/models`);
  // BENCH_NODE_ARGS (as in run.ts): extra node flags for the server, e.g. --perf-basic-prof for `perf record`.
  const nodeArgs = [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), ...(args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : [])];
  const server = startProcess(...pinned(0, process.execPath, [...nodeArgs, 'dist/src/cli.js', 'serve']), benchServerEnv(port, mockPort, dataDir), 'server');
  try {
    await waitForHttp(`${base}/healthz`);
    const a = api(base);
    const run = `t${Date.now().toString(36)}`;
    const clients: { cookie: string; id: number; key: string }[] = [];
    for (let u = 0; u < users; u++) {
      const r = await a.json('POST', '/api/auth/register', { username: `${run}_${u}`, password: 'bench-password' });
      const id = await importBenchCard(a, r.cookie!, `诗人${u}`);
      const key = await fetch(`${base}/api/me/api-keys`, { method: 'POST', headers: { cookie: r.cookie!, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) });
      clients.push({ cookie: r.cookie!, id, key: ((await key.json()) as { token: string }).token });
    }
    const turn = (mode: Mode, c: (typeof clients)[number]) => (mode === 'web' ? chatTurn(a, c.cookie, c.id, QUESTION) : openAiTurn(a, c.key, `character/${c.id}`, QUESTION));
    const loop = async (mode: Mode, n: number) => {
      let left = n;
      const done: TurnOutcome[] = [];
      await Promise.all(
        clients.map(async (c) => {
          while (left-- > 0) done.push(await turn(mode, c));
        }),
      );
      return done.filter((r) => r.ok);
    };
    for (const mode of modes) await loop(mode, Math.min(200, turns)); // warm-up: JIT, caches, pools
    // Several alternating rounds when comparing: drift on a shared machine hits both modes alike.
    const rounds = modes.length > 1 ? 4 : 1;
    const acc = Object.fromEntries(modes.map((m) => [m, { cpuS: 0, wallS: 0, ok: [] as TurnOutcome[] }])) as Record<Mode, { cpuS: number; wallS: number; ok: TurnOutcome[] }>;
    for (let r = 0; r < rounds; r++) {
      for (const mode of modes) {
        const cpu0 = sampleProcess(server.pid!).cpuSeconds;
        const t0 = performance.now();
        acc[mode].ok.push(...(await loop(mode, Math.round(turns / rounds))));
        acc[mode].cpuS += sampleProcess(server.pid!).cpuSeconds - cpu0;
        acc[mode].wallS += (performance.now() - t0) / 1000;
      }
    }
    const perMode = Object.fromEntries(
      modes.map((m) => {
        const { cpuS, wallS, ok } = acc[m];
        const n = Math.round(turns / rounds) * rounds;
        return [m, { turns: ok.length, failed: n - ok.length, serverCpuMsPerTurn: round((cpuS * 1000) / Math.max(1, ok.length), 2), turnsPerSecond: round(ok.length / wallS, 1), ttftP50Ms: round(percentile(ok.map((o) => o.ttftMs), 50), 1), totalP50Ms: round(percentile(ok.map((o) => o.totalMs), 50), 1), totalP99Ms: round(percentile(ok.map((o) => o.totalMs), 99), 1) }];
      }),
    ) as Record<Mode, { turns: number; failed: number; serverCpuMsPerTurn: number; turnsPerSecond: number; ttftP50Ms: number; totalP50Ms: number; totalP99Ms: number }>;
    const first = perMode[modes[0]];

    let depth: { early: number; late: number; ratio: number; turns: number } | undefined;
    if (args.depth) {
      // After the warm-up each chat is at about turn 10; step all users one turn at a time.
      const n = Number(args.depth);
      const step = () => Promise.all(clients.map((c) => turn('web', c)));
      const window = async (steps: number) => {
        await quiet(server.pid!);
        const c0 = sampleProcess(server.pid!).cpuSeconds;
        let ok = 0;
        for (let i = 0; i < steps; i++) ok += (await step()).filter((o) => o.ok).length;
        return ((sampleProcess(server.pid!).cpuSeconds - c0) * 1000) / Math.max(1, ok);
      };
      const early = await window(10);
      for (let t = 21; t <= n - 10; t++) await step();
      const late = await window(10);
      depth = { early: round(early, 2), late: round(late, 2), ratio: round(late / early, 3), turns: n };
    }

    const readCpu: Record<string, number> = {};
    const readAll = async (path: string, n: number) => {
      let left = n;
      await Promise.all(
        clients.map(async (c) => {
          while (left-- > 0) {
            const r = await request(`${base}${path}`, { dispatcher: a.agent, headers: { cookie: c.cookie } });
            await r.body.dump();
          }
        }),
      );
    };
    for (const path of ['/api/auth/me', '/api/characters']) {
      // The route's own code is compiled first (JIT), as in a server that has been up a while.
      await readAll(path, Math.min(2000, reads));
      await quiet(server.pid!); // the turns' background work (memory jobs, record batches) must not count as reads
      const c0 = sampleProcess(server.pid!).cpuSeconds;
      await readAll(path, reads);
      readCpu[path] = round(((sampleProcess(server.pid!).cpuSeconds - c0) * 1000) / reads, 3);
    }
    const ratio = perMode.web && perMode.openai ? { cpu: round(perMode.openai.serverCpuMsPerTurn / perMode.web.serverCpuMsPerTurn, 3), totalP50: round(perMode.openai.totalP50Ms / perMode.web.totalP50Ms, 3) } : undefined;
    console.log(JSON.stringify({ api: args.api, turns: first.turns, failed: first.failed, serverCpuMsPerTurn: first.serverCpuMsPerTurn, turnsPerSecond: first.turnsPerSecond, perMode, ...(ratio ? { openaiVsWeb: ratio } : {}), ...(depth ? { cpuMsPerTurnByDepth: depth } : {}), serverCpuMsPerRead: readCpu, pinned: !!args.pin }));
    await a.agent.close();
  } finally {
    await stopProcess(server);
    await stopProcess(mock);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
