import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { activateLore, compileBook } from '../../../src/features/lorebooks/activate.js';
import { addEntry, deleteEntry, listEntries, parseBook, toCharacterBook, updateEntry } from '../../../src/features/lorebooks/book.js';

const WORLD_INFO = readFileSync(new URL('../../fixtures/lorebooks/st-world-info.json', import.meta.url), 'utf8');

describe('SillyTavern World Info activation (through toCharacterBook)', () => {
  const { format, book } = parseBook(WORLD_INFO);
  const lore = (messages: string[]) => activateLore(compileBook(toCharacterBook(format, book)), messages);

  it('maps keys, position, selective AND ALL, case sensitivity and whole words as SillyTavern does', () => {
    expect(lore(['我们去长安']).fired.map((f) => [f.comment, f.key, f.position])).toEqual([['长安城', '长安', 'before']]);
    // Entry 1: "wine" AND ALL ["moon"], case-sensitive, whole words, after the character.
    expect(lore(['wine under the moon']).fired.map((f) => [f.comment, f.position])).toEqual([['Wine under the moon', 'after']]);
    expect(lore(['wine, no sky tonight']).fired).toEqual([]);
    expect(lore(['Wine under the moon']).fired).toEqual([]);
    expect(lore(['winery under the moon']).fired).toEqual([]);
    // The disabled constant entry never fires.
    expect(lore(['任何话']).fired).toEqual([]);
  });

  it('fires what the editor changed', () => {
    const copy = structuredClone(book);
    updateEntry(format, copy, '5', { enabled: true });
    updateEntry(format, copy, '1', { selectiveLogic: 'not_any', caseSensitive: false });
    const fired = (messages: string[]) => activateLore(compileBook(toCharacterBook(format, copy)), messages).fired.map((f) => f.comment);
    expect(fired(['Wine, and no sky'])).toEqual(['Always: the era', 'Wine under the moon']);
    expect(fired(['wine under the moon'])).toEqual(['Always: the era']);
    const added = addEntry(format, copy, { keys: ['李白'], content: '李白，字太白。', comment: 'poet' });
    expect(added.key).toBe('6');
    expect(fired(['李白来了'])).toEqual(['Always: the era', 'poet']);
    deleteEntry(format, copy, '6');
    expect(listEntries(format, copy).map((e) => e.key)).toEqual(['0', '1', '5']);
  });
});
