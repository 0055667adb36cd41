/**
 * npx tsx bench/creation.ts — character creation with the mock at about 2 s per LLM call:
 * - the wall time of one creation (fetch + nine section calls in parallel + the biography);
 * - GET /api/characters latency under autocannon, alone and while 20 creations run.
 * Appends to bench/RESULTS.md.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { startFixtureServer } from '../test/support/fixture-server.js';
import { api, freePort, percentile, round, sleep, startProcess, stopProcess, waitForHttp, type Api } from './lib.js';

const require = createRequire(import.meta.url);
const autocannon = require('autocannon') as (opts: object) => Promise<any>;

async function createAndWait(a: Api, cookie: string, body: object): Promise<{ ms: number; state: string }> {
  const t0 = performance.now();
  const r = await a.json('POST', '/api/characters/creations', body, cookie);
  if (r.status !== 202) return { ms: performance.now() - t0, state: `http_${r.status}` };
  for (;;) {
    await sleep(50);
    const j = await a.json('GET', `/api/jobs/${r.body.job.id}`, undefined, cookie);
    if (['done', 'failed', 'cancelled'].includes(j.body.state)) return { ms: performance.now() - t0, state: j.body.state };
  }
}

async function reads(base: string, cookie: string) {
  const r = await autocannon({ url: `${base}/api/characters`, connections: 20, duration: 8, headers: { cookie } });
  return { rps: round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99 };
}

async function main() {
  const fx = await startFixtureServer();
  const mockPort = await freePort();
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-bench-creation-'));
  const mock = startProcess(process.execPath, ['--import', 'tsx', 'tools/mock-llm.ts', '--port', String(mockPort), '--ttft-ms', '1900', '--tokens', '20', '--tps', '200'], {}, 'mock');
  await waitForHttp(`http://127.0.0.1:${mockPort}/v1/models`);
  const server = startProcess(
    process.execPath,
    ['dist/src/cli.js', 'serve'],
    {
      FASTNPC_PORT: String(port),
      FASTNPC_DATA_DIR: dataDir,
      FASTNPC_LOG_LEVEL: 'warn',
      FASTNPC_LLM_BASE_URL: `http://127.0.0.1:${mockPort}/v1`,
      FASTNPC_LLM_API_KEY: 'bench',
      FASTNPC_BAIKE_BASE_URL: fx.baikeBaseUrl,
      FASTNPC_ZHWIKI_BASE_URL: fx.zhwikiBaseUrl,
      FASTNPC_BUNDLED_SOURCES: 'off',
      FASTNPC_AUTH_RATE_PER_MIN: '0',
      FASTNPC_CREATION_RATE_PER_MIN: '0',
      // Twenty creations at once may all run: nine calls each.
      FASTNPC_CREATION_CONCURRENCY: '20',
    },
    'server',
  );
  const base = `http://127.0.0.1:${port}`;
  await waitForHttp(`${base}/healthz`);
  const a = api(base);
  try {
    const reg = await a.json('POST', '/api/auth/register', { username: 'bench_creator', password: 'bench-password' });
    const cookie = reg.cookie!;
    const single = [];
    // Three different people: a repeat of the same one would be served from the LLM response cache.
    for (const name of ['诸葛亮', '苏轼', '孙悟空']) single.push(await createAndWait(a, cookie, { name, source: 'zhwiki', detail: 'concise' }));
    const alone = await reads(base, cookie);
    const concurrent = Promise.all(Array.from({ length: 20 }, (_, i) => createAndWait(a, cookie, { name: `说书人${i}`, source: 'text', text: `# 说书人${i}\n\n说书人${i}是长安城里的说书先生，擅长讲三国，性格诙谐。`, detail: 'concise' })));
    await sleep(300);
    const during = await reads(base, cookie);
    const many = await concurrent;
    const report = {
      date: new Date().toISOString(),
      singleCreationMs: single.map((s) => round(s.ms)),
      singleStates: single.map((s) => s.state),
      twentyConcurrent: { p50Ms: round(percentile(many.map((m) => m.ms), 50)), maxMs: round(Math.max(...many.map((m) => m.ms))), states: [...new Set(many.map((m) => m.state))] },
      listReadsAlone: alone,
      listReadsDuringCreations: during,
    };
    console.log(JSON.stringify(report, null, 2));
    appendFileSync(
      join('bench', 'RESULTS.md'),
      `\n## ${report.date} · creation (mock ≈ 2 s per LLM call)\n\nOne creation from Wikipedia (fetch + 9 parallel section calls + biography), three runs: ${report.singleCreationMs.join(', ')} ms (${report.singleStates.join(', ')}). Twenty at once: p50 ${report.twentyConcurrent.p50Ms} ms, max ${report.twentyConcurrent.maxMs} ms (${report.twentyConcurrent.states.join(', ')}).\n\nGET /api/characters under autocannon (20 connections, 8 s): alone ${alone.rps} req/s, p50 ${alone.p50} ms, p99 ${alone.p99} ms; during the 20 creations ${during.rps} req/s, p50 ${during.p50} ms, p99 ${during.p99} ms.\n`,
    );
  } finally {
    await stopProcess(server);
    await stopProcess(mock);
    await a.agent.close();
    await fx.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
