import { describe, expect, it } from 'vitest';
import { assemblePrompt, renderLongTerm, renderProfile, renderShortTerm, selectRecent, truncateToTokens, type PromptInput } from '../../../src/features/chat/prompt.js';
import { estimateTokens } from '../../../src/infra/llm/index.js';

const base: PromptInput = {
  characterName: '李白',
  rulesText: '1. 你现在就是李白。\n2. 始终以第一人称交谈。',
  profile: {
    identity: { name: '李白', titles: '诗仙', intro: '唐代浪漫主义诗人。' },
    personality: { traits: '豪放不羁', speakingStyle: '出口成章' },
    background: { experiences: ['少年游侠', '供奉翰林'], relationships: ['好友：杜甫'] },
    source: { url: 'https://example.org' },
  },
  longTerm: [
    { content: '用户 | 喜欢 | 《静夜思》', importance: 0.4, pinned: false },
    { content: '用户 | 名叫 | 小明', importance: 0.9, pinned: false },
    { content: '用户 | 约定 | 中秋同饮', importance: 0.1, pinned: true },
  ],
  shortTerm: ['用户 | 问起 | 长安的酒', '李白 | 提到 | 贺知章'],
  userProfileText: '一个喜欢唐诗的程序员',
  history: [
    { role: 'user', content: '你好，李白！' },
    { role: 'assistant', content: '幸会幸会，且饮一杯。' },
    { role: 'user', content: '你最喜欢哪首诗？' },
  ],
  budgets: { profile: 1500, longTerm: 800, shortTerm: 800, userProfile: 200, session: 2000 },
};

describe('chat prompt', () => {
  it('matches the golden prompt (six parts, in order)', () => {
    const p = assemblePrompt(base);
    expect(p.parts.map((x) => x.name)).toEqual(['rules', 'profile', 'long_term_memory', 'short_term_memory', 'user_profile', 'recent_messages']);
    expect(p.messages).toMatchInlineSnapshot(`
      [
        {
          "content": "## 角色扮演规则
      1. 你现在就是李白。
      2. 始终以第一人称交谈。

      ## 你的角色设定（李白）
      ### 基础身份信息
      - 姓名：李白
      - 称谓/头衔：诗仙
      - 人物简介：唐代浪漫主义诗人。
      ### 个性与行为设定
      - 性格特质：豪放不羁
      - 说话方式：出口成章
      ### 背景故事
      - 经历：少年游侠；供奉翰林
      - 关系网络：好友：杜甫

      ## 长期记忆
      - 用户 | 约定 | 中秋同饮
      - 用户 | 名叫 | 小明
      - 用户 | 喜欢 | 《静夜思》

      ## 短期记忆
      - 用户 | 问起 | 长安的酒
      - 李白 | 提到 | 贺知章

      ## 对话者的自我介绍
      一个喜欢唐诗的程序员",
          "role": "system",
        },
        {
          "content": "你好，李白！",
          "role": "user",
        },
        {
          "content": "幸会幸会，且饮一杯。",
          "role": "assistant",
        },
        {
          "content": "你最喜欢哪首诗？",
          "role": "user",
        },
      ]
    `);
  });

  it('sizes every part for the inspector as the messages were sent, and renders a new profile anew', () => {
    const p = assemblePrompt(base);
    const sizes = Object.fromEntries(p.parts.map((x) => [x.name, x.tokens]));
    expect(sizes.recent_messages).toBe(estimateTokens('user: 你好，李白！\nassistant: 幸会幸会，且饮一杯。\nuser: 你最喜欢哪首诗？'));
    expect(sizes.profile).toBe(estimateTokens(renderProfile(base.profile, base.budgets.profile)));
    expect(p.totalTokens).toBe(p.messages.reduce((n, m) => n + estimateTokens(m.content) + 4, 0));
    // The rendered profile is kept per profile object: the same object gives the same text, an
    // edited profile (a new object, as read again after an edit) gives its own.
    expect(assemblePrompt(base).messages[0].content).toBe(p.messages[0].content);
    const edited = assemblePrompt({ ...base, profile: { ...base.profile, personality: { traits: '沉静寡言', speakingStyle: '惜字如金' } } });
    expect(edited.messages[0].content).toContain('沉静寡言');
    expect(edited.messages[0].content).not.toContain('豪放不羁');
    // Another budget for the same profile is fitted to that budget.
    const small = assemblePrompt({ ...base, budgets: { ...base.budgets, profile: 20 } });
    expect(small.messages[0].content).not.toContain('供奉翰林');
  });

  it('counts CJK text per character, not per four characters', () => {
    expect(estimateTokens('床前明月光')).toBe(5);
    expect(estimateTokens('hello world!')).toBe(3);
  });

  it('keeps the newest messages within the session budget, oldest first', () => {
    const history = Array.from({ length: 50 }, (_, i) => ({ role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant', content: `第${i}条消息，内容是一些中文文字。` }));
    const kept = selectRecent(history, 100);
    expect(kept.length).toBeGreaterThan(1);
    expect(kept.length).toBeLessThan(50);
    expect(kept[kept.length - 1].content).toBe(history[49].content);
    expect(kept[0].content).toBe(history[50 - kept.length].content);
    const used = kept.reduce((n, m) => n + estimateTokens(m.content) + 4, 0);
    expect(used).toBeLessThanOrEqual(100);
  });

  it('selects with the token counts a stored message carries, the same as counting anew', () => {
    const history = Array.from({ length: 50 }, (_, i) => ({ role: (i % 2 ? 'assistant' : 'user') as 'user' | 'assistant', content: `第${i}条消息，Some English words too.` }));
    const counted = history.map((m) => ({ ...m, tokens: estimateTokens(m.content) }));
    expect(selectRecent(counted, 120).map((m) => m.content)).toEqual(selectRecent(history, 120).map((m) => m.content));
    // The count is trusted as given: it is not counted again.
    const claimed = history.map((m) => ({ ...m, tokens: 1 }));
    expect(selectRecent(claimed, 120)).toHaveLength(24);
  });

  it('always keeps the newest message, cut if it alone is over budget', () => {
    const long = '长'.repeat(5000);
    const kept = selectRecent([{ role: 'user', content: 'old' }, { role: 'user', content: long }], 300);
    expect(kept).toHaveLength(1);
    expect(kept[0].content.startsWith('长长长')).toBe(true);
    expect(estimateTokens(kept[0].content)).toBeLessThanOrEqual(300);
  });

  it('fits English and Chinese memories to their budgets, pinned first', () => {
    const items = Array.from({ length: 40 }, (_, i) => ({ content: i % 2 ? `User said fact number ${i} about the weather` : `用户提到了第${i}件事情`, importance: i / 40, pinned: i === 3 }));
    const text = renderLongTerm(items, 60);
    expect(estimateTokens(text)).toBeLessThanOrEqual(60);
    expect(text.split('\n')[0]).toContain('fact number 3');
    const stm = renderShortTerm(items.map((i) => i.content), 40);
    expect(estimateTokens(stm)).toBeLessThanOrEqual(40);
    expect(stm.endsWith(items[39].content)).toBe(true);
  });

  it('cuts the profile to its budget and skips the source section', () => {
    const text = renderProfile({ identity: { intro: '诗'.repeat(3000) }, source: { url: 'x' } }, 100);
    expect(estimateTokens(text)).toBeLessThanOrEqual(100);
    expect(text).not.toContain('来源');
    expect(truncateToTokens('abc', 10)).toBe('abc');
  });
});
