import { describe, expect, it } from 'vitest';
import { aliasesOf, applyModerator, decide, findMentions, moderatorFallback, nextInOrder, weightedChoice, type Speaker, type TurnState } from '../../../src/features/groups/speaker.js';
import { seededRandom } from '../../../src/infra/seeded.js';

const guanyu: Speaker = { id: 1, name: '关羽', aliases: aliasesOf('关羽', { identity: { name: '关羽（字云长）', titles: '美髯公、汉寿亭侯' } }) };
const zhangfei: Speaker = { id: 2, name: '张飞', aliases: aliasesOf('张飞', { identity: { name: '张飞，字翼德' } }) };
const liubei: Speaker = { id: 3, name: '刘备', aliases: aliasesOf('刘备', { identity: { titles: '汉昭烈帝' } }) };
const holmes: Speaker = { id: 4, name: 'Sherlock Holmes', aliases: aliasesOf('Sherlock Holmes') };
const watson: Speaker = { id: 5, name: 'John Watson', aliases: aliasesOf('John Watson', { identity: { titles: 'Dr. Watson / the doctor' } }) };
const al: Speaker = { id: 6, name: 'Al', aliases: aliasesOf('Al') };
const shu = [guanyu, zhangfei, liubei];
const baker = [holmes, watson];

const fixed = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length];
};

const state = (over: Partial<TurnState>): TurnState => ({
  mode: 'natural',
  members: shu,
  userText: '大家好',
  last: { text: over.userText ?? '大家好', speakerId: null },
  previousSpeakerId: null,
  spoken: [],
  maxRounds: 3,
  ...over,
});

describe('aliases', () => {
  it('takes the name, the 姓名 field split on separators with 字/号 stripped, and the titles', () => {
    expect(guanyu.aliases).toEqual(expect.arrayContaining(['关羽', '云长', '美髯公', '汉寿亭侯']));
    expect(zhangfei.aliases).toEqual(expect.arrayContaining(['张飞', '翼德']));
    expect(liubei.aliases).toEqual(expect.arrayContaining(['刘备', '汉昭烈帝']));
  });

  it('splits Latin names into words and drops fragments that would match inside ordinary words', () => {
    expect(holmes.aliases).toEqual(expect.arrayContaining(['Sherlock Holmes', 'Sherlock', 'Holmes']));
    expect(watson.aliases).toEqual(expect.arrayContaining(['John Watson', 'Watson', 'the doctor']));
    expect(watson.aliases).not.toContain('Dr');
    expect(aliasesOf('诸葛亮', { identity: { name: '亮' } })).toEqual(['诸葛亮']);
  });
});

describe('mentions', () => {
  it('finds a Chinese name inside unspaced text (substring, not whitespace tokens)', () => {
    expect(findMentions('关云长……关羽你说呢', shu).map((m) => m.id)).toEqual([1]);
    expect(findMentions('云长兄怎么看？', shu).map((m) => m.id)).toEqual([1]);
    expect(findMentions('今天天气不错', shu)).toEqual([]);
  });

  it('ranks @mentions over vocatives over plain mentions, then by position', () => {
    // 张飞 is talked about; 关羽 is addressed; 刘备 is @-mentioned.
    expect(findMentions('张飞刚才说的不对，关羽你说呢', shu).map((m) => m.id)).toEqual([1, 2]);
    expect(findMentions('张飞刚才说的不对，关羽你说呢 @刘备', shu).map((m) => m.id)).toEqual([3, 1, 2]);
    expect(findMentions('＠翼德 来一句', shu)[0]).toMatchObject({ id: 2, strength: 3 });
  });

  it('matches English names on word boundaries, case-insensitively', () => {
    expect(findMentions('Holmes, what do you make of it?', baker).map((m) => m.id)).toEqual([4]);
    expect(findMentions('I asked the doctor and sherlock', baker).map((m) => m.id)).toEqual([5, 4]);
    expect(findMentions('Watsonian logic is not a name', baker)).toEqual([]);
    expect(findMentions('we also talked', [al, ...baker])).toEqual([]);
  });
});

describe('the rule pass (natural mode)', () => {
  it('lets the member named in the last message speak', () => {
    expect(decide(state({ userText: '关云长……关羽你说呢' }))).toEqual({ kind: 'speak', id: 1, by: 'mention' });
    expect(decide(state({ members: baker, userText: 'Watson, your view?' }))).toEqual({ kind: 'speak', id: 5, by: 'mention' });
  });

  it('lets a reply hand over to the member it names', () => {
    const s = state({ userText: '关羽你说呢', last: { text: '依我看，翼德你怎么想？', speakerId: 1 }, spoken: [1] });
    expect(decide(s)).toEqual({ kind: 'speak', id: 2, by: 'mention' });
  });

  it('does not let a member answer itself, and nobody speaks twice in a row unless addressed', () => {
    // 关羽 names himself: that does not count; the other two are candidates for the moderator.
    const s = state({ userText: '聊聊', last: { text: '我关羽一生忠义', speakerId: 1 }, spoken: [1] });
    const d = decide(s);
    expect(d.kind).toBe('ask_moderator');
    expect(d.kind === 'ask_moderator' && d.candidates.map((c) => c.id)).toEqual([2, 3]);
    // With two members, the one who did not just speak speaks, no moderator needed.
    const two = state({ members: baker, userText: 'hello', last: { text: 'Good morning.', speakerId: 4 }, spoken: [4] });
    expect(decide(two)).toEqual({ kind: 'speak', id: 5, by: 'only_choice' });
    // But the member who just spoke may answer again when addressed.
    const back = state({ members: baker, userText: 'hello', last: { text: 'Holmes, are you sure?', speakerId: 5 }, spoken: [4, 5] });
    expect(decide(back)).toEqual({ kind: 'speak', id: 4, by: 'mention' });
  });

  it('answers everyone the user addressed before asking the moderator', () => {
    const s = state({ userText: '关羽、张飞，你们怎么看？', last: { text: '我以为当守荆州。', speakerId: 1 }, spoken: [1] });
    expect(decide(s)).toEqual({ kind: 'speak', id: 2, by: 'addressed' });
  });

  it('asks the moderator when nobody is named', () => {
    const d = decide(state({ userText: '今天聊点什么？' }));
    expect(d.kind).toBe('ask_moderator');
    expect(d.kind === 'ask_moderator' && d.candidates.length).toBe(3);
  });

  it('stops at the round limit without asking anyone', () => {
    const s = state({ userText: '关羽你说', last: { text: '张飞你说', speakerId: 1 }, spoken: [1, 2, 1], maxRounds: 3 });
    expect(decide(s)).toEqual({ kind: 'wait', reason: 'round_limit' });
    expect(decide({ ...s, maxRounds: 4 })).toMatchObject({ kind: 'speak', id: 2 });
  });

  it('lets an explicit speakerId answer first', () => {
    expect(decide(state({ userText: '关羽你说', requestedId: 3 }))).toEqual({ kind: 'speak', id: 3, by: 'requested' });
  });
});

describe('the other modes', () => {
  it('round_robin rotates in member order, continuing after whoever spoke last', () => {
    const order: number[] = [];
    let s = state({ mode: 'round_robin', userText: '关羽你说', previousSpeakerId: 2, maxRounds: 4 });
    for (;;) {
      const d = decide(s);
      if (d.kind !== 'speak') {
        expect(d).toEqual({ kind: 'wait', reason: 'round_limit' });
        break;
      }
      expect(d.by).toBe('round_robin');
      order.push(d.id);
      s = { ...s, spoken: [...s.spoken, d.id], last: { text: 'x', speakerId: d.id } };
    }
    expect(order).toEqual([3, 1, 2, 3]);
  });

  it('everyone_once gives each member exactly one reply, the addressed one first, regardless of the round limit', () => {
    const order: number[] = [];
    let s = state({ mode: 'everyone_once', userText: '张飞先说', maxRounds: 1 });
    for (;;) {
      const d = decide(s);
      if (d.kind !== 'speak') {
        expect(d).toEqual({ kind: 'wait', reason: 'everyone_spoke' });
        break;
      }
      order.push(d.id);
      s = { ...s, spoken: [...s.spoken, d.id], last: { text: '关羽你说', speakerId: d.id } };
    }
    expect(order).toEqual([2, 3, 1]);
    expect(new Set(order).size).toBe(3);
  });

  it('manual: the chosen member answers once, then the group waits', () => {
    expect(decide(state({ mode: 'manual', userText: '关羽你说', requestedId: 2 }))).toEqual({ kind: 'speak', id: 2, by: 'manual' });
    expect(decide(state({ mode: 'manual', requestedId: 2, spoken: [2] }))).toEqual({ kind: 'wait', reason: 'manual_done' });
    expect(decide(state({ mode: 'manual' }))).toEqual({ kind: 'wait', reason: 'manual_done' });
  });
});

describe('the moderator thresholds', () => {
  const candidates = shu;
  it('takes the pick at ≥ 0.8', () => {
    for (const c of [0.8, 0.95, 1]) expect(applyModerator({ next_speaker: '张飞', confidence: c }, candidates, fixed(0.99))).toEqual({ kind: 'speak', id: 2, by: 'moderator' });
  });

  it('waits for the user below 0.5', () => {
    for (const c of [0, 0.3, 0.49]) expect(applyModerator({ next_speaker: '张飞', confidence: c }, candidates, fixed(0))).toEqual({ kind: 'wait', reason: 'moderator_low_confidence' });
  });

  it('draws among the candidates between 0.5 and 0.8, weighted towards the pick', () => {
    // Weights at 0.6: 关羽 0.2, 张飞 0.6, 刘备 0.2 → cumulative 0.2 | 0.8 | 1.0.
    expect(applyModerator({ next_speaker: '张飞', confidence: 0.6 }, candidates, fixed(0.1))).toEqual({ kind: 'speak', id: 1, by: 'moderator_draw' });
    expect(applyModerator({ next_speaker: '张飞', confidence: 0.6 }, candidates, fixed(0.5))).toEqual({ kind: 'speak', id: 2, by: 'moderator_draw' });
    expect(applyModerator({ next_speaker: '张飞', confidence: 0.6 }, candidates, fixed(0.9))).toEqual({ kind: 'speak', id: 3, by: 'moderator_draw' });
    const rng = seededRandom(42);
    const counts = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const d = applyModerator({ next_speaker: '张飞', confidence: 0.7 }, candidates, rng);
      if (d.kind === 'speak') counts.set(d.id, (counts.get(d.id) ?? 0) + 1);
    }
    expect(counts.get(2)! / 3000).toBeGreaterThan(0.65);
    expect(counts.get(2)! / 3000).toBeLessThan(0.75);
    expect(counts.get(1)! + counts.get(3)!).toBeGreaterThan(0);
  });

  it('treats an unknown pick as no preference: a uniform draw at ≥ 0.5', () => {
    expect(applyModerator({ next_speaker: '曹操', confidence: 0.9 }, candidates, fixed(0.7))).toEqual({ kind: 'speak', id: 3, by: 'moderator_draw' });
    expect(applyModerator({ next_speaker: '@云长', confidence: 0.9 }, candidates, fixed(0))).toEqual({ kind: 'speak', id: 1, by: 'moderator' });
  });

  it('falls back to round-robin among the candidates when the call fails', () => {
    expect(moderatorFallback([zhangfei, liubei], shu, 1)).toEqual({ kind: 'speak', id: 2, by: 'moderator_failed' });
    expect(moderatorFallback([guanyu, zhangfei], shu, 3)).toEqual({ kind: 'speak', id: 1, by: 'moderator_failed' });
    expect(moderatorFallback(shu, shu, null)).toEqual({ kind: 'speak', id: 1, by: 'moderator_failed' });
  });
});

describe('helpers', () => {
  it('nextInOrder wraps around and skips', () => {
    expect(nextInOrder(shu, 3)?.id).toBe(1);
    expect(nextInOrder(shu, 1, new Set([2]))?.id).toBe(3);
    expect(nextInOrder(shu, 1, new Set([1, 2, 3]))).toBeUndefined();
  });

  it('weightedChoice follows the weights and survives all-zero weights', () => {
    expect(weightedChoice(['a', 'b'], [0, 1], fixed(0))).toBe('b');
    expect(weightedChoice(['a', 'b'], [0, 0], fixed(0.6))).toBe('b');
  });
});
