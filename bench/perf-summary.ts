/**
 * Where the server's CPU went, from Linux `perf` (on-CPU samples of every thread, kernel included):
 *
 *   BENCH_NODE_ARGS=--perf-basic-prof npx tsx bench/run.ts --levels 200 --scenarios chat --duration 40 &
 *   perf record -F 1999 -g -p <server pid> -o /tmp/perf.data -- sleep 20      # during the level
 *   perf script -i /tmp/perf.data -F tid,ip,sym,dso > /tmp/perf.txt
 *   npx tsx bench/perf-summary.ts /tmp/perf.txt [--top 30]
 *
 * Why not only bench/profile-summary.ts (V8's profiler): V8 samples the main thread by wall clock,
 * so time a syscall spends off the CPU (a loopback write that wakes the peer, which then takes the
 * core) is charged to that call — `writev` showed 25 % there and 9 % here — and the V8 background
 * threads (optimising compiler, concurrent GC), which count in the process's CPU, are missing.
 * Prints: main thread vs V8 background; named stages (a sample counts in every stage on its
 * stack); and each sample's innermost JavaScript file with what ran under it (user code, kernel,
 * SQLite, GC).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '30' } } });
if (!positionals[0]) throw new Error('usage: npx tsx bench/perf-summary.ts <perf script output>');

/** Each sample: its frames' symbol and DSO, leaf first. */
function samples(text: string): { sym: string; dso: string }[][] {
  const out: { sym: string; dso: string }[][] = [];
  let cur: { sym: string; dso: string }[] | undefined;
  for (const line of text.split('\n')) {
    if (!line.trim()) {
      if (cur) out.push(cur);
      cur = undefined;
    } else if (!line.startsWith('\t')) {
      // A sample's header ("  7092 "): perf pads the thread id with spaces; its frames start with a tab.
      if (cur) out.push(cur);
      cur = [];
    } else {
      const m = /^\s*[0-9a-f]+ (.*) \((.*)\)$/.exec(line);
      cur?.push(m ? { sym: m[1], dso: m[2] } : { sym: line.trim(), dso: '' });
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** A JIT frame's source, as a package, a Node module or our file (`--perf-basic-prof` names). */
function jsFile(sym: string): string | undefined {
  const m = /^JS:\S*\s*\S*\s+(\S+?):\d+:/.exec(sym);
  if (!m) return undefined;
  const file = m[1];
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1];
  if (file.startsWith('node:')) return file.split('/')[0];
  const src = file.lastIndexOf('/src/');
  return src >= 0 ? file.slice(src + 1) : file;
}

const STAGES: [string, RegExp][] = [
  ['upstream reads (socket → undici → our handler)', /onHttpSocketReadable/],
  ['response writes (http cork → writev)', /connectionCorkNT/],
  ['writev syscall', /do_writev/],
  ['SQLite (sqlite3_step)', /sqlite3_step/],
  ['request parsing (http server)', /parserOnIncoming/],
  ['timers', /uv__run_timers/],
  ['GC: scavenges', /Scaveng/],
  ['GC: marking / compaction', /ConcurrentMarking|MarkCompact|IncrementalMarking/],
  ['V8 optimising compiler', /OptimizingCompile|compiler::Pipeline/],
  ['context switches', /finish_task_switch/],
];

const all = samples(readFileSync(positionals[0], 'utf8'));
const pct = (n: number) => `${((100 * n) / all.length).toFixed(1).padStart(5)} %`;
let background = 0;
const stages = new Map<string, number>();
const inner = new Map<string, number>();
for (const frames of all) {
  const syms = frames.map((f) => f.sym);
  const isBackground = syms.some((s) => /PlatformWorkerThread|DefaultJobWorker/.test(s));
  if (isBackground) background++;
  for (const [name, re] of STAGES) if (syms.some((s) => re.test(s))) stages.set(name, (stages.get(name) ?? 0) + 1);
  const leaf = frames[0]?.dso ?? '';
  const kind = leaf.includes('kernel') ? 'kernel' : leaf.includes('better_sqlite3') ? 'sqlite' : syms.slice(0, 12).some((s) => /Scaveng|MarkCompact|Heap::/.test(s)) ? 'gc' : 'user';
  const file = syms.map(jsFile).find((f) => f !== undefined) ?? '(no JS frame)';
  const key = isBackground ? '(V8 background thread)' : `${file} [${kind}]`;
  inner.set(key, (inner.get(key) ?? 0) + 1);
}
console.log(`${all.length} samples: main thread ${pct(all.length - background)}, V8 background threads ${pct(background)}`);
console.log('Stages (a sample counts in each stage on its stack):');
for (const [name] of STAGES) console.log(`  ${pct(stages.get(name) ?? 0)}  ${name}`);
console.log('Innermost JavaScript file [what ran under it]:');
for (const [k, n] of [...inner].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`  ${pct(n)}  ${k}`);
