/**
 * Lorebooks: a character's own (its card's `character_book`) and standalone ones (imported World
 * Info or character_book JSON), edited entry by entry, exported as they came, attached to
 * characters and groups; and the lore a turn uses (`loreFor`).
 *
 * Hot path: a turn reads the list of attached books from the cache (one entry per character or
 * group, dropped on attach/detach and on every change of an attached book) and compiled books
 * from the in-process cache (by book id and version), so only a changed book is read and compiled.
 */
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import { AppError, notFound } from '../../errors.js';
import type { Actor, Character } from '../characters/store.js';
import type { CharactersService } from '../characters/service.js';
import { characterBookOf, loreFor as cardLoreFor } from '../characters/card-fields.js';
import { activateLore, compiledBookFor, mergeLore, peekCompiledBook, type LoreResult } from './activate.js';
import { addEntry, deleteEntry, emptyBook, entryCount, listEntries, parseBook, toCharacterBook, updateEntry, type BookFormat, type EntryPatch, type EntryView } from './book.js';
import * as store from './store.js';
import type { AttachTarget } from './store.js';

export interface LorebooksDeps {
  db: Db;
  cache: Cache;
  characters: CharactersService;
  now?: () => number;
}

export interface LorebookSummary {
  id: number;
  name: string;
  format: BookFormat;
  entryCount: number;
  /** Characters and groups it is attached to. */
  characterIds: number[];
  groupIds: number[];
  createdAt: number;
  updatedAt: number;
}

export interface LorebookView extends LorebookSummary {
  entries: EntryView[];
}

/** Which book an entry route edits: a standalone one, or a character's own. */
export type BookRef = { kind: 'standalone'; id: number } | { kind: 'character'; id: number };

const LINKS_TTL_S = 3600;
const EDIT_ATTEMPTS = 5;
const linksKey = (t: AttachTarget) => `lore:${t.kind}:${t.id}`;
type Links = { id: number; updatedAt: number }[];
type Obj = Record<string, unknown>;

export function createLorebooksService(deps: LorebooksDeps) {
  const { db, cache } = deps;
  const now = deps.now ?? Date.now;

  async function owned(actor: Actor, id: number) {
    const b = await store.findLorebook(db, actor.userId, id);
    if (!b) throw notFound('lorebook');
    return b;
  }

  async function summaries(userId: number, books: Omit<store.Lorebook, 'bookJson'>[]): Promise<LorebookSummary[]> {
    const ids = books.map((b) => b.id);
    const [chars, groups] = ids.length
      ? await Promise.all([
          db.selectFrom('character_lorebooks').select(['lorebook_id', 'character_id']).where('lorebook_id', 'in', ids).execute(),
          db.selectFrom('group_lorebooks').select(['lorebook_id', 'group_id']).where('lorebook_id', 'in', ids).execute(),
        ])
      : [[], []];
    return books.map((b) => ({
      id: b.id,
      name: b.name,
      format: b.format,
      entryCount: b.entryCount,
      characterIds: chars.filter((r) => r.lorebook_id === b.id).map((r) => r.character_id),
      groupIds: groups.filter((r) => r.lorebook_id === b.id).map((r) => r.group_id),
      createdAt: b.createdAt,
      updatedAt: b.updatedAt,
    }));
  }

  async function view(actor: Actor, id: number): Promise<LorebookView> {
    const b = await owned(actor, id);
    const [summary] = await summaries(actor.userId, [b]);
    return { ...summary, entries: listEntries(b.format, JSON.parse(b.bookJson) as Obj) };
  }

  /** Drops the cached attachment lists of every target of the book (its version changed, or it is going). */
  async function forgetTargets(lorebookId: number) {
    const targets = await store.targetsOf(db, lorebookId);
    if (targets.length) await cache.delete(...targets.map(linksKey));
  }

  /**
   * Reads a book (standalone or a character's own), lets `change` edit it, and stores it if nobody
   * changed it meanwhile; otherwise reads it again and re-applies the change (two quick toggles in
   * the editor are two concurrent requests, and neither may be lost).
   */
  async function editBook<T>(actor: Actor, ref: BookRef, change: (format: BookFormat, book: Obj) => T): Promise<T> {
    for (let attempt = 0; attempt < EDIT_ATTEMPTS; attempt++) {
      if (ref.kind === 'standalone') {
        const b = await owned(actor, ref.id);
        const book = JSON.parse(b.bookJson) as Obj;
        const out = change(b.format, book);
        // A new version even within the same millisecond: compiled books are cached by it.
        const stored = await store.updateLorebook(db, actor.userId, ref.id, { bookJson: JSON.stringify(book, null, 2), entryCount: entryCount(b.format, book) }, Math.max(now(), b.updatedAt + 1), b.updatedAt);
        if (!stored) continue;
        await forgetTargets(ref.id);
        return out;
      }
      const c = await deps.characters.get(actor, ref.id);
      const extras = (c.cardExtras ?? { data: {}, extensions: {}, topLevel: {}, texts: {} }) as Obj;
      const data: Obj = typeof extras.data === 'object' && extras.data !== null ? { ...(extras.data as Obj) } : {};
      // A deep copy: the cached character must not change before the write succeeds.
      const book = structuredClone((characterBookOf(c) ?? emptyBook('character_book')) as Obj);
      const out = change('character_book', book);
      data.character_book = book;
      if (await deps.characters.putCardExtras(actor, ref.id, { ...extras, data }, c.updatedAt)) return out;
    }
    throw new AppError('conflict:lorebook', 'The lorebook keeps changing elsewhere; try again', { retryAfter: 1 });
  }

  async function linked(userId: number, target: AttachTarget): Promise<Links> {
    return cache.wrap(linksKey(target), LINKS_TTL_S, async () => (await store.attachedTo(db, userId, target)).map((b) => ({ id: b.id, updatedAt: b.updatedAt })));
  }

  async function activateStandalone(link: { id: number; updatedAt: number }, messages: readonly string[]): Promise<LoreResult | undefined> {
    const key = `lb:${link.id}`;
    let book = peekCompiledBook(key, link.updatedAt);
    if (!book) {
      const row = await store.bookJsonOf(db, link.id);
      if (!row) return undefined;
      book = compiledBookFor(key, row.updatedAt, toCharacterBook(row.format, JSON.parse(row.bookJson) as Obj));
    }
    return activateLore(book, messages);
  }

  return {
    async list(actor: Actor, q?: string): Promise<LorebookSummary[]> {
      const needle = q?.trim().toLowerCase();
      const books = (await store.listLorebooks(db, actor.userId)).filter((b) => !needle || b.name.toLowerCase().includes(needle));
      return summaries(actor.userId, books);
    },

    get: view,

    async create(actor: Actor, input: { name: string; format?: BookFormat }): Promise<LorebookView> {
      const format = input.format ?? 'world_info';
      const id = await store.insertLorebook(db, { userId: actor.userId, name: input.name, format, bookJson: JSON.stringify(emptyBook(format), null, 2), entryCount: 0, now: now() });
      return view(actor, id);
    },

    /** Imports World Info, a character_book, or a card's book; the text is kept as it came. */
    async import(actor: Actor, input: { content: string; name?: string }): Promise<LorebookView> {
      const parsed = parseBook(input.content);
      const name = input.name?.trim() || parsed.name || 'Lorebook';
      const id = await store.insertLorebook(db, { userId: actor.userId, name, format: parsed.format, bookJson: input.content, entryCount: entryCount(parsed.format, parsed.book), now: now() });
      return view(actor, id);
    },

    async rename(actor: Actor, id: number, name: string): Promise<LorebookView> {
      if (!(await store.updateLorebook(db, actor.userId, id, { name }, now()))) throw notFound('lorebook');
      await forgetTargets(id);
      return view(actor, id);
    },

    async remove(actor: Actor, id: number): Promise<void> {
      await owned(actor, id);
      await forgetTargets(id);
      if (!(await store.deleteLorebook(db, actor.userId, id))) throw notFound('lorebook');
    },

    /** The book as imported (with edits applied), under its name. */
    async exportBook(actor: Actor, id: number): Promise<{ filename: string; body: string }> {
      const b = await owned(actor, id);
      return { filename: `${b.name}.json`, body: b.bookJson };
    },

    /** A character's own lorebook (its card's character_book; none yet = empty). */
    async characterBook(actor: Actor, characterId: number): Promise<{ characterId: number; exists: boolean; entries: EntryView[] }> {
      const c = await deps.characters.get(actor, characterId);
      const book = characterBookOf(c);
      return { characterId, exists: book !== undefined, entries: book ? listEntries('character_book', book) : [] };
    },

    addEntry: (actor: Actor, ref: BookRef, patch: EntryPatch) => editBook(actor, ref, (format, book) => addEntry(format, book, patch)),
    updateEntry: (actor: Actor, ref: BookRef, key: string, patch: EntryPatch) => editBook(actor, ref, (format, book) => updateEntry(format, book, key, patch)),
    deleteEntry: (actor: Actor, ref: BookRef, key: string) => editBook(actor, ref, (format, book) => deleteEntry(format, book, key)),

    async attach(actor: Actor, id: number, target: AttachTarget): Promise<void> {
      if (!(await store.attach(db, actor.userId, id, target, now()))) {
        await owned(actor, id);
        throw notFound(target.kind);
      }
      await cache.delete(linksKey(target));
    },

    async detach(actor: Actor, id: number, target: AttachTarget): Promise<void> {
      if (!(await store.detach(db, actor.userId, id, target))) throw notFound('attachment');
      await cache.delete(linksKey(target));
    },

    /** The standalone books attached to one of the user's characters or groups. */
    async attachedTo(actor: Actor, target: AttachTarget): Promise<LorebookSummary[]> {
      const owner = target.kind === 'character' ? 'characters' : 'groups';
      const found = await db.selectFrom(owner).select('id').where('id', '=', target.id).where('user_id', '=', actor.userId).executeTakeFirst();
      if (!found) throw notFound(target.kind);
      const ids = (await store.attachedTo(db, actor.userId, target)).map((b) => b.id);
      return summaries(actor.userId, (await store.listLorebooks(db, actor.userId)).filter((b) => ids.includes(b.id)));
    },

    /**
     * The lore of a turn: the character's card book, the books attached to the character and, in a
     * group, the books attached to the group (each book once), each within its own budget.
     */
    async loreFor(character: Character, messages: readonly string[], groupId?: number): Promise<LoreResult | undefined> {
      const [own, group] = await Promise.all([linked(character.userId, { kind: 'character', id: character.id }), groupId === undefined ? [] : linked(character.userId, { kind: 'group', id: groupId })]);
      const seen = new Set<number>();
      const links = [...own, ...group].filter((l) => !seen.has(l.id) && seen.add(l.id));
      const standalone = await Promise.all(links.map((l) => activateStandalone(l, messages)));
      return mergeLore([cardLoreFor(character, messages), ...standalone]);
    },
  };
}

export type LorebooksService = ReturnType<typeof createLorebooksService>;

