/**
 * A scripted 20-message group conversation through the HTTP API, against the mock LLM: how many
 * rounds the rule pass decided (no LLM call), how many moderator calls were made, and the group
 * turn latency (user message → `done`) and time to first token, p50/p95.
 *
 * Four members (刘备, 关羽, 张飞, 诸葛亮 with their courtesy names in the profile), natural mode,
 * 3 rounds per message; about half of the script addresses someone by name, alias or @.
 *
 *   npx tsx bench/group-scenario.ts [--profile bench|fast] [--rounds 3]
 *
 * `bench`: the mock at 500 ms to first token, 80 tokens at 50 tokens/s (a realistic remote model);
 * `fast`: 5 ms, 12 tokens at 2000 tokens/s (the server's own overhead).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { buildApp } from '../src/app.js';
import { BENCH_PROFILE, startMockLlm } from '../tools/mock-llm.js';

const { values } = parseArgs({ options: { profile: { type: 'string', default: 'bench' }, rounds: { type: 'string', default: '3' } } });
const PROFILE = values.profile === 'fast' ? { ttftMs: 5, tokens: 12, tps: 2000 } : BENCH_PROFILE;
const ROUNDS = Number(values.rounds);

const MEMBERS = [
  { name: '刘备', identity: { name: '刘备（字玄德）', titles: '汉昭烈帝、刘皇叔' }, bio: '蜀汉开国皇帝，仁德宽厚，志在兴复汉室。' },
  { name: '关羽', identity: { name: '关羽（字云长）', titles: '美髯公、汉寿亭侯' }, bio: '蜀汉名将，忠义勇武，镇守荆州。' },
  { name: '张飞', identity: { name: '张飞，字翼德', titles: '' }, bio: '蜀汉猛将，性如烈火，嫉恶如仇。' },
  { name: '诸葛亮', identity: { name: '诸葛亮（字孔明，号卧龙）', titles: '丞相、武乡侯' }, bio: '蜀汉丞相，足智多谋，鞠躬尽瘁。' },
];

const SCRIPT = [
  '诸位，今天想和大家聊聊天下大势。',
  '关羽，你镇守荆州这么多年，最担心的是什么？',
  '云长说得有理。翼德，你怎么看？',
  '那么北伐到底该不该打？',
  '@诸葛亮 先生有何高见？',
  '我觉得蜀汉最大的问题是人才不足。',
  '玄德公，你当年三顾茅庐时在想什么？',
  '如果重来一次，你们会怎么做？',
  '孔明，你和司马懿到底谁更厉害？',
  '说点轻松的吧，你们平时喜欢喝什么酒？',
  '张飞你是不是又喝多了？',
  '大家对东吴怎么看？',
  '关羽、张飞，你们俩当年在长坂坡谁更威风？',
  '我最近在读《出师表》，很受感动。',
  '丞相，写《出师表》的时候你是什么心情？',
  '你们觉得夷陵之战能避免吗？',
  '刘备，你后悔过伐吴吗？',
  '换个话题，给我推荐一本兵书吧。',
  '翼德，你读过兵书吗？',
  '好了，今天就聊到这里，最后每人说一句吧。',
];

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

async function main() {
  const mock = await startMockLlm({ port: 0, ...PROFILE });
  const dataDir = mkdtempSync(join(tmpdir(), 'fastnpc-bench-group-'));
  const config = loadConfig(
    {
      FASTNPC_DATA_DIR: dataDir,
      FASTNPC_LOG_LEVEL: 'silent',
      FASTNPC_AUTH_RATE_PER_MIN: '0',
      FASTNPC_CHAT_RATE_PER_MIN: '0',
      FASTNPC_SECRET: 'bench-secret-0123456789-0123456789-abcdef',
      FASTNPC_LLM_BASE_URL: mock.url,
      FASTNPC_LLM_API_KEY: 'bench',
      FASTNPC_LLM_MODEL: 'mock-model',
    },
    { ensureSecret: false },
  );
  const { app } = await buildApp(config, { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  let cookie = '';
  const call = async (method: string, path: string, body?: unknown, form?: FormData) => {
    const res = await fetch(base + path, { method, headers: { cookie, ...(body ? { 'content-type': 'application/json' } : {}) }, body: form ?? (body ? JSON.stringify(body) : undefined) });
    const set = res.headers.get('set-cookie');
    if (set) cookie = /fastnpc_session=[^;]*/.exec(set)?.[0] ?? cookie;
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  try {
    await call('POST', '/api/auth/register', { username: 'bench_group', password: 'correct horse battery' });
    const ids: number[] = [];
    for (const m of MEMBERS) {
      const card = { spec: 'chara_card_v2', spec_version: '2.0', data: { name: m.name, description: m.bio, personality: '', scenario: '东汉末年', first_mes: '', mes_example: '' } };
      const form = new FormData();
      form.append('file', new Blob([JSON.stringify(card)], { type: 'application/json' }), 'card.json');
      const c = await call('POST', '/api/characters/import', undefined, form);
      await call('PUT', `/api/characters/${c.id}/profile`, { profile: { ...c.profile, identity: { ...c.profile.identity, ...m.identity, intro: m.bio } } });
      ids.push(c.id);
    }
    const group = await call('POST', '/api/groups', { name: '隆中', memberIds: ids, mode: 'natural', maxRounds: ROUNDS });

    const totals = { rounds: 0, ruleRounds: 0, moderatorCalls: 0, moderatorFailures: 0, decidedBy: {} as Record<string, number>, stoppedBy: {} as Record<string, number> };
    const turnMs: number[] = [];
    const ttftMs: number[] = [];
    const before = mock.stats().requests;
    for (const content of SCRIPT) {
      const t0 = performance.now();
      const res = await fetch(`${base}/api/groups/${group.id}/messages`, { method: 'POST', headers: { cookie, accept: 'text/event-stream', 'content-type': 'application/json' }, body: JSON.stringify({ content }) });
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      let first = 0;
      let done: any;
      for (;;) {
        const { value, done: end } = await reader.read();
        if (end) break;
        buf += decoder.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event === 'token' && !first) first = performance.now() - t0;
          if (event === 'error') throw new Error(`turn failed: ${data}`);
          if (event === 'done') done = JSON.parse(data!);
        }
      }
      turnMs.push(performance.now() - t0);
      if (first) ttftMs.push(first);
      totals.rounds += done.rounds;
      totals.ruleRounds += done.ruleRounds;
      totals.moderatorCalls += done.moderatorCalls;
      totals.moderatorFailures += done.moderatorFailures;
      for (const [k, v] of Object.entries(done.decidedBy as Record<string, number>)) totals.decidedBy[k] = (totals.decidedBy[k] ?? 0) + v;
      totals.stoppedBy[done.stoppedBy] = (totals.stoppedBy[done.stoppedBy] ?? 0) + 1;
    }
    const fmt = (xs: number[]) => `p50 ${percentile(xs, 50).toFixed(0)} ms, p95 ${percentile(xs, 95).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
    console.log(`group scenario: ${SCRIPT.length} user messages, ${MEMBERS.length} members, natural mode, ${ROUNDS} rounds per message, mock ${JSON.stringify(PROFILE)}`);
    console.log(`replies (rounds):         ${totals.rounds}`);
    console.log(`  decided by the rules:   ${totals.ruleRounds}  (${((100 * totals.ruleRounds) / totals.rounds).toFixed(0)} %)`);
    console.log(`  decided by moderator:   ${totals.rounds - totals.ruleRounds}`);
    console.log(`moderator calls:          ${totals.moderatorCalls}  (failures ${totals.moderatorFailures}; ${(totals.moderatorCalls / SCRIPT.length).toFixed(2)} per message; the original made 2 per reply)`);
    console.log(`decided by:               ${JSON.stringify(totals.decidedBy)}`);
    console.log(`turns ended by:           ${JSON.stringify(totals.stoppedBy)}`);
    console.log(`LLM requests:             ${mock.stats().requests - before}`);
    console.log(`group turn latency:       ${fmt(turnMs)}`);
    console.log(`time to first token:      ${fmt(ttftMs)}`);
  } finally {
    await app.close();
    await mock.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
