/**
 * npx tsx bench/turn-cpu.ts [--turns 600] [--users 20] [--reads 4000] [--pin] [--cpu-prof DIR]
 *
 * The server's CPU cost of one streamed turn and of one cached read, measured so that a busy
 * machine changes it little: a fast mock (80 tokens in ~10 ms) and closed-loop users without think
 * time keep the server busy, so per-process background work (timers, GC of idle heaps) is spread
 * over many turns; the figure is the server's process CPU time (user + system, from /proc) over
 * the window divided by completed turns. Latency is NOT measured here (see bench/run.ts).
 * Runs the built server (dist/); compare two builds by running this script in each checkout.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { api, benchServerEnv, chatTurn, freePort, round, sampleProcess, startProcess, stopProcess, waitForHttp } from './lib.js';

const { values: args } = parseArgs({
  options: {
    turns: { type: 'string', default: '600' },
    users: { type: 'string', default: '20' },
    reads: { type: 'string', default: '4000' },
    pin: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
  },
});
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
  const server = startProcess(...pinned(0, process.execPath, [...(args['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', args['cpu-prof']] : []), 'dist/src/cli.js', 'serve']), benchServerEnv(port, mockPort, dataDir), 'server');
  try {
    await waitForHttp(`${base}/healthz`);
    const a = api(base);
    const run = `t${Date.now().toString(36)}`;
    const clients: { cookie: string; id: number }[] = [];
    for (let u = 0; u < users; u++) {
      const r = await a.json('POST', '/api/auth/register', { username: `${run}_${u}`, password: 'bench-password' });
      const card = JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0', data: { name: `诗人${u}`, description: '一位唐代诗人，豪放不羁。', personality: '豪放', scenario: '盛唐', first_mes: '幸会！', mes_example: '', creator_notes: '', system_prompt: '', post_history_instructions: '', alternate_greetings: [], tags: [], creator: 'bench', character_version: '1', extensions: {} } });
      const form = new FormData();
      form.append('file', new Blob([card], { type: 'application/json' }), 'card.json');
      const c = await fetch(`${base}/api/characters/import`, { method: 'POST', headers: { cookie: r.cookie! }, body: form });
      clients.push({ cookie: r.cookie!, id: ((await c.json()) as { id: number }).id });
    }
    const loop = async (n: number) => {
      let left = n;
      let ok = 0;
      await Promise.all(
        clients.map(async (c) => {
          while (left-- > 0) if ((await chatTurn(a, c.cookie, c.id, '你怎么看待月亮和酒？请说说你的故事。')).ok) ok++;
        }),
      );
      return ok;
    };
    await loop(Math.min(200, turns)); // warm-up: JIT, caches, pools
    const cpu0 = sampleProcess(server.pid!).cpuSeconds;
    const t0 = performance.now();
    const ok = await loop(turns);
    const turnCpuMs = ((sampleProcess(server.pid!).cpuSeconds - cpu0) * 1000) / Math.max(1, ok);
    const turnWallS = (performance.now() - t0) / 1000;

    const readCpu: Record<string, number> = {};
    for (const path of ['/api/auth/me', '/api/characters']) {
      await quiet(server.pid!); // the turns' background work (memory jobs, record batches) must not count as reads
      const c0 = sampleProcess(server.pid!).cpuSeconds;
      let left = reads;
      await Promise.all(
        clients.map(async (c) => {
          while (left-- > 0) {
            const r = await request(`${base}${path}`, { dispatcher: a.agent, headers: { cookie: c.cookie } });
            await r.body.dump();
          }
        }),
      );
      readCpu[path] = round(((sampleProcess(server.pid!).cpuSeconds - c0) * 1000) / reads, 3);
    }
    console.log(JSON.stringify({ turns: ok, failed: turns - ok, serverCpuMsPerTurn: round(turnCpuMs, 2), turnsPerSecond: round(ok / turnWallS, 1), serverCpuMsPerRead: readCpu, pinned: !!args.pin }));
    await a.agent.close();
  } finally {
    await stopProcess(server);
    await stopProcess(mock);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
