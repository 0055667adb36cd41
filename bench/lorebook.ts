/**
 * Lorebook matching cost per turn: 1,000 entries (2 primary keys each, a fifth of them selective,
 * Chinese and English keys, some whole-word) against a scan window of 4 messages of mixed Chinese/English
 * chat that mention a few keys, with recursion on (a tenth of the entries mention another's key). Compilation is once per character (cached), so
 * a turn pays only `activateLore`.
 *
 *   npx tsx bench/lorebook.ts [--entries 1000] [--runs 2000]
 *
 * Prints compile time and per-turn activation p50/p99/mean (ms).
 */
import { parseArgs } from 'node:util';
import { activateLore, compileBook } from '../src/features/lorebooks/activate.js';

const { values } = parseArgs({ options: { entries: { type: 'string', default: '1000' }, runs: { type: 'string', default: '2000' } } });
const N = Number(values.entries);
const RUNS = Number(values.runs);

let seed = 42;
const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
// Common Han characters (the first 3,500 of the URO block stand in for everyday vocabulary).
const hanWord = (len: number) => Array.from({ length: len }, () => String.fromCharCode(0x4e00 + rand(3500))).join('');
const latinWord = () => Array.from({ length: 4 + rand(5) }, () => String.fromCharCode(97 + rand(26))).join('');

const entries = Array.from({ length: N }, (_, i) => {
  const latin = i % 3 === 0;
  const key = () => (latin ? latinWord() : hanWord(2 + rand(3)));
  return {
    id: i,
    keys: [key(), key()],
    secondary_keys: i % 5 === 0 ? [key(), key()] : [],
    selective: i % 5 === 0,
    // A tenth of the entries mention another entry's key, for recursion to follow.
    content: `条目${i}：${hanWord(40)}${i % 10 === 0 ? `，见${'KEY'}` : ''}`,
    extensions: { match_whole_words: latin && i % 2 === 0, selectiveLogic: i % 4 },
    enabled: true,
    insertion_order: rand(100),
  };
});

// Chat text: Han and English words, and now and then an entry's key (so ~10 entries fire, some by recursion).
const message = () =>
  Array.from({ length: 20 }, () => {
    const r = rand(40);
    if (r === 0) return ` ${entries[rand(N)].keys[0]} `;
    return r < 10 ? ` ${latinWord()} ` : hanWord(4);
  }).join('，');
for (const e of entries) e.content = e.content.replace('KEY', entries[rand(N)].keys[0]);
const window = Array.from({ length: 6 }, message);

const t0 = performance.now();
const book = compileBook({ entries, scan_depth: 4, token_budget: 800, recursive_scanning: true });
const compileMs = performance.now() - t0;

for (let i = 0; i < 200; i++) activateLore(book, window); // warm-up (JIT)
const times: number[] = [];
let firedTotal = 0;
for (let i = 0; i < RUNS; i++) {
  const msgs = i % 10 === 0 ? [...window.slice(1), message()] : window;
  const s = performance.now();
  firedTotal += activateLore(book, msgs).fired.length;
  times.push(performance.now() - s);
}
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))];
const mean = times.reduce((a, b) => a + b, 0) / times.length;
const chars = window.slice(-4).join('').length;
console.log(
  JSON.stringify({ entries: N, windowChars: chars, compileMs: +compileMs.toFixed(2), activateMs: { p50: +q(0.5).toFixed(3), p99: +q(0.99).toFixed(3), mean: +mean.toFixed(3) }, firedPerTurn: +(firedTotal / RUNS).toFixed(1), node: process.version }),
);
