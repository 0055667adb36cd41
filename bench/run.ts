/**
 * npm run bench [-- --mode embedded|scaled] [--workers N] [--levels 100,500,1000,2000]
 *               [--duration S] [--scenarios chat,read,mixed] [--pin] [--shipped-limits] [--warmup S]
 *
 * --warmup S (default 8): chat at 100 users before the first level, not reported. V8 keeps
 * compiling hot code for minutes (the optimising compiler was ~10 % of a turn's CPU 30 s in,
 * and CPU per turn fell ~15 % over the first three minutes): `--warmup 180` measures a server
 * that has been running a while, as a production one has.
 * --shipped-limits: FASTNPC_LLM_CONCURRENCY as shipped instead of raised for the bench, so a
 * level past it shows how overload is refused (503 llm_busy, how fast, and the RSS meanwhile).
 * --pin: the server runs on CPU 0, the mock and this load generator on CPU 1 (taskset), so the
 * server's own limit shows on a 2-core machine. Every chat level reports the server's CPU
 * milliseconds per completed turn (process CPU time over the window / turns), every read the CPU
 * milliseconds per request.
 *
 * Starts the mock LLM (500 ms to first token, 80 tokens at 50/s) and the built server as child
 * processes, sets up users and characters through the API, then measures:
 * - chat: a closed loop per virtual user — send, read the whole stream, think 0.5–1.5 s — per level;
 * - read: the character list with a session cookie under autocannon;
 * - mixed: 20 character creations while 500 users chat.
 * Appends a report to bench/RESULTS.md and writes the raw figures to bench/results/*.json.
 */
import { execSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { api, benchServerEnv, chatTurn, importBenchCard, freePort, histogramBuckets, histogramPercentile, metricValue, percentile, round, sampleProcess, sleep, startProcess, stopProcess, thinkTime, waitForHttp, type Api } from './lib.js';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: object) => Promise<any>;

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'embedded' },
    workers: { type: 'string' },
    levels: { type: 'string', default: '100,500,1000,2000' },
    duration: { type: 'string', default: '20' },
    scenarios: { type: 'string', default: 'chat,read,mixed,memory' },
    pin: { type: 'boolean', default: false },
    'shipped-limits': { type: 'boolean', default: false },
    warmup: { type: 'string', default: '8' },
  },
});
/** embedded: SQLite, one process · pg: PostgreSQL, one process · scaled: PostgreSQL + Redis + cluster. */
const mode = args.mode as 'embedded' | 'pg' | 'scaled';
const workers = args.workers ? Number(args.workers) : mode === 'scaled' ? cpus().length : 1;
const levels = args.levels!.split(',').map(Number);
const durationS = Number(args.duration);
const scenarios = new Set(args.scenarios!.split(','));
const pin = !!args.pin;
/** With --pin: runs a command on one CPU. */
const pinned = (cpu: number, cmd: string, cmdArgs: string[]): [string, string[]] => (pin ? ['taskset', ['-c', String(cpu), cmd, ...cmdArgs]] : [cmd, cmdArgs]);
const NOMINAL_TTFT = 500;
const NOMINAL_TOTAL = 500 + (79 * 1000) / 50;
const USERS = 100;
const RAMP_MS = 3000;

interface LevelResult {
  users: number;
  turns: number;
  successRate: number;
  failures: Record<string, number>;
  /** How long a failed turn took to fail, p99, by kind (a refusal must be fast). */
  failedP99Ms?: Record<string, number>;
  ttft: { p50: number; p95: number; p99: number };
  total: { p50: number; p95: number; p99: number };
  addedTtftP99: number;
  addedTotal: { p50: number; p99: number };
  turnsPerSecond: number;
  serverCpuPercent: number;
  /** Server CPU time over the window / turns completed in it (ramp included: they cost CPU too). */
  serverCpuMsPerTurn?: number;
  /** Share of that CPU time spent in the kernel (sockets, loopback TCP, epoll). */
  serverKernelShare?: number;
  serverRssMb: number;
  eventLoopLagP99Ms?: number;
  /** Server-side: time before the LLM call (auth, storage, prompt), p99 bucket bound. */
  serverPreludeP99Ms?: number;
  /** Server-side: request received → first token written, p50/p95/p99 bucket bounds. */
  serverFirstTokenMs?: { p50: number; p95: number; p99: number };
  /** Turns started during the ramp (users still arriving), reported apart from the steady state. */
  ramp?: { turns: number; failed: number; ttftP50: number; ttftP99: number };
  /** The load generator's own event-loop delay: when high, client-side times include its lag. */
  generatorLagP99Ms?: number;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-bench-'));
  const mockPort = await freePort();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { ...benchServerEnv(port, mockPort, dataDir), FASTNPC_WORKERS: String(workers) };
  // --shipped-limits: the LLM concurrency and queue as shipped, so overload shows as 503 llm_busy.
  if (args['shipped-limits']) delete env.FASTNPC_LLM_CONCURRENCY;
  let pgDb: string | undefined;
  const pgUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (mode === 'scaled' || mode === 'pg') {
    pgDb = `fastnpc_bench_${Date.now()}`;
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`CREATE DATABASE ${pgDb}`);
    await c.end();
    const u = new URL(pgUrl);
    u.pathname = `/${pgDb}`;
    env.DATABASE_URL = u.toString();
    if (mode === 'scaled') {
      env.REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
      // A fresh namespace per run: a previous run's cached ids must not meet this run's database.
      env.FASTNPC_REDIS_PREFIX = pgDb;
    }
  }

  if (pin) execSync(`taskset -p -c 1 ${process.pid}`, { stdio: 'ignore' });
  const mock = startProcess(...pinned(1, process.execPath, ['--import', 'tsx', 'tools/mock-llm.ts', '--port', String(mockPort), '--profile', 'bench']), {}, 'mock');
  await waitForHttp(`http://127.0.0.1:${mockPort}/v1/models`);
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/profiles" profiles the server under load.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const server = startProcess(...pinned(0, process.execPath, [...nodeArgs, 'dist/src/cli.js', 'serve']), env, 'server');
  await waitForHttp(`${base}/healthz`);
  const a = api(base);
  const report: Record<string, unknown> = { date: new Date().toISOString(), mode, workers, pinned: pin, machine: machine(), commit: commit() };

  try {
    console.error(`[bench] setting up ${USERS} users and ${Math.max(...levels, 500)} characters…`);
    const { cookies, characters } = await setup(a, Math.max(...levels, 500));
    // Warm up (JIT, connection pools, caches) so the first level measures the steady state.
    const warmupS = Number(args.warmup);
    console.error(`[bench] warm-up: 100 users for ${warmupS} s (not reported)`);
    await chatLevel(a, server.pid!, cookies, characters, 100, warmupS);
    const results: LevelResult[] = [];
    if (scenarios.has('chat')) {
      for (const level of levels) {
        console.error(`[bench] chat: ${level} concurrent users for ${durationS} s`);
        results.push(await chatLevel(a, server.pid!, cookies, characters, level, durationS));
        console.error(`[bench]   → ${JSON.stringify(results[results.length - 1])}`);
      }
      report.chat = results;
    }
    if (scenarios.has('read')) {
      console.error('[bench] read: GET /api/characters under autocannon');
      report.read = await readScenario(base, cookies[0], server.pid!);
      console.error(`[bench]   → ${JSON.stringify(report.read)}`);
    }
    if (scenarios.has('memory')) {
      console.error('[bench] memory: 100 users, compression after nearly every turn vs never');
      report.memory = await memoryScenario(a, server.pid!, cookies, characters);
      console.error(`[bench]   → ${JSON.stringify(report.memory)}`);
    }
    if (scenarios.has('mixed')) {
      console.error('[bench] mixed: 20 creations while 500 users chat');
      report.mixed = await mixedScenario(a, server.pid!, cookies, characters);
      console.error(`[bench]   → ${JSON.stringify(report.mixed)}`);
    }
  } finally {
    await stopProcess(server);
    await stopProcess(mock);
    await a.agent.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (pgDb) {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${pgDb} WITH (FORCE)`);
      await c.end();
    }
  }
  write(report);
}

async function setup(a: Api, characterCount: number): Promise<{ cookies: string[]; characters: { cookie: string; id: number }[] }> {
  const run = `b${Date.now().toString(36)}`;
  const cookies: string[] = [];
  for (let i = 0; i < USERS; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, USERS - i) }, (_, j) => a.json('POST', '/api/auth/register', { username: `${run}_${i + j}`, password: 'bench-password' })),
    );
    for (const r of batch) {
      if (r.status !== 201 || !r.cookie) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
      cookies.push(r.cookie);
    }
  }
  const firsts: { cookie: string; id: number }[] = [];
  await Promise.all(
    cookies.map(async (cookie, u) => {
      firsts[u] = { cookie, id: await importBenchCard(a, cookie, `诗人${u}`) };
    }),
  );
  const characters = [...firsts];
  const perUser = Math.ceil(characterCount / USERS);
  await Promise.all(
    cookies.map(async (cookie, u) => {
      const source = firsts[u].id;
      for (let k = 1; k < perUser; k++) {
        const r = await a.json('POST', `/api/characters/${source}/copy`, undefined, cookie);
        if (r.status !== 201) throw new Error(`copy failed: ${r.status}`);
        characters.push({ cookie, id: r.body.id });
      }
    }),
  );
  return { cookies, characters };
}

async function chatLevel(a: Api, serverPid: number, _cookies: string[], characters: { cookie: string; id: number }[], users: number, seconds: number): Promise<LevelResult> {
  const samples: Awaited<ReturnType<typeof chatTurn>>[] = [];
  const rampSamples: Awaited<ReturnType<typeof chatTurn>>[] = [];
  const cpu0 = sampleProcess(serverPid);
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const metricsBefore = (await a.json('GET', '/metrics')).body as string;
  const preludeBefore = histogramBuckets(metricsBefore, 'chat_turn_prelude_seconds');
  const firstTokenBefore = histogramBuckets(metricsBefore, 'chat_turn_first_token_seconds');
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let rssPeak = 0;
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, sampleProcess(serverPid).rssBytes)), 1000);
  await Promise.all(
    Array.from({ length: users }, async (_, i) => {
      const c = characters[i];
      await sleep(Math.random() * RAMP_MS); // users arrive over the first seconds, not all in one instant
      let n = 0;
      while (performance.now() < end) {
        const startedAt = performance.now();
        const r = await chatTurn(a, c.cookie, c.id, `第${n++}个问题：你怎么看待月亮和酒？请说说你的故事。`);
        // Steady state only: turns started while users are still arriving are counted apart.
        (startedAt - t0 >= RAMP_MS ? samples : rampSamples).push(r);
        await thinkTime();
      }
    }),
  );
  clearInterval(rssTimer);
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = sampleProcess(serverPid);
  const metrics = (await a.json('GET', '/metrics')).body as string;
  if (process.env.BENCH_DUMP_METRICS) writeFileSync(`/tmp/bench-metrics-${users}.txt`, metrics);
  const result = summarise(samples, users, wall, ((cpu1.cpuSeconds - cpu0.cpuSeconds) / wall) * 100, rssPeak, metrics);
  const completed = samples.filter((x) => x.ok).length + rampSamples.filter((x) => x.ok).length;
  result.serverCpuMsPerTurn = round(((cpu1.cpuSeconds - cpu0.cpuSeconds) * 1000) / Math.max(1, completed), 2);
  result.serverKernelShare = round((cpu1.systemSeconds - cpu0.systemSeconds) / Math.max(cpu1.cpuSeconds - cpu0.cpuSeconds, 1e-9), 2);
  const rampTtft = rampSamples.filter((x) => x.ok).map((x) => x.ttftMs);
  result.ramp = { turns: rampSamples.length, failed: rampSamples.filter((x) => !x.ok).length, ttftP50: round(percentile(rampTtft, 50)), ttftP99: round(percentile(rampTtft, 99)) };
  lag.disable();
  result.generatorLagP99Ms = round(lag.percentile(99) / 1e6, 1);
  const firstTokenAfter = histogramBuckets(metrics, 'chat_turn_first_token_seconds');
  const ft = (p: number) => histogramPercentile(firstTokenBefore, firstTokenAfter, p) * 1000;
  result.serverFirstTokenMs = { p50: ft(50), p95: ft(95), p99: ft(99) };
  result.serverPreludeP99Ms = histogramPercentile(preludeBefore, histogramBuckets(metrics, 'chat_turn_prelude_seconds'), 99) * 1000;
  return result;
}

function summarise(samples: Awaited<ReturnType<typeof chatTurn>>[], users: number, wallS: number, cpuPercent: number, rssBytes: number, metrics: string): LevelResult {
  const ok = samples.filter((s) => s.ok);
  const failures: Record<string, number> = {};
  const failedMs: Record<string, number[]> = {};
  for (const s of samples) {
    if (s.ok) continue;
    failures[s.kind] = (failures[s.kind] ?? 0) + 1;
    (failedMs[s.kind] ??= []).push(s.totalMs);
  }
  const ttfts = ok.map((s) => s.ttftMs).filter(Number.isFinite);
  const totals = ok.map((s) => s.totalMs);
  const lag = metricValue(metrics, 'nodejs_eventloop_lag_p99_seconds');
  return {
    users,
    turns: samples.length,
    successRate: round((ok.length / Math.max(1, samples.length)) * 100, 2),
    failures,
    failedP99Ms: Object.fromEntries(Object.entries(failedMs).map(([k, ms]) => [k, round(percentile(ms, 99))])),
    ttft: { p50: round(percentile(ttfts, 50)), p95: round(percentile(ttfts, 95)), p99: round(percentile(ttfts, 99)) },
    total: { p50: round(percentile(totals, 50)), p95: round(percentile(totals, 95)), p99: round(percentile(totals, 99)) },
    addedTtftP99: round(percentile(ttfts, 99) - NOMINAL_TTFT),
    addedTotal: { p50: round(percentile(totals, 50) - NOMINAL_TOTAL), p99: round(percentile(totals, 99) - NOMINAL_TOTAL) },
    turnsPerSecond: round(ok.length / wallS, 1),
    serverCpuPercent: round(cpuPercent),
    serverRssMb: round(rssBytes / 1024 / 1024),
    eventLoopLagP99Ms: lag === undefined ? undefined : round(lag * 1000, 1),
  };
}

/** The same chat load twice: budgets that never compress, then the smallest session budget. */
async function memoryScenario(a: Api, serverPid: number, cookies: string[], characters: { cookie: string; id: number }[]) {
  const runs: (LevelResult & { label: string })[] = [];
  const compressedJobs: Record<string, number> = {};
  for (const [label, budgetSession] of [['never (32000)', 32_000], ['nearly every turn (200)', 200]] as const) {
    await Promise.all(cookies.map((cookie) => a.json('PUT', '/api/me/settings', { chatModel: null, budgetSession, budgetShortTerm: 16_000, budgetLongTerm: 16_000, profileText: '', groupRounds: 3 }, cookie)));
    const before = metricValue((await a.json('GET', '/metrics')).body, 'memory_jobs_total\\{result="compressed"\\}') ?? 0;
    // Fresh characters for each run, so neither starts with the other's history.
    const offset = label.startsWith('never') ? 0 : 100;
    const r = await chatLevel(a, serverPid, cookies, characters.slice(offset, offset + 100), 100, durationS);
    await sleep(3000);
    compressedJobs[label] = (metricValue((await a.json('GET', '/metrics')).body, 'memory_jobs_total\\{result="compressed"\\}') ?? 0) - before;
    runs.push({ ...r, label });
  }
  return { runs, compressedJobs };
}

/** Cached reads with a session cookie: the character list and the signed-in user. */
async function readScenario(base: string, cookie: string, serverPid: number) {
  const out: Record<string, unknown> = {};
  for (const path of ['/api/characters', '/api/auth/me']) {
    const cpu0 = sampleProcess(serverPid).cpuSeconds;
    const r = await autocannon({ url: `${base}${path}`, connections: 100, duration: 10, headers: { cookie } });
    const cpuMs = (sampleProcess(serverPid).cpuSeconds - cpu0) * 1000;
    out[path] = { requestsPerSecond: round(r.requests.average), latencyP50Ms: r.latency.p50, latencyP99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors, serverCpuMsPerRead: round(cpuMs / Math.max(1, r.requests.total), 3) };
  }
  return out;
}

async function mixedScenario(a: Api, serverPid: number, cookies: string[], characters: { cookie: string; id: number }[]) {
  // The baseline runs right before, on the same server, so the two differ only by the creations.
  const baseline = await chatLevel(a, serverPid, cookies, characters, 500, durationS);
  const creationTimes: number[] = [];
  const creationFailures: string[] = [];
  const chat = chatLevel(a, serverPid, cookies, characters, 500, durationS);
  await sleep(2000);
  await Promise.all(
    Array.from({ length: 20 }, async (_, i) => {
      const cookie = cookies[i % cookies.length];
      const t0 = performance.now();
      const r = await a.json('POST', '/api/characters/creations', { name: `新角色${i}`, source: 'text', text: `# 新角色${i}\n\n新角色${i}是一位生活在长安的说书人，擅长讲三国故事，性格诙谐，喜欢喝茶。他年轻时走南闯北，见多识广。`, detail: 'concise' }, cookie);
      if (r.status !== 202) return void creationFailures.push(`http_${r.status}`);
      for (;;) {
        await sleep(250);
        const j = await a.json('GET', `/api/jobs/${r.body.job.id}`, undefined, cookie);
        if (['done', 'failed', 'cancelled'].includes(j.body.state)) {
          if (j.body.state === 'done') creationTimes.push(performance.now() - t0);
          else creationFailures.push(j.body.error?.code ?? j.body.state);
          return;
        }
      }
    }),
  );
  const withCreations = await chat;
  return {
    creations: 20,
    creationWallMs: { p50: round(percentile(creationTimes, 50)), max: round(Math.max(...creationTimes)) },
    creationFailures,
    chatWithCreations: { successRate: withCreations.successRate, totalP99: withCreations.total.p99, addedTotalP99: withCreations.addedTotal.p99 },
    chatWithout: { successRate: baseline.successRate, totalP99: baseline.total.p99, addedTotalP99: baseline.addedTotal.p99 },
  };
}

function machine() {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: round(totalmem() / 1024 ** 3, 1), node: process.version };
}

function commit(): string {
  try {
    return execSync('git rev-parse --short HEAD').toString().trim();
  } catch {
    return 'unknown';
  }
}

function chatTable(rows: (LevelResult & { label?: string })[], first = 'users'): string[] {
  const out = [
    `| ${first} | turns | success % | TTFT p50/p95/p99 ms | total p50/p95/p99 ms | added TTFT p99 | added total p50/p99 | server prelude p99 ms | server first token p50/p95/p99 ms (≤ bucket) | turns/s | server CPU % | server CPU ms/turn | RSS MB | server loop lag p99 ms | generator loop lag p99 ms | ramp turns / failed / TTFT p50/p99 | failures |`,
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    out.push(
      `| ${r.label ?? r.users} | ${r.turns} | ${r.successRate} | ${r.ttft.p50}/${r.ttft.p95}/${r.ttft.p99} | ${r.total.p50}/${r.total.p95}/${r.total.p99} | ${r.addedTtftP99} | ${r.addedTotal.p50}/${r.addedTotal.p99} | ≤ ${r.serverPreludeP99Ms ?? '–'} | ${r.serverFirstTokenMs ? `${r.serverFirstTokenMs.p50}/${r.serverFirstTokenMs.p95}/${r.serverFirstTokenMs.p99}` : '–'} | ${r.turnsPerSecond} | ${r.serverCpuPercent} | ${r.serverCpuMsPerTurn ?? '–'}${r.serverKernelShare !== undefined ? ` (${Math.round(r.serverKernelShare * 100)} % kernel)` : ''} | ${r.serverRssMb} | ${r.eventLoopLagP99Ms ?? '–'} | ${r.generatorLagP99Ms ?? '–'} | ${r.ramp ? `${r.ramp.turns} / ${r.ramp.failed} / ${r.ramp.ttftP50}/${r.ramp.ttftP99}` : '–'} | ${Object.entries(r.failures).map(([k, v]) => `${k}: ${v}${r.failedP99Ms?.[k] !== undefined ? ` (p99 ${r.failedP99Ms[k]} ms)` : ''}`).join(', ') || '–'} |`,
    );
  }
  return out;
}

function write(report: Record<string, any>) {
  const dir = join('bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = report.date.replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}-${report.mode}.json`), JSON.stringify(report, null, 2));
  const lines = [
    `\n## ${report.date} · ${report.mode} · ${report.workers} worker(s)${report.pinned ? ' · pinned (server CPU 0; mock + generator CPU 1)' : ''}${args['shipped-limits'] ? ' · LLM concurrency as shipped' : ''} · commit ${report.commit}`,
    `Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGb} GB, Node ${report.machine.node}. Mock LLM: 500 ms to first token, 80 tokens at 50/s (nominal total ${NOMINAL_TOTAL} ms). Load generator, mock and server share the machine. Warm-up: 100 users for ${args.warmup} s. Each level: ${durationS} s; users arrive over the first ${RAMP_MS / 1000} s, and turns started then are reported apart ("ramp") from the steady state (the main columns). "Server" columns come from the server's own /metrics (histogram bucket bounds).`,
    '',
  ];
  if (report.chat) {
    lines.push(...chatTable(report.chat as LevelResult[]));
  }
  if (report.memory) {
    lines.push('', 'Memory (100 users; the same load with compression after nearly every turn vs never):', ...chatTable(report.memory.runs as LevelResult[], 'budget'), '', `Memory jobs that compressed: ${JSON.stringify(report.memory.compressedJobs)}`);
  }
  if (report.read) {
    for (const [path, r] of Object.entries<any>(report.read)) lines.push('', `Read GET ${path} (autocannon, 100 connections, 10 s, in the same process as the generator): ${r.requestsPerSecond} req/s, p50 ${r.latencyP50Ms} ms, p99 ${r.latencyP99Ms} ms, non-2xx ${r.non2xx}, errors ${r.errors}, server CPU ${r.serverCpuMsPerRead ?? '–'} ms per read.`);
  }
  if (report.mixed) lines.push('', `Mixed (20 creations while 500 users chat): ${JSON.stringify(report.mixed)}`);
  const file = join('bench', 'RESULTS.md');
  if (!existsSync(file)) writeFileSync(file, '# Benchmark results\n\nAppended by `npm run bench`; newest last. See README "Benchmark".\n');
  appendFileSync(file, lines.join('\n') + '\n');
  console.log(lines.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
