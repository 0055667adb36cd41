/**
 * The offline model's text, checked over every bundled character and a set of questions, through
 * the same gateway calls the server makes (structure → profile + biography, chat, memory, group).
 */
import { Type } from '@sinclair/typebox';
import { beforeAll, describe, expect, it } from 'vitest';
import { SCAN_LIMIT, isMostlyCjk } from '../../../src/infra/llm/offline/text.js';
import type { ChatMessage, LlmGateway } from '../../../src/infra/llm/index.js';
import { drain, offlineGateway } from '../../support/mock-llm.js';
import {
  ALL_BUNDLED,
  QUESTIONS_EN,
  QUESTIONS_ZH,
  buildBundled,
  misjoinProblems,
  namesOf,
  nestedQuoteProblems,
  punctuationProblems,
  selfReferenceProblems,
  type BuiltCharacter,
} from '../../support/offline-quality.js';

const { llm } = offlineGateway();
const built = new Map<string, BuiltCharacter>();

beforeAll(async () => {
  for (const e of ALL_BUNDLED) built.set(e.slug, await buildBundled(llm, e));
});

async function reply(gateway: LlmGateway, c: BuiltCharacter, messages: ChatMessage[]): Promise<string> {
  const { chunks, error } = await drain(gateway.streamChat({ purpose: 'chat', messages: [{ role: 'system', content: '## 角色扮演规则\n…' }, ...messages], hints: { characterName: c.name, profile: c.profile } }));
  expect(error).toBeUndefined();
  return chunks.join('');
}

const ask = (c: BuiltCharacter, question: string) => reply(llm, c, [{ role: 'user', content: question }]);

function textProblems(text: string, c: BuiltCharacter, zh: boolean): string[] {
  return [...selfReferenceProblems(text, namesOf(c.entry)), ...misjoinProblems(text), ...punctuationProblems(text, zh), ...nestedQuoteProblems(text, [])];
}

describe('the checks themselves', () => {
  it('flag the defects seen in the first-impression review', () => {
    expect(misjoinProblems('其性格然而李白性格狂放。')).not.toEqual([]);
    expect(misjoinProblems('其性格Sherlock Holmes性格鲜明。')).not.toEqual([]);
    expect(misjoinProblems('我性格豪放，然而不失细致。')).toEqual([]);
    expect(selfReferenceProblems('我少年李白在这里读书。', ['李白'])).not.toEqual([]);
    expect(selfReferenceProblems('在我看来，李白看重自己认定的道理。', ['李白'])).not.toEqual([]);
    expect(selfReferenceProblems('我是李白，唐代诗人。', ['李白'])).toEqual([]);
    expect(punctuationProblems('你好！我是李白', true)).not.toEqual([]);
    expect(nestedQuoteProblems('你说“李白：“好””，我听进去了。', ['李白'])).not.toEqual([]);
  });
});

describe.each(ALL_BUNDLED.map((e) => [e.title, e.slug]))('offline model as %s', (_title, slug) => {
  const c = () => built.get(slug)!;

  it('answers every question in the first person, grammatically joined and punctuated', async () => {
    const problems: string[] = [];
    for (const q of QUESTIONS_ZH) {
      const a = await ask(c(), q);
      for (const p of textProblems(a, c(), true)) problems.push(`${q} → ${a}: ${p}`);
      if (!isMostlyCjk(a)) problems.push(`${q} → ${a}: not Chinese`);
    }
    for (const q of QUESTIONS_EN) {
      const a = await ask(c(), q);
      for (const p of textProblems(a, c(), false)) problems.push(`${q} → ${a}: ${p}`);
      if (isMostlyCjk(a)) problems.push(`${q} → ${a}: not English`);
    }
    expect(problems).toEqual([]);
  });

  it('answers the question asked', async () => {
    const ch = c();
    expect(await ask(ch, '你是谁？')).toContain(`我是${ch.name}`);
    expect(await ask(ch, '你好')).toMatch(/^(你好|幸会)/);
    expect(await ask(ch, `你好呀，${ch.name}`)).toMatch(/^(你好|幸会)/);
    expect(await ask(ch, '讲讲你的故事')).toMatch(/^(说来话长，我拣要紧的讲。|好，我简单讲讲。)我?/);
    expect(await ask(ch, '你会写诗吗？')).toMatch(/^(说到写诗，我倒有些心得。|写诗？资料里没有写到我这方面的本事，我不好夸口。)/);
    expect(await ask(ch, '谢谢你')).toMatch(/客气/);
    expect(await ask(ch, '你平时喜欢做什么？')).toMatch(/^我(喜欢|偏爱|爱|热爱|好|嗜)|^我没有什么特别的嗜好/);
    expect(await ask(ch, '你讨厌什么？')).toMatch(/^我(厌恶|讨厌|憎恶|痛恨|看不惯|不)|^我最看不惯/);
    expect(await ask(ch, '你怎么看友情？')).toMatch(/^说到友情，/);
    expect(await ask(ch, '你知道量子计算机吗？')).toMatch(/答不上来|并不清楚/);
    const relation = await ask(ch, '你和杜甫是什么关系？');
    expect(relation).toContain('杜甫');
    expect(relation).not.toMatch(/答案是肯定的/);
    expect(await ask(ch, 'Who are you?')).toMatch(/^I am /);
    expect(await ask(ch, 'What is your relationship with Watson?')).toContain('Watson');
  });

  it('writes a biography of 2–4 clean sentences and a profile with the right text in each field', () => {
    const ch = c();
    const sentences = ch.biography.split(/(?<=[。！？])/u).filter((s) => s.trim());
    expect(sentences.length).toBeGreaterThanOrEqual(2);
    expect(sentences.length).toBeLessThanOrEqual(4);
    expect(misjoinProblems(ch.biography)).toEqual([]);
    expect(punctuationProblems(ch.biography, true)).toEqual([]);
    expect(ch.biography).not.toMatch(/^其|。其性格/u);
    const { occupation } = ch.profile.identity as Record<string, string>;
    // An occupation-like phrase: short, no quoted epithet, not a courtesy name or an honour.
    expect(occupation.length).toBeGreaterThanOrEqual(2);
    expect(occupation.length).toBeLessThanOrEqual(40);
    expect(occupation).not.toMatch(/[“”"「」]|^(字|号|后世|被|世称)|尊称|资料/u);
    const { likes, dislikes } = ch.profile.personality as Record<string, string>;
    expect(likes).not.toBe(dislikes);
    expect(likes).not.toMatch(/厌恶|憎恶|讨厌|痛恨/u);
    expect(dislikes).toMatch(/厌恶|憎恶|讨厌|痛恨|不屑|反感|看不惯|不喜欢/u);
  });
});

describe('offline model: characters named by an alias or from pasted text', () => {
  it.each([
    ['sherlock-holmes', 'Sherlock Holmes'],
    ['sherlock-holmes', '福尔摩斯'],
    ['zhuge-liang', '孔明'],
    ['su-shi', '苏东坡'],
  ])('%s named %s', async (slug, name) => {
    const c = await buildBundled(llm, ALL_BUNDLED.find((e) => e.slug === slug)!, name);
    const problems: string[] = [];
    for (const q of [...QUESTIONS_ZH, ...QUESTIONS_EN]) {
      const a = await ask(c, q);
      for (const p of textProblems(a, c, isMostlyCjk(q))) problems.push(`${q} → ${a}: ${p}`);
    }
    expect(problems).toEqual([]);
    expect(await ask(c, 'Who are you?')).not.toMatch(/(\b\w+ \w+) \1/);
    expect(misjoinProblems(c.biography)).toEqual([]);
  });

  it('a pasted-text character speaks in the first person too', async () => {
    const markdown = '# 张三\n\n张三是一名虚构的侠客，生于江南，擅长剑术。他性格豪爽，喜欢结交朋友，常年行走江湖，行侠仗义。他最讨厌欺软怕硬的人。';
    const entry = { slug: 'zhang-san', title: '张三', aliases: [], markdown };
    const c = await buildBundled(llm, entry, '张三');
    const problems: string[] = [];
    for (const q of QUESTIONS_ZH) {
      const a = await ask(c, q);
      for (const p of textProblems(a, c, true)) problems.push(`${q} → ${a}: ${p}`);
    }
    expect(problems).toEqual([]);
    expect(await ask(c, '你讨厌什么？')).toBe('我最讨厌欺软怕硬的人。你又最受不了什么？');
    expect(c.profile.identity.occupation).toBe('虚构的侠客');
    expect(await ask(c, '你是谁？')).toMatch(/^我是张三，虚构的侠客。/);
    expect(await ask(c, '你生活在什么时代？')).toMatch(/^我所处的年代，资料里没有写明/);
  });
});

describe('offline model: specific answers', () => {
  it('knows its relations from the profile', async () => {
    expect(await ask(built.get('li-bai')!, '你和杜甫是什么关系？')).toMatch(/^杜甫是我的好友。/);
    expect(await ask(built.get('sun-wukong')!, '你和唐僧是什么关系？')).toMatch(/^唐僧是我的师父。/);
    expect(await ask(built.get('sherlock-holmes')!, '你认识华生吗？')).toMatch(/^华生是我的搭档。/);
    expect(await ask(built.get('zhuge-liang')!, '你和唐僧是什么关系？')).toMatch(/不记得/);
    expect(await ask(built.get('li-bai')!, '你会写诗吗？')).toMatch(/^说到写诗，我倒有些心得。我的诗/);
    expect(await ask(built.get('sherlock-holmes')!, '你会写诗吗？')).toMatch(/^写诗？资料里没有写到/);
  });

  it('is deterministic: the same turn gets the same reply', async () => {
    const c = built.get('su-shi')!;
    expect(await ask(c, '你怎么看友情？')).toBe(await ask(c, '你怎么看友情？'));
  });

  it('in a group, answers without quoting other members or speaking as them', async () => {
    const suShi = built.get('su-shi')!;
    const liBai = built.get('li-bai')!;
    const liBaiSaid = await ask(liBai, '你怎么看友情？');
    const messages: ChatMessage[] = [
      { role: 'system', content: `## 群聊成员\n你在群聊「诗会」中，和用户以及李白一起交谈。\n- 李白：唐代诗人` },
      { role: 'user', content: '用户：你们怎么看友情？' },
      { role: 'user', content: `李白：${liBaiSaid}` },
    ];
    const a = await reply(llm, suShi, messages);
    expect(a).toMatch(/^李白/);
    // It answers the user's question (你们怎么看友情), not a deflection.
    expect(a).toMatch(/说到友情，/);
    expect(nestedQuoteProblems(a, ['李白', '用户'])).toEqual([]);
    // No sentence of 李白's is repeated.
    for (const sentence of liBaiSaid.split(/(?<=[。！？])/u).filter(Boolean)) expect(a).not.toContain(sentence);
    expect(selfReferenceProblems(a, namesOf(suShi.entry))).toEqual([]);
    expect(misjoinProblems(a)).toEqual([]);
  });
});

describe('offline model: memory', () => {
  const SummarySchema = Type.Object({ short_memories: Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 50 }) });
  const IntegrationSchema = Type.Object({
    long_term_memories: Type.Array(Type.Object({ content: Type.String({ maxLength: 2000 }), importance: Type.Number({ minimum: 0, maximum: 15 }) }), { maxItems: 50 }),
  });
  const transcript = [
    { speaker: '用户', text: '你好' },
    { speaker: '用户', text: '我叫小明，我最喜欢喝龙井茶。' },
    { speaker: '李白', text: '好名字！我也爱茶，更爱酒。' },
    { speaker: '用户', text: '我打算明天去长安看看。' },
    { speaker: '李白', text: '长安我熟，你到了可以去曲江池走走。' },
  ];

  it('summaries say who said what, with the user\'s facts credited to the user', async () => {
    const out = await llm.completeJson<{ short_memories: string[] }>({ purpose: 'memory', messages: [{ role: 'user', content: '整理' }], hints: { characterName: '李白', transcript } }, SummarySchema);
    const items = out.short_memories;
    expect(items.find((m) => m.includes('小明'))).toMatch(/^用户说自己叫小明/);
    expect(items.find((m) => m.includes('长安看看'))).toMatch(/^用户说自己打算明天去长安看看/);
    expect(items.some((m) => m.startsWith('我'))).toBe(true);
    expect(items.join('\n')).not.toMatch(/李白 \||李白说.*小明|^你好/mu);
    for (const m of items) expect(m).not.toMatch(/…$/u);
  });

  it('integration extracts the user\'s facts into long-term memory', async () => {
    const summary = await llm.completeJson<{ short_memories: string[] }>({ purpose: 'memory', messages: [{ role: 'user', content: '整理' }], hints: { characterName: '李白', transcript } }, SummarySchema);
    const out = await llm.completeJson<{ long_term_memories: { content: string; importance: number }[] }>(
      { purpose: 'memory', messages: [{ role: 'user', content: '整合' }], hints: { characterName: '李白', memories: summary.short_memories, existingMemories: [] } },
      IntegrationSchema,
    );
    const facts = out.long_term_memories.map((f) => f.content);
    expect(facts).toEqual(expect.arrayContaining(['用户的名字是小明', '用户喜欢喝龙井茶', '用户计划明天去长安看看']));
    expect(out.long_term_memories.every((f) => f.importance > 0)).toBe(true);
  });
});

describe('offline model: bounded work', () => {
  it(`reads at most the last ${SCAN_LIMIT} characters of a message and answers briefly`, async () => {
    const c = built.get('li-bai')!;
    for (const unit of ['长安的月色很好，', 'x', 'word ']) {
      const long = unit.repeat(Math.ceil(8000 / unit.length)).slice(0, 8000) + '你怎么看友情？';
      const tail = long.slice(long.length - SCAN_LIMIT);
      const whole = await ask(c, long);
      // Same answer as for the tail alone: the rest of the message was never read.
      expect(whole).toBe(await ask(c, tail));
      expect(whole.length).toBeLessThanOrEqual(400);
    }
  });

  it('summarises an 8,000-character message into a short item', async () => {
    const out = await llm.completeJson<{ short_memories: string[] }>(
      { purpose: 'memory', messages: [{ role: 'user', content: '整理' }], hints: { characterName: '李白', transcript: [{ speaker: '用户', text: '我打算' + '走'.repeat(8000) }] } },
      Type.Object({ short_memories: Type.Array(Type.String()) }),
    );
    expect(out.short_memories.length).toBe(1);
    expect(out.short_memories[0].length).toBeLessThanOrEqual(100);
  });
});
