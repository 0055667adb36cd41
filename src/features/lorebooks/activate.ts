/**
 * Lorebook (world info) activation: which entries of a card's `character_book` reach the prompt.
 * Pure and fast: a book is compiled once (keys lowered and put into one Aho-Corasick automaton), so
 * a turn scans each message of the window once, whatever the number of entries (bench/lorebook.ts).
 *
 * Rules, after the V2 spec's `character_book` and SillyTavern's world info:
 * - an entry fires when one of its `keys` occurs in the newest `scan_depth` messages (entry
 *   `extensions.scan_depth` overrides the book's); `constant` entries always fire; `enabled: false` never;
 * - case-insensitive unless `case_sensitive` (or `extensions.case_sensitive`);
 * - substring matching by default, which is what Chinese needs (no word boundaries); a key with
 *   Latin text only is matched as a whole word when the entry asks (`extensions.match_whole_words`);
 * - `selective` with `secondary_keys`: `extensions.selectiveLogic` 0 AND ANY (the V2 default),
 *   1 NOT ALL, 2 NOT ANY, 3 AND ALL — over the same window;
 * - keys written `/pattern/flags` are regular expressions (SillyTavern);
 * - recursive scanning (book `recursive_scanning`): fired entries' content is scanned too, up to
 *   MAX_RECURSION rounds; `extensions.exclude_recursion` entries are not fired by it and
 *   `extensions.prevent_recursion` content does not trigger it;
 * - order: `insertion_order` ascending (lower goes first); within the book's `token_budget` fired
 *   entries are kept by priority (constant first, then higher `priority`, then insertion order);
 * - position: `before_char` / `after_char` (SillyTavern `extensions.position` 0 / 1; others → after).
 */
import { estimateTokens } from '../../infra/llm/index.js';

export const DEFAULT_SCAN_DEPTH = 4;
export const DEFAULT_LORE_BUDGET = 800;
export const MAX_RECURSION = 3;

type Logic = 'and_any' | 'not_all' | 'not_any' | 'and_all';
const LOGIC: readonly Logic[] = ['and_any', 'not_all', 'not_any', 'and_all'];

interface CompiledKey {
  text: string;
  /** Automaton pattern id, or -1 for a regex key. */
  pattern: number;
  wholeWord: boolean;
  caseSensitive: boolean;
  regex?: RegExp;
}

export interface LoreEntry {
  index: number;
  id: string;
  comment: string;
  content: string;
  keys: CompiledKey[];
  secondary: CompiledKey[];
  selective: boolean;
  logic: Logic;
  constant: boolean;
  enabled: boolean;
  insertionOrder: number;
  priority: number;
  position: 'before' | 'after';
  scanDepth: number | undefined;
  excludeRecursion: boolean;
  preventRecursion: boolean;
  tokens: number;
}

export interface CompiledBook {
  entries: LoreEntry[];
  scanDepth: number;
  tokenBudget: number;
  recursive: boolean;
  insensitive: Automaton;
  sensitive: Automaton;
  hasRegex: boolean;
}

export interface FiredEntry {
  id: string;
  comment: string;
  /** The key that fired it; `(constant)` for constant entries. */
  key: string;
  /** 0 = the message window; n = the n-th recursive round. */
  round: number;
  position: 'before' | 'after';
  tokens: number;
}

export interface LoreResult {
  before: string;
  after: string;
  fired: FiredEntry[];
  /** Fired but left out for the token budget. */
  overBudget: FiredEntry[];
  tokens: number;
}

// ---------------------------------------------------------------------------------------------------
// Aho-Corasick over UTF-16 code units

class Automaton {
  private readonly next: Map<number, number>[] = [new Map()];
  private fail: Int32Array = new Int32Array(1);
  /** Per node: the patterns ending here (its own and those reached by fail links). */
  private out: number[][] = [[]];
  readonly lengths: number[] = [];
  private readonly ids = new Map<string, number>();

  add(text: string): number {
    const known = this.ids.get(text);
    if (known !== undefined) return known;
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let to = this.next[node].get(c);
      if (to === undefined) {
        to = this.next.length;
        this.next.push(new Map());
        this.out.push([]);
        this.next[node].set(c, to);
      }
      node = to;
    }
    const id = this.lengths.length;
    this.lengths.push(text.length);
    this.out[node].push(id);
    this.ids.set(text, id);
    return id;
  }

  build(): void {
    this.fail = new Int32Array(this.next.length);
    const queue: number[] = [];
    for (const to of this.next[0].values()) queue.push(to);
    for (let q = 0; q < queue.length; q++) {
      const node = queue[q];
      for (const [c, to] of this.next[node]) {
        let f = this.fail[node];
        while (f !== 0 && !this.next[f].has(c)) f = this.fail[f];
        const target = this.next[f].get(c);
        this.fail[to] = target !== undefined && target !== to ? target : 0;
        if (this.out[this.fail[to]].length) this.out[to] = [...this.out[to], ...this.out[this.fail[to]]];
        queue.push(to);
      }
    }
  }

  get size(): number {
    return this.lengths.length;
  }

  /** Patterns some entry matches as a whole word (only those pay for the boundary check). */
  readonly wordPatterns: number[] = [];

  markWord(pattern: number): void {
    this.wordPatterns[pattern] = 1;
  }

  /**
   * Records in `any[p]` / `word[p]` the smallest text index `at` where pattern p occurs (anywhere /
   * with word boundaries). One pass over the text; no callbacks on the hot loop.
   */
  scanInto(text: string, at: number, any: Int32Array, word: Int32Array): void {
    const next = this.next;
    const fail = this.fail;
    const outs = this.out;
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let to = next[node].get(c);
      while (to === undefined && node !== 0) {
        node = fail[node];
        to = next[node].get(c);
      }
      node = to ?? 0;
      const out = outs[node];
      for (let k = 0; k < out.length; k++) {
        const p = out[k];
        if (any[p] > at) any[p] = at;
        if (this.wordPatterns[p] !== 1 || word[p] <= at) continue;
        const start = i - this.lengths[p] + 1;
        if ((start === 0 || !isWordChar(text.charCodeAt(start - 1))) && (i + 1 >= text.length || !isWordChar(text.charCodeAt(i + 1)))) word[p] = at;
      }
    }
  }
}

/** Latin letters, digits and underscore: the characters a whole-word key must not touch. */
function isWordChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || (c >= 0xc0 && c <= 0x24f);
}

// ---------------------------------------------------------------------------------------------------
// Compile

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : fallback);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : []);
/** Latin-only keys can be whole words; a key with any CJK (or other non-Latin) letter is always a substring. */
const LATIN_ONLY = /^[\x20-\x7e\u00c0-\u024f]+$/;
const REGEX_KEY = /^\/(.+)\/([gimsuy]*)$/s;

function position(entry: Record<string, unknown>, ext: Record<string, unknown>): 'before' | 'after' {
  if (entry.position === 'before_char') return 'before';
  if (entry.position === 'after_char') return 'after';
  if (ext.position !== undefined) return num(ext.position, 0) === 0 ? 'before' : 'after';
  return 'before';
}

/** Compiles a `character_book` (or SillyTavern world info `{ entries: {…} }`). Malformed entries are skipped. */
export function compileBook(raw: unknown): CompiledBook {
  const book = isObj(raw) ? raw : {};
  const rawEntries = Array.isArray(book.entries) ? book.entries : isObj(book.entries) ? Object.values(book.entries) : [];
  const insensitive = new Automaton();
  const sensitive = new Automaton();
  let hasRegex = false;
  const entries: LoreEntry[] = [];
  rawEntries.forEach((e, index) => {
    if (!isObj(e) || typeof e.content !== 'string' || e.content.trim() === '') return;
    const ext = isObj(e.extensions) ? e.extensions : {};
    const caseSensitive = e.case_sensitive === true || ext.case_sensitive === true;
    const wholeWords = ext.match_whole_words === true;
    const compileKey = (text: string): CompiledKey => {
      const rx = REGEX_KEY.exec(text.trim());
      if (rx) {
        try {
          hasRegex = true;
          return { text, pattern: -1, wholeWord: false, caseSensitive, regex: new RegExp(rx[1], rx[2].replace('g', '').replace('y', '')) };
        } catch {
          // Not a valid regex after all: match it as text.
        }
      }
      const t = caseSensitive ? text.trim() : text.trim().toLowerCase();
      const automaton = caseSensitive ? sensitive : insensitive;
      const pattern = automaton.add(t);
      const wholeWord = wholeWords && LATIN_ONLY.test(t);
      if (wholeWord) automaton.markWord(pattern);
      return { text, pattern, wholeWord, caseSensitive };
    };
    const selectiveLogic = num(ext.selectiveLogic, 0);
    entries.push({
      index,
      id: String(e.id ?? e.uid ?? index),
      comment: typeof e.comment === 'string' ? e.comment : typeof e.name === 'string' ? e.name : '',
      content: e.content.trim(),
      keys: strings(e.keys ?? e.key).map(compileKey),
      secondary: strings(e.secondary_keys ?? e.keysecondary).map(compileKey),
      selective: e.selective === true,
      logic: LOGIC[selectiveLogic] ?? 'and_any',
      constant: e.constant === true,
      enabled: e.enabled !== false && e.disable !== true,
      insertionOrder: num(e.insertion_order ?? e.order, 100),
      priority: num(e.priority, 0),
      position: position(e, ext),
      scanDepth: ext.scan_depth === undefined || ext.scan_depth === null ? undefined : num(ext.scan_depth, DEFAULT_SCAN_DEPTH),
      excludeRecursion: ext.exclude_recursion === true || e.excludeRecursion === true,
      preventRecursion: ext.prevent_recursion === true || e.preventRecursion === true,
      tokens: estimateTokens(e.content.trim()),
    });
  });
  insensitive.build();
  sensitive.build();
  entries.sort((a, b) => a.insertionOrder - b.insertionOrder || a.index - b.index);
  return {
    entries,
    scanDepth: Math.max(0, num(book.scan_depth, DEFAULT_SCAN_DEPTH)),
    tokenBudget: Math.max(0, num(book.token_budget, DEFAULT_LORE_BUDGET)),
    recursive: book.recursive_scanning === true,
    insensitive,
    sensitive,
    hasRegex,
  };
}

// ---------------------------------------------------------------------------------------------------
// Activate

/**
 * For each pattern, the newest text (0 = newest message) where it occurs; `word` only counts
 * occurrences with word boundaries on both sides.
 */
interface Hits {
  any: Int32Array;
  word: Int32Array;
}

function scanTexts(book: CompiledBook, texts: readonly string[], hits: { insensitive: Hits; sensitive: Hits }, firstIndex = 0): void {
  texts.forEach((text, i) => {
    const at = firstIndex + i;
    if (book.insensitive.size) book.insensitive.scanInto(text.toLowerCase(), at, hits.insensitive.any, hits.insensitive.word);
    if (book.sensitive.size) book.sensitive.scanInto(text, at, hits.sensitive.any, hits.sensitive.word);
  });
}

const newHits = (n: number): Hits => ({ any: new Int32Array(n).fill(0x7fffffff), word: new Int32Array(n).fill(0x7fffffff) });

/**
 * The entries that fire for `messages` (oldest first, as in the history), fitted to the book's
 * token budget and rendered by position. The texts scanned are the messages as shown (macros expanded).
 */
export function activateLore(book: CompiledBook, messages: readonly string[]): LoreResult {
  const depthTexts = messages.slice(Math.max(0, messages.length - Math.max(book.scanDepth, ...book.entries.map((e) => e.scanDepth ?? 0)))).reverse();
  const hits = { insensitive: newHits(book.insensitive.size), sensitive: newHits(book.sensitive.size) };
  scanTexts(book, depthTexts, hits);
  /** Texts at index ≥ windowSize are recursion content: they count for every entry whatever its depth. */
  const windowSize = depthTexts.length;

  const matchKey = (key: CompiledKey, limit: number, texts: readonly string[]): boolean => {
    if (key.regex) {
      for (let i = 0; i < texts.length; i++) if ((i < limit || i >= windowSize) && key.regex.test(texts[i])) return true;
      return false;
    }
    const h = key.caseSensitive ? hits.sensitive : hits.insensitive;
    const at = key.wholeWord ? h.word[key.pattern] : h.any[key.pattern];
    return at < limit || (at >= windowSize && at !== 0x7fffffff);
  };

  const fired = new Map<LoreEntry, FiredEntry>();
  const allTexts: string[] = [...depthTexts];
  const tryEntries = (round: number) => {
    let added = 0;
    for (const e of book.entries) {
      if (!e.enabled || fired.has(e)) continue;
      if (round > 0 && e.excludeRecursion) continue;
      let key: string | undefined;
      if (e.constant) key = '(constant)';
      else {
        const limit = e.scanDepth ?? book.scanDepth;
        key = e.keys.find((k) => matchKey(k, limit, allTexts))?.text;
        if (key !== undefined && e.selective && e.secondary.length) {
          const matched = e.secondary.filter((k) => matchKey(k, limit, allTexts)).length;
          const n = e.secondary.length;
          const ok = e.logic === 'and_any' ? matched > 0 : e.logic === 'and_all' ? matched === n : e.logic === 'not_any' ? matched === 0 : matched < n;
          if (!ok) key = undefined;
        }
      }
      if (key === undefined) continue;
      fired.set(e, { id: e.id, comment: e.comment, key, round, position: e.position, tokens: e.tokens });
      added++;
    }
    return added;
  };

  tryEntries(0);
  if (book.recursive) {
    let scanned = new Set<LoreEntry>();
    for (let round = 1; round <= MAX_RECURSION; round++) {
      const fresh = [...fired.keys()].filter((e) => !scanned.has(e) && !e.preventRecursion);
      if (fresh.length === 0) break;
      scanned = new Set([...scanned, ...fresh]);
      const start = allTexts.length;
      const contents = fresh.map((e) => e.content);
      allTexts.push(...contents);
      // Only the new texts need scanning; earlier hits stay.
      scanTexts(book, contents, hits, start);
      if (tryEntries(round) === 0) break;
    }
  }

  // Fit the budget by priority, then render in insertion order.
  const byPriority = [...fired.keys()].sort((a, b) => Number(b.constant) - Number(a.constant) || b.priority - a.priority || a.insertionOrder - b.insertionOrder || a.index - b.index);
  const kept = new Set<LoreEntry>();
  const overBudget: FiredEntry[] = [];
  let used = 0;
  for (const e of byPriority) {
    if (used + e.tokens + 1 > book.tokenBudget) {
      overBudget.push(fired.get(e)!);
      continue;
    }
    kept.add(e);
    used += e.tokens + 1;
  }
  const ordered = book.entries.filter((e) => kept.has(e));
  const render = (pos: 'before' | 'after') => ordered.filter((e) => e.position === pos).map((e) => e.content).join('\n');
  return { before: render('before'), after: render('after'), fired: ordered.map((e) => fired.get(e)!), overBudget, tokens: used };
}

// ---------------------------------------------------------------------------------------------------
// Compiled-book cache: a book is compiled once per version (of the character, or of the standalone book), not once per turn.

const MAX_CACHED_BOOKS = 1000;
/** Keys: a character id (its card's book) or `lb:<id>` (a standalone book). */
const compiled = new Map<number | string, { version: number; book: CompiledBook }>();

/** The compiled book under `key` if it was compiled at `version`; marks it most recently used. */
export function peekCompiledBook(key: number | string, version: number): CompiledBook | undefined {
  const hit = compiled.get(key);
  if (!hit || hit.version !== version) return undefined;
  // Map order is insertion order: re-inserting keeps the most recently used last.
  compiled.delete(key);
  compiled.set(key, hit);
  return hit.book;
}

/** The compiled book under `key` at `version` (its updatedAt); recompiled when the book changes. */
export function compiledBookFor(key: number | string, version: number, raw: unknown): CompiledBook {
  const hit = peekCompiledBook(key, version);
  if (hit) return hit;
  const book = compileBook(raw);
  compiled.delete(key);
  compiled.set(key, { version, book });
  if (compiled.size > MAX_CACHED_BOOKS) compiled.delete(compiled.keys().next().value!);
  return book;
}

/** Several books' results as one: each book kept its own budget; their texts join in book order. */
export function mergeLore(results: readonly (LoreResult | undefined)[]): LoreResult | undefined {
  const all = results.filter((r): r is LoreResult => r !== undefined);
  if (all.length <= 1) return all[0];
  const join = (pick: (r: LoreResult) => string) => all.map(pick).filter(Boolean).join('\n');
  return { before: join((r) => r.before), after: join((r) => r.after), fired: all.flatMap((r) => r.fired), overBudget: all.flatMap((r) => r.overBudget), tokens: all.reduce((n, r) => n + r.tokens, 0) };
}
