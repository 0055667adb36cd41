/** Standalone lorebooks (SillyTavern World Info, character_book) and a character's own: import/export round trip, entry editing, attaching, and lore in chat and group turns. */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../tools/mock-llm.js';
import { DIALECTS } from '../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../support/app.js';
import { cardJson, importCard } from '../support/characters.js';
import { mockLlmEnv } from '../support/mock-llm.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/lorebooks/${name}`, import.meta.url), 'utf8');
const WORLD_INFO = fixture('st-world-info.json');
const CHARACTER_BOOK = fixture('character-book.json');

describe.each(DIALECTS)('lorebooks on %s', (dialect) => {
  let llm: MockLlm;
  let t: TestApp;
  beforeAll(async () => {
    llm = await startMockLlm({ port: 0, ttftMs: 1, tokens: 4, tps: 5000 });
    t = await startTestApp(dialect, mockLlmEnv(llm));
  });
  afterAll(async () => {
    await t?.close();
    await llm?.close();
  });

  async function user() {
    const c = t.client();
    await c.register();
    return c;
  }
  const importBook = async (c: TestClient, content: string, name?: string) => {
    const r = await c.post('/api/lorebooks/import', name ? { content, name } : { content });
    expect(r.status).toBe(201);
    return r.body;
  };

  it('imports SillyTavern World Info and exports it byte for byte; entries read in one shape', async () => {
    const c = await user();
    const book = await importBook(c, WORLD_INFO, '长安');
    expect(book).toMatchObject({ name: '长安', format: 'world_info', entryCount: 3, characterIds: [], groupIds: [] });
    expect(book.entries).toEqual([
      { key: '0', keys: ['长安', "Chang'an"], secondaryKeys: [], selective: true, selectiveLogic: 'and_any', content: expect.stringContaining('朱雀大街'), comment: '长安城', constant: false, enabled: true, order: 100, position: 'before', caseSensitive: false, wholeWords: false },
      { key: '1', keys: ['wine'], secondaryKeys: ['moon'], selective: true, selectiveLogic: 'and_all', content: expect.any(String), comment: 'Wine under the moon', constant: false, enabled: true, order: 50, position: 'after', caseSensitive: true, wholeWords: true },
      { key: '5', keys: [], secondaryKeys: [], selective: false, selectiveLogic: 'and_any', content: '时值天宝年间。', comment: 'Always: the era', constant: true, enabled: false, order: 10, position: 'after', caseSensitive: false, wholeWords: false },
    ]);
    const out = await c.get(`/api/lorebooks/${book.id}/export`);
    expect(out.status).toBe(200);
    expect(out.headers.get('content-disposition')).toContain('.json');
    expect(out.text).toBe(WORLD_INFO);

    const cb = await importBook(c, CHARACTER_BOOK);
    expect(cb).toMatchObject({ name: 'Peach Garden', format: 'character_book', entryCount: 2 });
    expect(cb.entries[1]).toMatchObject({ key: '1', keys: ['青龙偃月刀'], secondaryKeys: ['关羽', '云长'], selective: true, position: 'after', order: 20 });
    expect((await c.get(`/api/lorebooks/${cb.id}/export`)).text).toBe(CHARACTER_BOOK);

    // A whole card: its character_book.
    const card = cardJson('李白', { character_book: JSON.parse(CHARACTER_BOOK) });
    expect(await importBook(c, JSON.stringify(card))).toMatchObject({ format: 'character_book', entryCount: 2, name: 'Peach Garden' });

    for (const bad of ['not json', '[]', '{"entries": 3}', '{"name": "x"}', '{"entries": [1, 2]}']) {
      const r = await c.post('/api/lorebooks/import', { content: bad });
      expect(r.status, bad).toBe(400);
      expect(r.body.error.code).toBe('validation:lorebook');
    }
    expect((await c.post('/api/lorebooks/import', { content: JSON.stringify(cardJson('无书')) })).status).toBe(400);

    const listed = await c.get('/api/lorebooks?q=peach');
    expect(listed.body.items.map((b: any) => b.name)).toEqual(['Peach Garden', 'Peach Garden']);
  });

  it('edits entries in place: only the fields changed differ on export, in the book\'s own format', async () => {
    const c = await user();
    const book = await importBook(c, WORLD_INFO, 'wi');
    const original = JSON.parse(WORLD_INFO);

    const patched = await c.patch(`/api/lorebooks/${book.id}/entries/0`, { content: '长安，天下之中。', secondaryKeys: ['城'], selectiveLogic: 'not_any', enabled: false, position: 'after', wholeWords: true });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ key: '0', content: '长安，天下之中。', secondaryKeys: ['城'], selectiveLogic: 'not_any', enabled: false, position: 'after', wholeWords: true, keys: ['长安', "Chang'an"] });
    // The same value again changes nothing; a position the view already shows keeps its SillyTavern number.
    await c.patch(`/api/lorebooks/${book.id}/entries/5`, { position: 'after', comment: 'Always: the era' });
    const added = await c.post(`/api/lorebooks/${book.id}/entries`, { keys: ['李白'], content: '李白，字太白。', comment: 'poet' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ key: '6', keys: ['李白'], enabled: true, constant: false, position: 'before' });
    expect((await c.del(`/api/lorebooks/${book.id}/entries/1`)).status).toBe(204);
    expect((await c.del(`/api/lorebooks/${book.id}/entries/1`)).status).toBe(404);
    expect((await c.patch(`/api/lorebooks/${book.id}/entries/99`, { content: 'x' })).status).toBe(404);
    expect((await c.patch(`/api/lorebooks/${book.id}/entries/0`, {})).status).toBe(400);
    expect((await c.patch(`/api/lorebooks/${book.id}/entries/0`, { selectiveLogic: 'maybe' })).status).toBe(400);
    expect((await c.patch(`/api/lorebooks/${book.id}/entries/0`, { order: 'first' })).status).toBe(400);

    const exported = JSON.parse((await c.get(`/api/lorebooks/${book.id}/export`)).text);
    expect(exported.entries['0']).toEqual({ ...original.entries['0'], content: '长安，天下之中。', keysecondary: ['城'], selectiveLogic: 2, disable: true, position: 1, matchWholeWords: true });
    expect(exported.entries['5']).toEqual(original.entries['5']);
    expect(exported.entries['1']).toBeUndefined();
    expect(exported.entries['6']).toMatchObject({ uid: 6, key: ['李白'], content: '李白，字太白。', comment: 'poet', disable: false, position: 0, order: 100 });
    expect((await c.get(`/api/lorebooks/${book.id}`)).body.entryCount).toBe(3);

    // character_book fields are written as character_book fields.
    const cb = await importBook(c, CHARACTER_BOOK);
    await c.patch(`/api/lorebooks/${cb.id}/entries/0`, { enabled: false, order: 5, position: 'after', selectiveLogic: 'and_all', caseSensitive: true });
    const cbOut = JSON.parse((await c.get(`/api/lorebooks/${cb.id}/export`)).text);
    const cbOriginal = JSON.parse(CHARACTER_BOOK);
    expect(cbOut.entries[0]).toEqual({
      ...cbOriginal.entries[0],
      enabled: false,
      insertion_order: 5,
      position: 'after_char',
      case_sensitive: true,
      extensions: { ...cbOriginal.entries[0].extensions, position: 1, selectiveLogic: 3, case_sensitive: true },
    });
    expect(cbOut.entries[1]).toEqual(cbOriginal.entries[1]);
    expect({ ...cbOut, entries: null }).toEqual({ ...cbOriginal, entries: null });

    const renamed = await c.patch(`/api/lorebooks/${cb.id}`, { name: '桃园' });
    expect(renamed.body.name).toBe('桃园');
    expect((await c.del(`/api/lorebooks/${cb.id}`)).status).toBe(204);
    expect((await c.get(`/api/lorebooks/${cb.id}`)).status).toBe(404);

    const empty = await c.post('/api/lorebooks', { name: '新书', format: 'character_book' });
    expect(empty.status).toBe(201);
    expect(empty.body).toMatchObject({ format: 'character_book', entryCount: 0, entries: [] });
    expect((await c.post(`/api/lorebooks/${empty.body.id}/entries`, { keys: ['x'], content: 'y' })).body.key).toBe('0');
  });

  it('loses no edit when several arrive at once (a standalone book and a character\'s own)', async () => {
    const c = await user();
    const book = await importBook(c, CHARACTER_BOOK);
    const li = await importCard(c, '李白', { character_book: JSON.parse(CHARACTER_BOOK) });
    for (const base of [`/api/lorebooks/${book.id}`, `/api/characters/${li.id}/lorebook`]) {
      const results = await Promise.all([
        c.patch(`${base}/entries/0`, { enabled: false }),
        c.patch(`${base}/entries/1`, { enabled: false }),
        c.post(`${base}/entries`, { keys: ['甲'], content: '甲' }),
        c.post(`${base}/entries`, { keys: ['乙'], content: '乙' }),
      ]);
      expect(results.map((r) => r.status)).toEqual([200, 200, 201, 201]);
      const entries = (await c.get(base)).body.entries;
      expect(entries.map((e: any) => e.enabled)).toEqual([false, false, true, true]);
      expect(entries.slice(2).map((e: any) => e.content).sort()).toEqual(['乙', '甲']);
    }
  });

  it('fires an attached book\'s entries in a one-to-one chat, and stops when detached', async () => {
    const c = await user();
    const li = await importCard(c, '李白');
    const book = await importBook(c, WORLD_INFO, '长安');
    expect((await c.put(`/api/lorebooks/${book.id}/characters/${li.id}`)).status).toBe(204);
    expect((await c.put(`/api/lorebooks/${book.id}/characters/${li.id}`)).status).toBe(204);
    expect((await c.get(`/api/characters/${li.id}/lorebooks`)).body.items.map((b: any) => b.id)).toEqual([book.id]);
    expect((await c.get(`/api/lorebooks/${book.id}`)).body.characterIds).toEqual([li.id]);

    expect((await c.post(`/api/characters/${li.id}/messages`, { content: '明日我们去长安看看' })).status).toBe(200);
    const prompt = await c.get(`/api/characters/${li.id}/prompt`);
    expect(prompt.body.lore.fired.map((f: any) => [f.comment, f.key])).toEqual([['长安城', '长安']]);
    expect(prompt.body.messages[0].content).toContain('朱雀大街');

    // An edit reaches the next turn.
    await c.patch(`/api/lorebooks/${book.id}/entries/0`, { content: '长安，天下之中，百万人家。' });
    expect((await c.get(`/api/characters/${li.id}/prompt`)).body.messages[0].content).toContain('百万人家');

    expect((await c.del(`/api/lorebooks/${book.id}/characters/${li.id}`)).status).toBe(204);
    expect((await c.del(`/api/lorebooks/${book.id}/characters/${li.id}`)).status).toBe(404);
    const after = await c.get(`/api/characters/${li.id}/prompt`);
    expect(after.body.lore).toBeUndefined();
    expect(after.body.messages[0].content).not.toContain('百万人家');
  });

  it('edits a character\'s own lorebook (its card\'s character_book); the card exports the rest as it came', async () => {
    const c = await user();
    const li = await importCard(c, '李白', { character_book: JSON.parse(CHARACTER_BOOK) });
    const own = await c.get(`/api/characters/${li.id}/lorebook`);
    expect(own.body).toMatchObject({ characterId: li.id, exists: true });
    expect(own.body.entries.map((e: any) => e.comment)).toEqual(['The oath', "Guan Yu's blade"]);

    expect((await c.patch(`/api/characters/${li.id}/lorebook/entries/0`, { content: '桃园三结义。' })).status).toBe(200);
    const card = JSON.parse((await c.get(`/api/characters/${li.id}/card?format=json`)).text);
    const original = JSON.parse(CHARACTER_BOOK);
    expect(card.data.character_book).toEqual({ ...original, entries: [{ ...original.entries[0], content: '桃园三结义。' }, original.entries[1]] });

    await c.post(`/api/characters/${li.id}/messages`, { content: '说说桃园的事' });
    const prompt = await c.get(`/api/characters/${li.id}/prompt`);
    expect(prompt.body.lore.fired.map((f: any) => f.comment)).toEqual(['The oath']);
    expect(prompt.body.messages[0].content).toContain('桃园三结义。');

    // A character without a book gets one on its first entry.
    const du = await importCard(c, '杜甫');
    expect((await c.get(`/api/characters/${du.id}/lorebook`)).body).toEqual({ characterId: du.id, exists: false, entries: [] });
    const added = await c.post(`/api/characters/${du.id}/lorebook/entries`, { keys: ['草堂'], content: '杜甫在成都浣花溪畔筑草堂。' });
    expect(added.status).toBe(201);
    expect((await c.get(`/api/characters/${du.id}/lorebook`)).body).toMatchObject({ exists: true, entries: [{ keys: ['草堂'] }] });
    expect((await c.del(`/api/characters/${du.id}/lorebook/entries/0`)).status).toBe(204);
    expect((await c.get(`/api/characters/${du.id}/lorebook`)).body.entries).toEqual([]);
  });

  it('fires a group\'s books in every member\'s turn', async () => {
    const c = await user();
    const guan = await importCard(c, '关羽');
    const zhang = await importCard(c, '张飞');
    const g = (await c.post('/api/groups', { name: '桃园', memberIds: [guan.id, zhang.id], maxRounds: 1 })).body;
    const book = await importBook(c, CHARACTER_BOOK);
    expect((await c.put(`/api/lorebooks/${book.id}/groups/${g.id}`)).status).toBe(204);
    expect((await c.get(`/api/groups/${g.id}/lorebooks`)).body.items.map((b: any) => b.id)).toEqual([book.id]);

    const r = await c.post(`/api/groups/${g.id}/messages`, { content: '张飞，还记得桃园吗？' });
    expect(r.status).toBe(200);
    await t.ctx.inspections.flush();
    const seen = await c.get(`/api/messages/${r.body.messageIds[0]}/inspect`);
    expect(seen.body.messages[0].content).toContain('誓同生死');
  });

  it('answers 404 to another user on every lorebook route', async () => {
    const c = await user();
    const li = await importCard(c, '李白', { character_book: JSON.parse(CHARACTER_BOOK) });
    const g = (await c.post('/api/groups', { name: 'g', memberIds: [li.id, (await importCard(c, '杜甫')).id] })).body;
    const book = await importBook(c, WORLD_INFO);
    await c.put(`/api/lorebooks/${book.id}/characters/${li.id}`);
    const bob = await user();
    const bobChar = await importCard(bob, 'Bob');
    const bobBook = await importBook(bob, CHARACTER_BOOK);
    const b = `/api/lorebooks/${book.id}`;
    const results = await Promise.all([
      bob.get(b),
      bob.patch(b, { name: 'x' }),
      bob.del(b),
      bob.get(`${b}/export`),
      bob.post(`${b}/entries`, { keys: ['x'], content: 'y' }),
      bob.patch(`${b}/entries/0`, { content: 'y' }),
      bob.del(`${b}/entries/0`),
      bob.put(`${b}/characters/${bobChar.id}`),
      bob.del(`${b}/characters/${li.id}`),
      bob.put(`${b}/groups/${g.id}`),
      bob.del(`${b}/groups/${g.id}`),
      // Bob's own book onto Alice's character or group.
      bob.put(`/api/lorebooks/${bobBook.id}/characters/${li.id}`),
      bob.put(`/api/lorebooks/${bobBook.id}/groups/${g.id}`),
      bob.get(`/api/characters/${li.id}/lorebook`),
      bob.post(`/api/characters/${li.id}/lorebook/entries`, { keys: ['x'], content: 'y' }),
      bob.patch(`/api/characters/${li.id}/lorebook/entries/0`, { content: 'y' }),
      bob.del(`/api/characters/${li.id}/lorebook/entries/0`),
      bob.get(`/api/characters/${li.id}/lorebooks`),
      bob.get(`/api/groups/${g.id}/lorebooks`),
    ]);
    expect(results.map((r) => r.status)).toEqual(results.map(() => 404));
    expect((await bob.get('/api/lorebooks')).body.items.map((x: any) => x.id)).toEqual([bobBook.id]);
    expect((await c.get(b)).body).toMatchObject({ name: book.name, entryCount: 3, characterIds: [li.id], groupIds: [] });
    expect((await c.get(`/api/characters/${li.id}/lorebook`)).body.entries).toHaveLength(2);
    expect((await c.get(`/api/lorebooks/${book.id}/export`)).text).toBe(WORLD_INFO);
  });
});
