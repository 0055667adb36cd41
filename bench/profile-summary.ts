/**
 * Where a CPU profile's time went, by area, as percentages of the non-idle samples:
 *
 *   npx tsx bench/profile-summary.ts bench/profiles/CPU.*.cpuprofile [--top 15] [--skip SECONDS]
 *
 * Take the profile with BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/profiles" npm run bench.
 * Areas: each npm package, our own code (src/), Node internals, GC, and native "(program)" time.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '15' }, skip: { type: 'string', default: '0' } } });

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : `(native) ${fn || 'anonymous'}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  if (/\/src\//.test(url)) return `ours: ${url.slice(url.lastIndexOf('/src/') + 1)}`;
  return url;
}

for (const file of positionals) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  // --skip S leaves out the first S seconds (start-up: module loading and schema compilation).
  const skipUs = Number(values.skip) * 1e6;
  let at = 0;
  p.samples.forEach((id, i) => {
    at += p.timeDeltas[i] ?? 0;
    if (at >= skipUs) self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  });
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    if (n.callFrame.functionName === '(idle)') continue;
    total += us;
    const a = area(n.callFrame.url, n.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + us);
    const f = `${n.callFrame.functionName || 'anonymous'} (${a}:${n.callFrame.lineNumber + 1})`;
    functions.set(f, (functions.get(f) ?? 0) + us);
  }
  const ours = [...areas].filter(([a]) => a.startsWith('ours:')).reduce((n, [, v]) => n + v, 0);
  const pct = (v: number) => ((v / total) * 100).toFixed(1).padStart(5);
  console.log(`\n${file}: ${(total / 1e6).toFixed(1)} s of CPU (idle excluded); our own code ${pct(ours)} %`);
  console.log('Areas:');
  for (const [a, v] of [...areas].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) console.log(`  ${pct(v)} %  ${a}`);
  console.log('Functions (self time):');
  for (const [f, v] of [...functions].sort((x, y) => y[1] - x[1]).slice(0, Number(values.top))) console.log(`  ${pct(v)} %  ${f}`);
}
