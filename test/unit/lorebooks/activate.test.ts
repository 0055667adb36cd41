import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { activateLore, compileBook } from '../../../src/features/lorebooks/activate.js';

const entry = (over: Record<string, unknown>) => ({ keys: [], content: 'x', extensions: {}, enabled: true, insertion_order: 10, ...over });
const book = (entries: Record<string, unknown>[], over: Record<string, unknown> = {}) => compileBook({ entries, ...over });
const fired = (b: ReturnType<typeof compileBook>, messages: string[]) => activateLore(b, messages).fired.map((f) => `${f.id}:${f.key}`);

describe('lorebook activation', () => {
  it('matches Chinese keys as substrings (no word boundaries) and English case-insensitively', () => {
    const b = book([entry({ id: 'garden', keys: ['大观园'], content: '大观园是省亲别墅。' }), entry({ id: 'bao', keys: ['Baoyu'], content: 'Jia Baoyu.' })]);
    expect(fired(b, ['我昨天去了大观园玩'])).toEqual(['garden:大观园']);
    expect(fired(b, ['where is BAOYU today?'])).toEqual(['bao:Baoyu']);
    expect(fired(b, ['宝玉不在'])).toEqual([]);
  });

  it('matches whole words only where the entry asks, and only for Latin keys', () => {
    const b = book([
      entry({ id: 'cat', keys: ['cat'], extensions: { match_whole_words: true } }),
      entry({ id: 'sub', keys: ['cat'] }),
      entry({ id: 'cjk', keys: ['猫'], extensions: { match_whole_words: true } }),
    ]);
    expect(fired(b, ['a concatenation'])).toEqual(['sub:cat']);
    expect(fired(b, ['the cat sat'])).toEqual(['cat:cat', 'sub:cat']);
    expect(fired(b, ['我的cat叫小花'])).toEqual(['cat:cat', 'sub:cat']);
    expect(fired(b, ['小猫咪'])).toEqual(['cjk:猫']);
  });

  it('honours case_sensitive', () => {
    const b = book([entry({ id: 'cs', keys: ['Rose'], case_sensitive: true })]);
    expect(fired(b, ['a rose'])).toEqual([]);
    expect(fired(b, ['a Rose'])).toEqual(['cs:Rose']);
  });

  it('looks only at the newest scan_depth messages (book default, entry override)', () => {
    const b = book([entry({ id: 'old', keys: ['长安'] }), entry({ id: 'deep', keys: ['洛阳'], extensions: { scan_depth: 5 } })], { scan_depth: 2 });
    const history = ['长安 洛阳', '二', '三'];
    expect(fired(b, history)).toEqual(['deep:洛阳']);
    expect(fired(b, [...history.slice(1), '去长安'])).toEqual(['old:长安']);
  });

  it('applies selective logic over the secondary keys: AND ANY, NOT ALL, NOT ANY, AND ALL', () => {
    const sec = (id: string, logic: number) => entry({ id, keys: ['剑'], secondary_keys: ['李白', '杜甫'], selective: true, extensions: { selectiveLogic: logic } });
    const b = book([sec('andAny', 0), sec('notAll', 1), sec('notAny', 2), sec('andAll', 3)]);
    expect(fired(b, ['李白的剑'])).toEqual(['andAny:剑', 'notAll:剑']);
    expect(fired(b, ['李白和杜甫论剑'])).toEqual(['andAny:剑', 'andAll:剑']);
    expect(fired(b, ['一把剑'])).toEqual(['notAll:剑', 'notAny:剑']);
  });

  it('fires constant entries always and never disabled ones; keeps insertion order; splits by position', () => {
    const b = book([
      entry({ id: 'late', keys: ['夜'], content: 'C', insertion_order: 30, position: 'after_char' }),
      entry({ id: 'always', constant: true, content: 'A', insertion_order: 5 }),
      entry({ id: 'off', keys: ['夜'], content: 'Z', enabled: false }),
      entry({ id: 'early', keys: ['夜'], content: 'B', insertion_order: 10, extensions: { position: 0 } }),
    ]);
    const r = activateLore(b, ['今夜']);
    expect(r.fired.map((f) => f.id)).toEqual(['always', 'early', 'late']);
    expect(r.before).toBe('A\nB');
    expect(r.after).toBe('C');
    expect(r.fired[0].key).toBe('(constant)');
  });

  it('keeps lore within the token budget, dropping the lowest priority first', () => {
    const b = book(
      [
        entry({ id: 'low', keys: ['雨'], content: '低'.repeat(40), priority: 1, insertion_order: 1 }),
        entry({ id: 'high', keys: ['雨'], content: '高'.repeat(40), priority: 9, insertion_order: 2 }),
      ],
      { token_budget: 60 },
    );
    const r = activateLore(b, ['下雨了']);
    expect(r.fired.map((f) => f.id)).toEqual(['high']);
    expect(r.overBudget.map((f) => f.id)).toEqual(['low']);
    expect(r.tokens).toBeLessThanOrEqual(60);
  });

  it('scans fired content recursively, up to the depth limit, honouring exclude/prevent recursion', () => {
    const chain = [
      entry({ id: 'a', keys: ['甲'], content: '提到乙' }),
      entry({ id: 'b', keys: ['乙'], content: '提到丙' }),
      entry({ id: 'c', keys: ['丙'], content: '提到丁' }),
      entry({ id: 'd', keys: ['丁'], content: '提到戊' }),
      entry({ id: 'e', keys: ['戊'], content: '终' }),
    ];
    expect(fired(book(chain), ['甲'])).toEqual(['a:甲']);
    expect(fired(book(chain, { recursive_scanning: true }), ['甲'])).toEqual(['a:甲', 'b:乙', 'c:丙', 'd:丁']);
    const r = activateLore(book(chain, { recursive_scanning: true }), ['甲']);
    expect(r.fired.map((f) => f.round)).toEqual([0, 1, 2, 3]);
    const guarded = [entry({ id: 'a', keys: ['甲'], content: '提到乙', extensions: { prevent_recursion: true } }), entry({ id: 'b', keys: ['乙'], content: 'b' }), entry({ id: 'x', keys: ['甲'], content: '又提到丙' }), entry({ id: 'c', keys: ['丙'], content: 'c', extensions: { exclude_recursion: true } })];
    expect(fired(book(guarded, { recursive_scanning: true }), ['甲'])).toEqual(['a:甲', 'x:甲']);
  });

  it('supports /regex/ keys and SillyTavern world info shape (entries as an object, key/keysecondary/order/disable)', () => {
    const b = compileBook({ entries: { 0: { uid: 7, key: ['/李[白太]白?/'], content: '诗仙', order: 1 }, 1: { uid: 8, key: ['酒'], content: 'wine', disable: true } } });
    expect(fired(b, ['李太白来了，带着酒'])).toEqual(['7:/李[白太]白?/']);
  });

  it('skips malformed entries instead of failing', () => {
    const b = compileBook({ entries: [null, 3, { keys: 'x', content: 5 }, entry({ id: 'ok', keys: ['好'], content: '好' })] });
    expect(fired(b, ['好'])).toEqual(['ok:好']);
    expect(compileBook(undefined).entries).toEqual([]);
  });

  it('fires the fixture card book on Chinese and English text', () => {
    const card = JSON.parse(readFileSync(new URL('../../fixtures/cards/v2-prompt-fields.json', import.meta.url), 'utf8'));
    const b = compileBook(card.data.character_book);
    const r = activateLore(b, ['你好', '你见过宝玉吗？', 'Do you write a poem about each flower?']);
    expect(r.fired.map((f) => `${f.comment}:${f.key}`)).toEqual(['constant:(constant)', 'baoyu:宝玉', 'recursive:潇湘馆', 'selective:poem']);
    // Entries without a position go before the character (SillyTavern's default).
    expect(r.before.split('\n')).toEqual(['时值暮春。', '潇湘馆是{{char}}的住处，种满翠竹。', "Daiyu's Burial of Flowers poem: 花谢花飞花满天。"]);
    expect(r.after).toBe('贾宝玉，衔玉而生，与{{char}}青梅竹马。潇湘馆就在附近。');
    expect(fired(b, ['a poems collection, no flowers'])).toEqual(['5:(constant)']);
  });
});
