/**
 * npm run bench [-- --mode embedded|scaled] [--workers N] [--levels 100,500,1000,2000]
 *               [--duration S] [--scenarios chat,read,mixed]
 *
 * Starts the mock LLM (500 ms to first token, 80 tokens at 50/s) and the built server as child
 * processes, sets up users and characters through the API, then measures:
 * - chat: a closed loop per virtual user — send, read the whole stream, think 1 s — per level;
 * - read: the character list with a session cookie under autocannon;
 * - mixed: 20 character creations while 500 users chat.
 * Appends a report to bench/RESULTS.md and writes the raw figures to bench/results/*.json.
 */
import { execSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { api, chatTurn, freePort, metricValue, percentile, round, sampleProcess, sleep, startProcess, stopProcess, waitForHttp, type Api } from './lib.js';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: object) => Promise<any>;

const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'embedded' },
    workers: { type: 'string' },
    levels: { type: 'string', default: '100,500,1000,2000' },
    duration: { type: 'string', default: '20' },
    scenarios: { type: 'string', default: 'chat,read,mixed' },
  },
});
const mode = args.mode as 'embedded' | 'scaled';
const workers = args.workers ? Number(args.workers) : mode === 'scaled' ? cpus().length : 1;
const levels = args.levels!.split(',').map(Number);
const durationS = Number(args.duration);
const scenarios = new Set(args.scenarios!.split(','));
const NOMINAL_TTFT = 500;
const NOMINAL_TOTAL = 500 + (79 * 1000) / 50;
const USERS = 100;
const RAMP_MS = 3000;

interface LevelResult {
  users: number;
  turns: number;
  successRate: number;
  failures: Record<string, number>;
  ttft: { p50: number; p95: number; p99: number };
  total: { p50: number; p95: number; p99: number };
  addedTtftP99: number;
  addedTotal: { p50: number; p99: number };
  turnsPerSecond: number;
  serverCpuPercent: number;
  serverRssMb: number;
  eventLoopLagP99Ms?: number;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-bench-'));
  const mockPort = await freePort();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    FASTNPC_HOST: '127.0.0.1',
    FASTNPC_PORT: String(port),
    FASTNPC_DATA_DIR: dataDir,
    FASTNPC_LOG_LEVEL: 'warn',
    FASTNPC_LLM_BASE_URL: `http://127.0.0.1:${mockPort}/v1`,
    FASTNPC_LLM_API_KEY: 'bench',
    FASTNPC_LLM_MODEL: 'mock-model',
    // Synthetic users send far more than a person would; admission control is measured by the gateway's limits instead.
    FASTNPC_AUTH_RATE_PER_MIN: '0',
    FASTNPC_CHAT_RATE_PER_MIN: '0',
    FASTNPC_CREATION_RATE_PER_MIN: '0',
    FASTNPC_LLM_CONCURRENCY: '4096',
    FASTNPC_WORKERS: String(workers),
  };
  let pgDb: string | undefined;
  const pgUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (mode === 'scaled') {
    pgDb = `fastnpc_bench_${Date.now()}`;
    const c = new pg.Client({ connectionString: pgUrl });
    await c.connect();
    await c.query(`CREATE DATABASE ${pgDb}`);
    await c.end();
    const u = new URL(pgUrl);
    u.pathname = `/${pgDb}`;
    env.DATABASE_URL = u.toString();
    env.REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0';
  }

  const mock = startProcess(process.execPath, ['--import', 'tsx', 'tools/mock-llm.ts', '--port', String(mockPort), '--profile', 'bench'], {}, 'mock');
  await waitForHttp(`http://127.0.0.1:${mockPort}/v1/models`);
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/profiles" profiles the server under load.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const server = startProcess(process.execPath, [...nodeArgs, 'dist/src/cli.js', 'serve'], env, 'server');
  await waitForHttp(`${base}/healthz`);
  const a = api(base);
  const report: Record<string, unknown> = { date: new Date().toISOString(), mode, workers, machine: machine(), commit: commit() };

  try {
    console.error(`[bench] setting up ${USERS} users and ${Math.max(...levels, 500)} characters…`);
    const { cookies, characters } = await setup(a, Math.max(...levels, 500));
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
      report.read = await readScenario(base, cookies[0]);
      console.error(`[bench]   → ${JSON.stringify(report.read)}`);
    }
    if (scenarios.has('mixed')) {
      console.error('[bench] mixed: 20 creations while 500 users chat');
      report.mixed = await mixedScenario(a, server.pid!, cookies, characters, results.find((r) => r.users === 500));
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
  const card = (name: string) =>
    JSON.stringify({ spec: 'chara_card_v2', spec_version: '2.0', data: { name, description: `${name}，一位唐代诗人，豪放不羁。`, personality: '豪放、好酒、重义', scenario: '盛唐', first_mes: '幸会！', mes_example: '', creator_notes: '', system_prompt: '', post_history_instructions: '', alternate_greetings: [], tags: [], creator: 'bench', character_version: '1', extensions: {} } });
  await Promise.all(
    cookies.map(async (cookie, u) => {
      const form = new FormData();
      form.append('file', new Blob([card(`诗人${u}`)], { type: 'application/json' }), 'card.json');
      const r = await fetch(`${a.base}/api/characters/import`, { method: 'POST', headers: { cookie }, body: form });
      if (r.status !== 201) throw new Error(`import failed: ${r.status} ${await r.text()}`);
      const first = (await r.json()) as { id: number };
      firsts[u] = { cookie, id: first.id };
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
  const cpu0 = sampleProcess(serverPid);
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
        samples.push(await chatTurn(a, c.cookie, c.id, `第${n++}个问题：你怎么看待月亮和酒？请说说你的故事。`));
        await sleep(1000);
      }
    }),
  );
  clearInterval(rssTimer);
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = sampleProcess(serverPid);
  const metrics = (await a.json('GET', '/metrics')).body as string;
  if (process.env.BENCH_DUMP_METRICS) writeFileSync(`/tmp/bench-metrics-${users}.txt`, metrics);
  return summarise(samples, users, wall, ((cpu1.cpuSeconds - cpu0.cpuSeconds) / wall) * 100, rssPeak, metrics);
}

function summarise(samples: Awaited<ReturnType<typeof chatTurn>>[], users: number, wallS: number, cpuPercent: number, rssBytes: number, metrics: string): LevelResult {
  const ok = samples.filter((s) => s.ok);
  const failures: Record<string, number> = {};
  for (const s of samples) if (!s.ok) failures[s.kind] = (failures[s.kind] ?? 0) + 1;
  const ttfts = ok.map((s) => s.ttftMs).filter(Number.isFinite);
  const totals = ok.map((s) => s.totalMs);
  const lag = metricValue(metrics, 'nodejs_eventloop_lag_p99_seconds');
  return {
    users,
    turns: samples.length,
    successRate: round((ok.length / Math.max(1, samples.length)) * 100, 2),
    failures,
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

async function readScenario(base: string, cookie: string) {
  const r = await autocannon({ url: `${base}/api/characters`, connections: 100, duration: 10, headers: { cookie } });
  return { requestsPerSecond: round(r.requests.average), latencyP50Ms: r.latency.p50, latencyP99Ms: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function mixedScenario(a: Api, serverPid: number, cookies: string[], characters: { cookie: string; id: number }[], baseline: LevelResult | undefined) {
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
    chatWithout: baseline ? { successRate: baseline.successRate, totalP99: baseline.total.p99, addedTotalP99: baseline.addedTotal.p99 } : 'not measured in this run',
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

function write(report: Record<string, any>) {
  const dir = join('bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = report.date.replace(/[:.]/g, '-');
  writeFileSync(join(dir, `${stamp}-${report.mode}.json`), JSON.stringify(report, null, 2));
  const lines = [
    `\n## ${report.date} · ${report.mode} · ${report.workers} worker(s) · commit ${report.commit}`,
    `Machine: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGb} GB, Node ${report.machine.node}. Mock LLM: 500 ms to first token, 80 tokens at 50/s (nominal total ${NOMINAL_TOTAL} ms). Load generator, mock and server share the machine.`,
    '',
  ];
  if (report.chat) {
    lines.push('| users | turns | success % | TTFT p50/p95/p99 ms | total p50/p95/p99 ms | added TTFT p99 | added total p50/p99 | turns/s | server CPU % | RSS MB | loop lag p99 ms | failures |', '|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of report.chat as LevelResult[]) {
      lines.push(
        `| ${r.users} | ${r.turns} | ${r.successRate} | ${r.ttft.p50}/${r.ttft.p95}/${r.ttft.p99} | ${r.total.p50}/${r.total.p95}/${r.total.p99} | ${r.addedTtftP99} | ${r.addedTotal.p50}/${r.addedTotal.p99} | ${r.turnsPerSecond} | ${r.serverCpuPercent} | ${r.serverRssMb} | ${r.eventLoopLagP99Ms ?? '–'} | ${Object.entries(r.failures).map(([k, v]) => `${k}: ${v}`).join(', ') || '–'} |`,
      );
    }
  }
  if (report.read) lines.push('', `Read (GET /api/characters, 100 connections, 10 s): ${report.read.requestsPerSecond} req/s, p50 ${report.read.latencyP50Ms} ms, p99 ${report.read.latencyP99Ms} ms, non-2xx ${report.read.non2xx}.`);
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
