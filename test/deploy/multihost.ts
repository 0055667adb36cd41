/**
 * The deployment across hosts (#17), on one machine: every role in its own network namespace with
 * its own address, wired by veth pairs to one bridge —
 *
 *   .1 this machine (the client)   .2 nginx (deploy/nginx.conf)   .11 app1   .12 app2   .13 worker
 *   .21 PostgreSQL primary   .22 streaming replica (pg_basebackup -R)   .31 Redis   .41 mock LLM
 *
 * then, through the proxy: sign-in, SSE chat (first token timing beside a direct connection), an
 * edit on one host seen on the other, a creation job run once by the worker, replica reads and
 * read-your-writes, an app host killed mid-stream, a lagging then stopped replica, a Redis
 * restart, a rate limit counted across hosts and the edge limit. Prints the figures and writes
 * test-output/multihost-report.md.
 *
 *   npm run build && sudo npm run test:deploy     (.ci/run runs it after the tests)
 *
 * Needs root, iproute2, nginx, redis-server and PostgreSQL 15 binaries. Bounded: the whole run
 * stops after RUN_TIMEOUT_MS; every namespace, process and temp folder is removed on the way out,
 * also on failure or Ctrl-C.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { HostProcess, Network } from './netns.js';
import { PgNode } from './postgres.js';
import { readSse } from '../support/sse.js';
import { waitFor, sleep } from '../support/wait.js';
import { api, chatTurn } from '../../bench/lib.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli.js');
const MOCK = join(ROOT, 'dist', 'tools', 'mock-llm.js');
const RUN_TIMEOUT_MS = 420_000;
const LOAD_USERS = 30;
const LOAD_SECONDS = 15;
const METRICS_TOKEN = 'multihost-metrics-token';
const AUTH_LIMIT = 6;

// ---- a browser-like client: keeps every cookie, honours Max-Age ---------------------------------
class Client {
  private jar = new Map<string, { value: string; expires: number }>();
  constructor(readonly base: string) {}

  cookieHeader(): string {
    const now = Date.now();
    return [...this.jar].filter(([, c]) => c.expires > now).map(([k, c]) => `${k}=${c.value}`).join('; ');
  }

  /** The same session without the recent-write marker: a reader that did not just write. */
  withoutRecentWrite(base = this.base): Client {
    const c = new Client(base);
    for (const [k, v] of this.jar) if (k !== 'fastnpc_rw') c.jar.set(k, v);
    return c;
  }

  on(base: string): Client {
    const c = new Client(base);
    c.jar = this.jar;
    return c;
  }

  private keep(res: Response) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const [k, v] = [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()];
      const maxAge = attrs.map((a) => /^\s*max-age=(-?\d+)/i.exec(a)).find(Boolean);
      this.jar.set(k, { value: v, expires: maxAge ? Date.now() + Number(maxAge[1]) * 1000 : Infinity });
    }
  }

  async raw(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { ...headers, cookie: this.cookieHeader() };
    let payload: BodyInit | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] = 'application/json';
    }
    const res = await fetch(this.base + path, { method, headers: h, body: payload, signal: AbortSignal.timeout(30_000) });
    this.keep(res);
    return res;
  }

  async json<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }> {
    const res = await this.raw(method, path, body, headers);
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      /* not JSON (an nginx error page) */
    }
    return { status: res.status, body: parsed, headers: res.headers };
  }

  /** One chat turn as SSE: when the first token and the end arrived (ms from sending). */
  async turn(characterId: number, content: string): Promise<{ status: number; firstTokenMs?: number; endMs?: number; last?: string; text: string }> {
    const t0 = performance.now();
    const res = await this.raw('POST', `/api/characters/${characterId}/messages`, { content }, { accept: 'text/event-stream' });
    if (res.status !== 200) return { status: res.status, text: await res.text() };
    let firstTokenMs: number | undefined;
    let last: string | undefined;
    let text = '';
    try {
      for await (const f of readSse(res)) {
        if (f.event === 'token') {
          firstTokenMs ??= performance.now() - t0;
          text += f.data.text ?? '';
        }
        last = f.event;
      }
    } catch {
      last = 'connection lost';
    }
    return { status: 200, firstTokenMs, endMs: performance.now() - t0, last, text };
  }
}

// ---- the run -------------------------------------------------------------------------------------
interface Check {
  name: string;
  ok: boolean;
  detail: string;
}
const checks: Check[] = [];
const figures: string[] = [];

function check(name: string, ok: boolean, detail = ''): void {
  checks.push({ name, ok, detail });
  process.stdout.write(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? `  (${detail})` : ''}\n`);
  if (!ok) throw new Error(`check failed: ${name} ${detail}`);
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const median = (xs: number[]) => pct(xs, 50);

function preflight(): void {
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root (network namespaces)');
  for (const bin of ['ip', 'nginx', 'redis-server']) {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
    } catch {
      missing.push(bin);
    }
  }
  if (!existsSync('/usr/lib/postgresql/15/bin/postgres')) missing.push('PostgreSQL 15 (/usr/lib/postgresql/15/bin)');
  if (!existsSync(CLI) || !existsSync(MOCK)) missing.push('the build (npm run build)');
  if (missing.length) throw new Error(`cannot run the multi-host test: missing ${missing.join(', ')}`);
}

/** deploy/nginx.conf as shipped, with Compose's names replaced by this run's addresses. */
function nginxConfig(net: Network, dir: string): string {
  const shipped = readFileSync(join(ROOT, 'deploy', 'nginx.conf'), 'utf8');
  const site = shipped.replace('server app1:8000', `server ${net.addr(11)}:8000`).replace('server app2:8000', `server ${net.addr(12)}:8000`).replace('listen 80;', `listen ${net.addr(2)}:80;`);
  if (site === shipped || !site.includes(net.addr(12))) throw new Error('deploy/nginx.conf no longer has the expected upstream and listen lines');
  for (const d of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'fastnpc.conf'), site);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `user root;\nworker_processes 1;\ndaemon off;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\nevents { worker_connections 4096; }\n` +
      `http {\n  include /etc/nginx/mime.types;\n  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n  include ${dir}/fastnpc.conf;\n}\n`,
  );
  return join(dir, 'nginx.conf');
}

async function metricsOf(base: string): Promise<string> {
  const r = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` }, signal: AbortSignal.timeout(5000) });
  return r.text();
}
const metricValue = (text: string, re: RegExp) => {
  let sum = 0;
  for (const m of text.matchAll(new RegExp(re.source + ' ([0-9.e+-]+)', 'gm'))) sum += Number(m[1]);
  return sum;
};

async function main(): Promise<void> {
  const started = performance.now();
  preflight();
  const work = mkdtempSync(join(tmpdir(), 'fastnpc-multihost-'));
  chmodSync(work, 0o755);
  const net = new Network();
  const procs: HostProcess[] = [];
  const pgs: PgNode[] = [];
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all(procs.map((p) => p.stop().catch(() => undefined)));
    await Promise.all(pgs.map((p) => p.destroy().catch(() => undefined)));
    net.destroy();
    if (!process.env.KEEP_MULTIHOST_LOGS) rmSync(work, { recursive: true, force: true });
  };
  const onSignal = () => void cleanup().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const deadline = setTimeout(() => {
    process.stderr.write(`multi-host test: over ${RUN_TIMEOUT_MS / 1000} s, stopping\n`);
    void cleanup().then(() => process.exit(1));
  }, RUN_TIMEOUT_MS);

  try {
    const t0 = performance.now();
    // Hosts ---------------------------------------------------------------------------------------
    net.create();
    const ns = {
      proxy: net.addHost('proxy', 2),
      app1: net.addHost('app1', 11),
      app2: net.addHost('app2', 12),
      worker: net.addHost('worker', 13),
      pg1: net.addHost('pg1', 21),
      pg2: net.addHost('pg2', 22),
      redis: net.addHost('redis', 31),
      llm: net.addHost('llm', 41),
    };
    const host = (name: string, n: number, argv: string[], env: Record<string, string> = {}) => {
      const p = new HostProcess(name, (ns as Record<string, string>)[name.replace(/^(app\d|worker).*/, '$1')] ?? name, argv, env, join(work, `${name}.log`));
      procs.push(p);
      return p;
    };

    const primary = new PgNode(net.addr(21), 5432, ['ip', 'netns', 'exec', ns.pg1]);
    const replica = new PgNode(net.addr(22), 5432, ['ip', 'netns', 'exec', ns.pg2]);
    pgs.push(primary, replica);
    const redisDir = join(work, 'redis');
    mkdirSync(redisDir);
    const redisArgs = ['redis-server', '--bind', net.addr(31), '--port', '6379', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', redisDir, '--protected-mode', 'no'];
    const redis = new HostProcess('redis', ns.redis, redisArgs, {}, join(work, 'redis.log'));
    procs.push(redis);
    redis.start();
    const llm = new HostProcess('llm', ns.llm, [process.execPath, MOCK, '--host', net.addr(41), '--port', '18080', '--ttft-ms', '150', '--tokens', '40', '--tps', '60'], {}, join(work, 'llm.log'));
    procs.push(llm);
    llm.start();
    await primary.initPrimary();
    await primary.query('CREATE DATABASE fastnpc');
    await replica.initStandby(primary);
    figures.push(`topology up (namespaces, PostgreSQL primary + replica, Redis, mock LLM): ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const dataDir = join(work, 'data'); // shared avatars, as a shared volume would be
    mkdirSync(dataDir);
    const appEnv: Record<string, string> = {
      DATABASE_URL: primary.url('fastnpc'),
      DATABASE_READ_URL: replica.url('fastnpc'),
      REDIS_URL: `redis://${net.addr(31)}:6379`,
      FASTNPC_REDIS_PREFIX: 'multihost',
      FASTNPC_SECRET: 'multihost-secret-0123456789-0123456789',
      FASTNPC_DATA_DIR: dataDir,
      FASTNPC_PORT: '8000',
      FASTNPC_WORKERS: '1',
      FASTNPC_RUN_JOBS: 'false',
      FASTNPC_TRUST_PROXY: net.addr(2),
      FASTNPC_LLM_BASE_URL: `http://${net.addr(41)}:18080/v1`,
      FASTNPC_LLM_API_KEY: 'mock',
      FASTNPC_LLM_MODEL: 'mock-model',
      FASTNPC_METRICS_TOKEN: METRICS_TOKEN,
      FASTNPC_AUTH_RATE_PER_MIN: String(AUTH_LIMIT),
      FASTNPC_CHAT_RATE_PER_MIN: '0',
      FASTNPC_TURN_LEASE_MS: '2000',
      FASTNPC_SHUTDOWN_GRACE_MS: '2000',
      FASTNPC_BUNDLED_SOURCES: 'first',
      FASTNPC_LOG_LEVEL: 'warn',
    };
    // Two hosts migrate the fresh database at the same moment: the advisory lock lets one do it.
    const migrations = [11, 12].map((n) => {
      const name = n === 11 ? 'app1-migrate' : 'app2-migrate';
      const p = host(name, n, [process.execPath, CLI, 'migrate'], { ...appEnv, FASTNPC_HOST: net.addr(n) });
      p.start();
      return new Promise<number>((r) => p.child!.once('exit', (code) => r(code ?? 1)));
    });
    const codes = await Promise.all(migrations);
    const migrateLogs = ['app1-migrate', 'app2-migrate'].map((n) => procs.find((p) => p.name === n)!.logTail(3));
    check('two hosts run `fastnpc migrate` at once on a fresh database', codes.every((c) => c === 0) && migrateLogs.some((l) => l.includes('applied: 0001')) && migrateLogs.some((l) => l.includes('up to date')), migrateLogs.map((l) => l.trim()).join(' | '));

    const app1 = host('app1', 11, [process.execPath, CLI, 'serve'], { ...appEnv, FASTNPC_HOST: net.addr(11) });
    const app2 = host('app2', 12, [process.execPath, CLI, 'serve'], { ...appEnv, FASTNPC_HOST: net.addr(12) });
    const worker = host('worker', 13, [process.execPath, CLI, 'worker'], { ...appEnv, FASTNPC_RUN_JOBS: 'true', FASTNPC_HOST: net.addr(13) });
    const nginx = new HostProcess('nginx', ns.proxy, ['nginx', '-c', nginxConfig(net, join(work, 'nginx'))], {}, join(work, 'nginx.log'));
    procs.push(nginx);
    for (const p of [app1, app2, worker, nginx]) p.start();
    const A1 = `http://${net.addr(11)}:8000`;
    const A2 = `http://${net.addr(12)}:8000`;
    const PROXY = `http://${net.addr(2)}`;
    const ready = (url: string) => waitFor(async () => (await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => undefined))?.ok, 60_000);
    await Promise.all([ready(`${A1}/readyz`), ready(`${A2}/readyz`), ready(`${PROXY}/healthz`)]);
    figures.push(`whole deployment ready: ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Sign-in through the proxy -------------------------------------------------------------------
    const user = new Client(PROXY);
    const username = `mh_${net.id}`;
    const reg = await user.json('POST', '/api/auth/register', { username, password: 'correct horse battery' });
    const login = await user.json('POST', '/api/auth/login', { username, password: 'correct horse battery' });
    const me = await user.json('GET', '/api/auth/me');
    check('register, sign in and read the session through nginx', reg.status === 201 && login.status === 200 && me.status === 200 && me.body.user?.username === username, `${reg.status}/${login.status}/${me.status}`);

    // A rate limit counts across hosts; X-Forwarded-For only from the proxy -----------------------------
    // register + login just now are 2 of AUTH_LIMIT (a one-minute window from the first); a direct request with a forged X-Forwarded-For must
    // count against this client's own address (3); so exactly AUTH_LIMIT - 3 attempts pass via nginx.
    const forged = await new Client(A1).json('POST', '/api/auth/login', { username, password: 'wrong password' }, { 'x-forwarded-for': '198.51.100.7' });
    const statuses: number[] = [];
    for (let i = 0; i < AUTH_LIMIT; i++) statuses.push((await new Client(PROXY).json('POST', '/api/auth/login', { username, password: 'wrong password' })).status);
    const served = (await Promise.all([metricsOf(A1), metricsOf(A2)])).map((m) => metricValue(m, /^http_request_duration_seconds_count\{[^}]*route="\/api\/auth\/login"[^}]*status="401"[^}]*\}/));
    check('the sign-in limit counts across both hosts, per client address, and a forged X-Forwarded-For is ignored', forged.status === 401 && statuses.join(',') === [...Array(AUTH_LIMIT - 3).fill(401), ...Array(3).fill(429)].join(',') && served.every((n) => n > 0), `${statuses.join(',')}; 401s per host ${served}`);

    const form = new FormData();
    const card = { spec: 'chara_card_v2', spec_version: '2.0', data: { name: '李白', description: '李白，唐代诗人，号青莲居士。', personality: '豪放', scenario: '', first_mes: '', mes_example: '', creator_notes: '', system_prompt: '', post_history_instructions: '', alternate_greetings: [], tags: [], creator: 'multihost', character_version: '1', extensions: {} } };
    form.append('file', new Blob([JSON.stringify(card)], { type: 'application/json' }), 'card.json');
    const imported = await user.json('POST', '/api/characters/import', form);
    const characterId = imported.body.id as number;
    check('import a character through nginx', imported.status === 201 && characterId > 0, String(imported.status));

    // SSE through nginx, beside the same turns straight to an app host ----------------------------
    // Pairs of turns, one through nginx and one straight to an app host (both hosts in turn), in
    // alternating order so that neither side always runs on a warmer machine; compared pairwise.
    const viaProxy: { ttft: number; total: number }[] = [];
    const straight: { ttft: number; total: number }[] = [];
    const gaps: number[] = [];
    const shortReply = '[[mock:{"tokens":20,"tps":60}]]';
    for (let i = 0; i < 24; i++) {
      const direct = user.on(Math.floor(i / 2) % 2 ? A2 : A1);
      const pair: Record<string, number> = {};
      for (const [side, c] of (i % 2 ? [['proxy', user], ['direct', direct]] : [['direct', direct], ['proxy', user]]) as [string, Client][]) {
        const r = await c.turn(characterId, `${shortReply} 第${i}句`);
        if (r.status !== 200 || r.last !== 'done' || r.firstTokenMs === undefined) throw new Error(`turn failed: ${JSON.stringify(r).slice(0, 300)}`);
        pair[side] = r.firstTokenMs;
        if (i >= 4) (side === 'proxy' ? viaProxy : straight).push({ ttft: r.firstTokenMs, total: r.endMs! });
      }
      if (i >= 4) gaps.push(pair.proxy - pair.direct);
    }
    const row = (xs: { ttft: number; total: number }[]) =>
      `first token ${median(xs.map((x) => x.ttft)).toFixed(1)} / ${pct(xs.map((x) => x.ttft), 95).toFixed(1)}   whole reply ${median(xs.map((x) => x.total)).toFixed(1)} / ${pct(xs.map((x) => x.total), 95).toFixed(1)}`;
    figures.push(`chat turn, SSE (mock LLM: 150 ms to first token, 20 tokens at 60/s), ${viaProxy.length} turns each, p50 / p95 ms:`);
    figures.push(`  through nginx        ${row(viaProxy)}`);
    figures.push(`  direct to app1/app2  ${row(straight)}`);
    figures.push(`  paired difference in first-token time (nginx − direct): p50 ${median(gaps).toFixed(1)} ms, p95 ${pct(gaps, 95).toFixed(1)} ms`);
    const streamed = median(viaProxy.map((x) => x.total - x.ttft));
    check('SSE through nginx is unbuffered: the first token arrives long before the reply ends', streamed > 200, `p50 ${streamed.toFixed(0)} ms between first token and end`);
    // Judged on the fast end: on a shared machine, the median also measures other tenants' CPU use
    // (every proxied byte needs one more process scheduled), the 10th percentile the path itself.
    const p10Gap = pct(viaProxy.map((x) => x.ttft), 10) - pct(straight.map((x) => x.ttft), 10);
    figures.push(`  10th percentile of first-token time: nginx ${pct(viaProxy.map((x) => x.ttft), 10).toFixed(1)} ms, direct ${pct(straight.map((x) => x.ttft), 10).toFixed(1)} ms (machine load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`);
    check('first-token time through nginx is within 10 ms of a direct connection', Math.abs(p10Gap) <= 10, `p10 gap ${p10Gap.toFixed(1)} ms, p50 paired gap ${median(gaps).toFixed(1)} ms`);

    // Under load: LOAD_USERS users in a closed loop (turn, 1 s pause), half through nginx and half
    // straight to the two hosts, at the same time, so that both halves share whatever else the
    // machine is doing. One client address: nginx's per-address limit (30/s, burst 60) caps this,
    // so the load stays under it.
    const characters: number[] = [];
    for (let i = 0; i < LOAD_USERS; i++) {
      const f = new FormData();
      f.append('file', new Blob([JSON.stringify({ ...card, data: { ...card.data, name: `负载${i}` } })], { type: 'application/json' }), 'card.json');
      characters.push((await user.json('POST', '/api/characters/import', f)).body.id);
    }
    const sides = { nginx: [api(PROXY, 256)], direct: [api(A1, 256), api(A2, 256)] };
    const results = { nginx: { ttft: [] as number[], total: [] as number[], failed: 0 }, direct: { ttft: [] as number[], total: [] as number[], failed: 0 } };
    const loadEnd = performance.now() + LOAD_SECONDS * 1000;
    await Promise.all(
      characters.map(async (id, i) => {
        const side = i % 2 ? 'direct' : 'nginx';
        const agent = sides[side][Math.floor(i / 2) % sides[side].length];
        await sleep((i * 1000) / LOAD_USERS);
        while (performance.now() < loadEnd) {
          const r = await chatTurn(agent, user.cookieHeader(), id, '你好');
          if (r.ok) {
            results[side].ttft.push(r.ttftMs);
            results[side].total.push(r.totalMs);
          } else results[side].failed++;
          await sleep(1000);
        }
      }),
    );
    await Promise.all([...sides.nginx, ...sides.direct].map((a) => a.agent.close()));
    const loadRow = ({ ttft, total, failed }: { ttft: number[]; total: number[]; failed: number }) =>
      `${String(ttft.length).padStart(4)} turns, ${failed} failed, ${(ttft.length / LOAD_SECONDS).toFixed(1)} turns/s   first token ${median(ttft).toFixed(0)} / ${pct(ttft, 95).toFixed(0)} / ${pct(ttft, 99).toFixed(0)}   whole reply ${median(total).toFixed(0)} / ${pct(total, 95).toFixed(0)} / ${pct(total, 99).toFixed(0)}`;
    figures.push(`chat under load: ${LOAD_USERS} users at once (turn, then 1 s pause) for ${LOAD_SECONDS} s, half through nginx and half direct (mock: 150 ms to first token, 40 tokens at 60/s), p50 / p95 / p99 ms:`);
    figures.push(`  through nginx        ${loadRow(results.nginx)}`);
    figures.push(`  direct to app1/app2  ${loadRow(results.direct)}`);

    // An edit on one host is served fresh by the other ----------------------------------------------
    const before = await user.on(A2).json('GET', `/api/characters/${characterId}`);
    const patched = await user.on(A1).json('PATCH', `/api/characters/${characterId}`, { name: '李太白' });
    const seen = await waitFor(async () => (await user.on(A2).json('GET', `/api/characters/${characterId}`)).body.name === '李太白', 5000).catch(() => false);
    check('an edit on app1 is seen on app2 (cache invalidated across hosts)', before.body.name === '李白' && patched.status === 200 && seen === true);

    // A creation job runs once, on the worker ------------------------------------------------------
    const creation = await user.json('POST', '/api/characters/creations', { name: '孙悟空', source: 'baike' });
    const jobId = creation.body.job?.id as string;
    const job = await waitFor(async () => {
      const j = await user.json('GET', `/api/jobs/${jobId}`);
      return ['done', 'failed', 'cancelled'].includes(j.body.state) && j.body;
    }, 60_000);
    const list = await user.json('GET', '/api/characters?q=%E5%AD%99%E6%82%9F%E7%A9%BA&limit=20');
    const apps = (await Promise.all([metricsOf(A1), metricsOf(A2)])).map((m) => metricValue(m, /^fastnpc_llm_requests_total\{[^}]*purpose="structure"[^}]*\}/));
    check('a creation job runs once, on the worker host (the app hosts run no jobs)', creation.status === 202 && job.state === 'done' && list.body.items?.length === 1 && apps.every((n) => n === 0), `state ${job.state}, ${list.body.items?.length} character(s)`);

    // Replica reads, read-your-writes ------------------------------------------------------------------
    const replicaReads = async () => metricValue((await metricsOf(A1)) + (await metricsOf(A2)), /^db_read_connections\{target="replica"\}/);
    const usable = async () => [await metricsOf(A1), await metricsOf(A2)].map((m) => metricValue(m, /^db_replica_usable/));
    const lastContent = async (c: Client) => {
      const r = await c.json('GET', `/api/characters/${characterId}/messages?limit=5`);
      return (r.body.items as { content: string; role: string }[]).filter((m) => m.role === 'user').map((m) => m.content);
    };
    await user.turn(characterId, '写后即读');
    const own = await lastContent(user);
    check('read-your-writes: right after a turn, the message page has it', own.includes('写后即读'));
    const r0 = await replicaReads();
    const reader = user.withoutRecentWrite();
    const fromReplica = await waitFor(async () => (await lastContent(reader)).includes('写后即读'), 5000).catch(() => false);
    check('a reader that did not just write is served by the replica', fromReplica === true && (await replicaReads()) > r0, `replica reads ${r0} → ${await replicaReads()}`);

    await replica.query('select pg_wal_replay_pause()', 'fastnpc');
    await user.turn(characterId, '副本暂停');
    const ownWhilePaused = await lastContent(user);
    await waitFor(async () => (await usable()).every((u) => u === 0), 10_000);
    const readerWhilePaused = await lastContent(user.withoutRecentWrite());
    check('replica lags: own writes are read back, and once the lag shows every read goes to the primary', ownWhilePaused.includes('副本暂停') && readerWhilePaused.includes('副本暂停'));
    await replica.query('select pg_wal_replay_resume()', 'fastnpc');
    await waitFor(async () => (await usable()).every((u) => u === 1), 15_000);

    // An app host dies mid-stream --------------------------------------------------------------------
    const inFlight = async (base: string) => metricValue(await metricsOf(base), /^fastnpc_llm_in_flight/);
    const longTurn = user.turn(characterId, '[[mock:{"tokens":400,"tps":20}]] 讲个长故事');
    const holder = await waitFor(async () => ((await inFlight(A1)) > 0 ? 'app1' : (await inFlight(A2)) > 0 ? 'app2' : undefined), 10_000);
    await sleep(500);
    const victim = holder === 'app1' ? app1 : app2;
    const survivor = holder === 'app1' ? A2 : A1;
    await victim.kill('SIGKILL');
    const cut = await longTurn;
    check('an app host killed mid-stream: the client sees the stream end without `done`', cut.status === 200 && cut.firstTokenMs !== undefined && cut.last !== 'done', `${holder} killed, stream ended with: ${cut.last}`);
    const next = await user.json('GET', `/api/characters/${characterId}/messages?limit=5`);
    const afterKill = (next.body.items as { content: string }[] | undefined)?.map((m) => m.content) ?? [];
    check('the next request goes to the other host, and the sent message is kept', next.status === 200 && afterKill.some((c) => c.includes('讲个长故事')), `status ${next.status}`);
    // The dead host's lease on the conversation lapses (FASTNPC_TURN_LEASE_MS), then turns work again.
    const again = await waitFor(async () => {
      const r = await user.turn(characterId, '还在吗');
      return r.status === 200 && r.last === 'done' && r;
    }, 15_000);
    const settled = await primary.query<{ role: string; status: string }>("select role, status from messages where content like '%讲个长故事%'", 'fastnpc');
    check('turns continue on the surviving host; the cut-off message is stored once, marked failed', !!again && (await inFlight(survivor)) === 0 && settled.length === 1 && settled[0].status === 'failed', JSON.stringify(settled));
    victim.start();
    await ready(`${holder === 'app1' ? A1 : A2}/readyz`);

    // The replica stops --------------------------------------------------------------------------------
    await replica.stop('immediate');
    await user.turn(characterId, '副本停了');
    await sleep(5500); // past the read-your-writes window: these reads may go to a replica
    const whileDown = await lastContent(user);
    const usableDown = await usable();
    check('replica stopped: reads fall back to the primary and stay correct', whileDown.includes('副本停了') && usableDown.every((u) => u === 0), `usable ${usableDown}`);
    await replica.start();
    await waitFor(async () => (await usable()).every((u) => u === 1), 20_000);
    const r1 = await replicaReads();
    await lastContent(user.withoutRecentWrite());
    check('replica back: reads return to it', (await replicaReads()) > r1);

    // Redis restarts, with a job waiting in its queue ---------------------------------------------------
    // The worker is stopped first, so the job is still queued when Redis dies; Redis comes back from
    // its append-only file, the worker from a restart, and the job runs.
    await worker.stop();
    const waiting = await user.json('POST', '/api/characters/creations', { name: '李白', source: 'baike' });
    await redis.kill('SIGKILL');
    redis.start();
    await waitFor(async () => (await user.json('GET', '/api/auth/me').catch(() => ({ status: 0 }))).status === 200, 15_000);
    const afterRedis = await waitFor(async () => {
      const r = await user.turn(characterId, 'Redis 重启之后');
      return r.status === 200 && r.last === 'done' && r;
    }, 20_000);
    worker.start();
    const job2 = waiting.status === 202
      ? await waitFor(async () => {
          const j = await user.json('GET', `/api/jobs/${waiting.body.job.id}`);
          return ['done', 'failed', 'cancelled'].includes(j.body.state) && j.body;
        }, 90_000)
      : { state: `HTTP ${waiting.status}` };
    check('Redis restarted: sessions hold, chat works, the job queued before the restart runs', !!afterRedis && job2.state === 'done', `job ${job2.state}`);

    // The edge limit --------------------------------------------------------------------------------------
    const burst = await Promise.all(Array.from({ length: 150 }, () => fetch(`${PROXY}/healthz`).then((r) => r.status)));
    const refused = burst.filter((s) => s === 429).length;
    check('nginx limits requests per address at the edge', refused > 0 && burst.filter((s) => s === 200).length >= 60, `${refused} of 150 refused`);
  } catch (err) {
    process.stderr.write(`\n${(err as Error).stack ?? err}\n`);
    for (const p of procs) process.stderr.write(`\n--- ${p.name} log (last lines) ---\n${p.logTail()}\n`);
    process.exitCode = 1;
  } finally {
    clearTimeout(deadline);
    await cleanup();
  }
  const summary = `${checks.filter((c) => c.ok).length}/${checks.length} checks passed in ${((performance.now() - started) / 1000).toFixed(0)} s\n${figures.join('\n')}\n`;
  process.stdout.write(`\n${summary}`);
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  const table = checks.map((c) => `| ${c.ok ? 'pass' : 'FAIL'} | ${c.name} | ${c.detail.replace(/\|/g, '/')} |`).join('\n');
  writeFileSync(join(ROOT, 'test-output', 'multihost-report.md'), `# Multi-host deployment test (${new Date().toISOString()})\n\n| | check | detail |\n|---|---|---|\n${table}\n\n\`\`\`\n${summary}\`\`\`\n`);
}

await main();
