/**
 * The two lorebook shapes people bring, read and edited in place so export gives them back as
 * they came: SillyTavern World Info (`{ entries: { "<uid>": { key, keysecondary, order, disable, … } } }`)
 * and a card's `character_book` (`{ entries: [ { keys, secondary_keys, insertion_order, enabled, … } ] }`).
 *
 * The editor sees one entry shape (`EntryView`); a patch writes only the fields it names, in the
 * entry's own format, so every field we do not model (probability, groups, depth, vectorized …)
 * stays exactly as imported. Activation reads World Info through `toCharacterBook`, the mapping
 * SillyTavern itself uses when it embeds a World Info file in a card.
 */
import { AppError } from '../../errors.js';

export type BookFormat = 'world_info' | 'character_book';
export type SelectiveLogic = 'and_any' | 'not_all' | 'not_any' | 'and_all';
/** SillyTavern's numbering (world_info_logic): 0 AND ANY, 1 NOT ALL, 2 NOT ANY, 3 AND ALL. */
export const SELECTIVE_LOGIC: readonly SelectiveLogic[] = ['and_any', 'not_all', 'not_any', 'and_all'];

export interface EntryView {
  /** The entry's address in its book: the World Info uid key, or the index in a character_book. */
  key: string;
  keys: string[];
  secondaryKeys: string[];
  selective: boolean;
  selectiveLogic: SelectiveLogic;
  content: string;
  comment: string;
  constant: boolean;
  enabled: boolean;
  /** Insertion order: lower goes first. */
  order: number;
  position: 'before' | 'after';
  caseSensitive: boolean;
  wholeWords: boolean;
}

export type EntryPatch = Partial<Omit<EntryView, 'key'>>;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);
const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const logicOf = (v: unknown): SelectiveLogic => SELECTIVE_LOGIC[num(v, 0)] ?? 'and_any';

export interface ParsedBook {
  format: BookFormat;
  /** The book as an object; edits change it in place. */
  book: Obj;
  /** The book's own name, when it has one (character_book `name`). */
  name?: string;
}

const badBook = (message: string) => new AppError('validation:lorebook', message, { details: { field: 'content' } });

/**
 * Reads an upload: World Info, a `character_book`, or a whole card (its `data.character_book`).
 * Throws a 400 naming what is wrong.
 */
export function parseBook(text: string): ParsedBook {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw badBook('The file is not JSON');
  }
  if (isObj(raw) && isObj(raw.data) && (raw.spec === 'chara_card_v2' || raw.spec === 'chara_card_v3')) {
    if (!isObj(raw.data.character_book)) throw badBook('This card has no character_book');
    raw = raw.data.character_book;
  }
  if (!isObj(raw)) throw badBook('A lorebook is a JSON object with `entries`');
  if (Array.isArray(raw.entries)) {
    if (!raw.entries.every(isObj)) throw badBook('Every entry of a character_book is an object');
    return { format: 'character_book', book: raw, name: typeof raw.name === 'string' && raw.name.trim() ? raw.name.trim() : undefined };
  }
  if (isObj(raw.entries)) {
    if (!Object.values(raw.entries).every(isObj)) throw badBook('Every World Info entry is an object');
    return { format: 'world_info', book: raw, name: typeof raw.name === 'string' && raw.name.trim() ? raw.name.trim() : undefined };
  }
  throw badBook('No `entries`: expected SillyTavern World Info ({"entries": {…}}) or a character_book ({"entries": […]})');
}

/** The entries with their addresses, in book order. */
function entriesOf(format: BookFormat, book: Obj): [string, Obj][] {
  if (format === 'world_info') return Object.entries(isObj(book.entries) ? book.entries : {}).filter((e): e is [string, Obj] => isObj(e[1]));
  return (Array.isArray(book.entries) ? book.entries : []).map((e, i): [string, Obj] => [String(i), isObj(e) ? e : {}]);
}

export const entryCount = (format: BookFormat, book: Obj) => entriesOf(format, book).length;

function viewOf(format: BookFormat, key: string, e: Obj): EntryView {
  const ext = isObj(e.extensions) ? e.extensions : {};
  if (format === 'world_info') {
    return {
      key,
      keys: strings(e.key),
      secondaryKeys: strings(e.keysecondary),
      selective: e.selective === true,
      selectiveLogic: logicOf(e.selectiveLogic),
      content: typeof e.content === 'string' ? e.content : '',
      comment: typeof e.comment === 'string' ? e.comment : '',
      constant: e.constant === true,
      enabled: e.disable !== true,
      order: num(e.order, 100),
      position: num(e.position, 0) === 0 ? 'before' : 'after',
      caseSensitive: e.caseSensitive === true,
      wholeWords: e.matchWholeWords === true,
    };
  }
  return {
    key,
    keys: strings(e.keys),
    secondaryKeys: strings(e.secondary_keys),
    selective: e.selective === true,
    selectiveLogic: logicOf(ext.selectiveLogic),
    content: typeof e.content === 'string' ? e.content : '',
    comment: typeof e.comment === 'string' ? e.comment : typeof e.name === 'string' ? e.name : '',
    constant: e.constant === true,
    enabled: e.enabled !== false,
    order: num(e.insertion_order, 100),
    position: e.position === 'after_char' ? 'after' : e.position === 'before_char' ? 'before' : ext.position !== undefined && num(ext.position, 0) !== 0 ? 'after' : 'before',
    caseSensitive: e.case_sensitive === true || ext.case_sensitive === true,
    wholeWords: ext.match_whole_words === true,
  };
}

export function listEntries(format: BookFormat, book: Obj): EntryView[] {
  return entriesOf(format, book).map(([key, e]) => viewOf(format, key, e));
}

/** Writes the fields of `patch` into the entry, in its format; fields the patch does not name stay untouched. */
function applyPatch(format: BookFormat, e: Obj, patch: EntryPatch, current: EntryView): void {
  const ext = (): Obj => {
    if (!isObj(e.extensions)) e.extensions = {};
    return e.extensions as Obj;
  };
  const changed = <K extends keyof EntryPatch>(k: K) => patch[k] !== undefined && JSON.stringify(patch[k]) !== JSON.stringify(current[k]);
  if (format === 'world_info') {
    if (changed('keys')) e.key = patch.keys;
    if (changed('secondaryKeys')) e.keysecondary = patch.secondaryKeys;
    if (changed('selective')) e.selective = patch.selective;
    if (changed('selectiveLogic')) e.selectiveLogic = SELECTIVE_LOGIC.indexOf(patch.selectiveLogic!);
    if (changed('content')) e.content = patch.content;
    if (changed('comment')) e.comment = patch.comment;
    if (changed('constant')) e.constant = patch.constant;
    if (changed('enabled')) e.disable = !patch.enabled;
    if (changed('order')) e.order = patch.order;
    if (changed('position')) e.position = patch.position === 'before' ? 0 : 1;
    if (changed('caseSensitive')) e.caseSensitive = patch.caseSensitive;
    if (changed('wholeWords')) e.matchWholeWords = patch.wholeWords;
    return;
  }
  if (changed('keys')) e.keys = patch.keys;
  if (changed('secondaryKeys')) e.secondary_keys = patch.secondaryKeys;
  if (changed('selective')) e.selective = patch.selective;
  if (changed('selectiveLogic')) ext().selectiveLogic = SELECTIVE_LOGIC.indexOf(patch.selectiveLogic!);
  if (changed('content')) e.content = patch.content;
  if (changed('comment')) e.comment = patch.comment;
  if (changed('constant')) e.constant = patch.constant;
  if (changed('enabled')) e.enabled = patch.enabled;
  if (changed('order')) e.insertion_order = patch.order;
  if (changed('position')) {
    e.position = patch.position === 'before' ? 'before_char' : 'after_char';
    // SillyTavern reads its own numeric position first; keep the two in step.
    if (isObj(e.extensions) && e.extensions.position !== undefined) e.extensions.position = patch.position === 'before' ? 0 : 1;
  }
  if (changed('caseSensitive')) {
    e.case_sensitive = patch.caseSensitive;
    if (isObj(e.extensions) && e.extensions.case_sensitive !== undefined) e.extensions.case_sensitive = patch.caseSensitive;
  }
  if (changed('wholeWords')) ext().match_whole_words = patch.wholeWords;
}

function find(format: BookFormat, book: Obj, key: string): Obj {
  const hit = entriesOf(format, book).find(([k]) => k === key);
  if (!hit) throw new AppError('not_found:entry', `entry ${key} not found`);
  return hit[1];
}

export function updateEntry(format: BookFormat, book: Obj, key: string, patch: EntryPatch): EntryView {
  const e = find(format, book, key);
  applyPatch(format, e, patch, viewOf(format, key, e));
  return viewOf(format, key, e);
}

/** Adds an entry with the defaults SillyTavern gives a new one, then the patch. */
export function addEntry(format: BookFormat, book: Obj, patch: EntryPatch): EntryView {
  const existing = entriesOf(format, book);
  if (format === 'world_info') {
    const uid = existing.reduce((max, [k, e]) => Math.max(max, num(e.uid, Number(k) || 0)), -1) + 1;
    const e: Obj = {
      uid,
      key: [],
      keysecondary: [],
      comment: '',
      content: '',
      constant: false,
      selective: true,
      selectiveLogic: 0,
      addMemo: true,
      order: 100,
      position: 0,
      disable: false,
      excludeRecursion: false,
      preventRecursion: false,
      probability: 100,
      useProbability: true,
      depth: 4,
      caseSensitive: null,
      matchWholeWords: null,
      displayIndex: uid,
    };
    if (!isObj(book.entries)) book.entries = {};
    (book.entries as Obj)[String(uid)] = e;
    return updateEntry(format, book, String(uid), patch);
  }
  const ids = existing.map(([, e]) => e.id).filter((v): v is number => typeof v === 'number');
  const e: Obj = {
    ...(ids.length || !existing.length ? { id: Math.max(-1, ...ids) + 1 } : {}),
    keys: [],
    secondary_keys: [],
    comment: '',
    content: '',
    constant: false,
    selective: true,
    insertion_order: 100,
    enabled: true,
    position: 'before_char',
    extensions: { selectiveLogic: 0 },
  };
  if (!Array.isArray(book.entries)) book.entries = [];
  (book.entries as unknown[]).push(e);
  return updateEntry(format, book, String((book.entries as unknown[]).length - 1), patch);
}

export function deleteEntry(format: BookFormat, book: Obj, key: string): void {
  find(format, book, key);
  if (format === 'world_info') delete (book.entries as Obj)[key];
  else (book.entries as unknown[]).splice(Number(key), 1);
}

/**
 * World Info as a `character_book` for activation (SillyTavern's convertWorldInfoToCharacterBook):
 * its top-level fields become the spec fields and the extensions activate.ts reads.
 */
export function toCharacterBook(format: BookFormat, book: Obj): Obj {
  if (format === 'character_book') return book;
  const entries = entriesOf(format, book).map(([key, e]) => {
    const ext = isObj(e.extensions) ? e.extensions : {};
    return {
      id: e.uid ?? key,
      keys: strings(e.key),
      secondary_keys: strings(e.keysecondary),
      comment: e.comment,
      content: e.content,
      constant: e.constant,
      selective: e.selective,
      insertion_order: e.order,
      enabled: e.disable !== true,
      position: num(e.position, 0) === 0 ? 'before_char' : 'after_char',
      extensions: {
        ...ext,
        position: e.position,
        exclude_recursion: e.excludeRecursion,
        prevent_recursion: e.preventRecursion,
        selectiveLogic: e.selectiveLogic ?? 0,
        scan_depth: e.scanDepth ?? null,
        case_sensitive: e.caseSensitive ?? null,
        match_whole_words: e.matchWholeWords ?? null,
      },
    };
  });
  return { ...book, entries };
}

/** A new, empty book of the format. */
export function emptyBook(format: BookFormat): Obj {
  return format === 'world_info' ? { entries: {} } : { entries: [] };
}
