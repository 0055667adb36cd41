import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assemblePrompt, renderExampleDialogue, rulesFor } from '../../../src/features/chat/prompt.js';
import { cardToCharacter, characterToCard, parseCard } from '../../../src/features/characters/card.js';
import { alternateGreetingsOf, cardPromptFields, greetingOf } from '../../../src/features/characters/card-fields.js';
import { expandMacros } from '../../../src/shared/macros.js';
import { joinContinuation } from '../../../src/features/chat/service.js';

const bytes = readFileSync(new URL('../../fixtures/cards/v2-prompt-fields.json', import.meta.url));
const imported = cardToCharacter(parseCard({ bytes }));
const character = { ...imported, cardExtras: imported.cardExtras as unknown as Record<string, unknown> };
const names = { char: '林黛玉', user: '小明' };

describe('macros', () => {
  it('expands {{char}}, {{user}} and legacy <BOT>/<USER>, case-insensitively', () => {
    expect(expandMacros('{{char}} {{CHAR}} {{ user }} {{User}} <BOT> <user> <Bot>', names)).toBe('林黛玉 林黛玉 小明 小明 林黛玉 小明 林黛玉');
  });
  it('leaves other braces and tags alone', () => {
    expect(expandMacros('{{random}} <b>{{original}}</b> {char}', names)).toBe('{{random}} <b>{{original}}</b> {char}');
  });
});

describe('a V2 card in the prompt', () => {
  it('keeps the greeting raw and the alternatives for swipes', () => {
    expect(greetingOf(character)).toBe('*{{char}}放下手中的花锄，抬眼看你。*“你就是{{User}}？听说你今日才进园子。”');
    expect(expandMacros(greetingOf(character), names)).toBe('*林黛玉放下手中的花锄，抬眼看你。*“你就是小明？听说你今日才进园子。”');
    expect(alternateGreetingsOf(character)).toEqual(['*{{char}}轻轻叹了口气。*“又是一年春尽时。”']);
  });

  it('lands description, personality, scenario, greeting and example dialogue in the profile', () => {
    expect(character.profile.identity?.intro).toContain('贾府的表小姐');
    expect(character.profile.personality?.traits).toBe('敏感、聪慧、多愁善感');
    expect(character.profile.world?.worldview).toContain('沁芳桥');
    expect(character.profile.dialogue?.greeting).toContain('花锄');
    expect(character.profile.dialogue?.exampleDialogue).toContain('葬花');
  });

  it('system_prompt replaces the rules with {{original}} standing for ours', () => {
    expect(rulesFor('保持角色。', { systemPrompt: '先说这个。{{original}}然后这个。' })).toBe('先说这个。保持角色。然后这个。');
    expect(rulesFor('保持角色。', { systemPrompt: '  ' })).toBe('保持角色。');
    expect(rulesFor('保持角色。', { systemPrompt: '只用这个。' })).toBe('只用这个。');
  });

  it('keeps example dialogue in whole <START> blocks within the budget', () => {
    const text = '<START>\nA：一\n<START>\nB：二\n<START>\n' + 'C：' + '长'.repeat(2000);
    const out = renderExampleDialogue(text, 100);
    expect(out).toBe('A：一\n\n---\n\nB：二');
  });

  it('matches the golden prompt: rules from system_prompt, example dialogue, post-history last, macros expanded', () => {
    const p = assemblePrompt({
      characterName: character.name,
      rulesText: '1. 你现在就是林黛玉。',
      profile: character.profile,
      longTerm: [],
      shortTerm: [],
      userProfileText: '',
      history: [
        { role: 'assistant', content: greetingOf(character) },
        { role: 'user', content: '<BOT>，你好。' },
      ],
      budgets: { profile: 1500, longTerm: 800, shortTerm: 800, userProfile: 200, session: 2000 },
      card: cardPromptFields(character),
      names,
    });
    expect(p.parts.map((x) => x.name)).toEqual(['rules', 'profile', 'long_term_memory', 'short_term_memory', 'user_profile', 'recent_messages', 'example_dialogue', 'post_history']);
    expect(p.messages).toMatchInlineSnapshot(`
      [
        {
          "content": "## 角色扮演规则
      你扮演林黛玉，与小明对话。1. 你现在就是林黛玉。

      ## 你的角色设定（林黛玉）
      ### 基础身份信息
      - 人物简介：林黛玉是贾府的表小姐，寄居荣国府，才情出众。
      ### 个性与行为设定
      - 性格特质：敏感、聪慧、多愁善感
      ### 环境与世界观
      - 世界观：小明初到大观园，在沁芳桥边遇见了林黛玉。

      ## 对话示例（仅示范语气与格式）
      小明：你在做什么？
      林黛玉：葬花。这些花儿落了，怪可怜的。

      ---

      小明：宝玉在哪里？
      林黛玉：林黛玉哪里知道他去了何处。

      ## 长期记忆
      （暂无）

      ## 短期记忆
      （暂无）",
          "role": "system",
        },
        {
          "content": "*林黛玉放下手中的花锄，抬眼看你。*“你就是小明？听说你今日才进园子。”",
          "role": "assistant",
        },
        {
          "content": "林黛玉，你好。",
          "role": "user",
        },
        {
          "content": "回复不超过三句话，保持林黛玉的口吻。",
          "role": "system",
        },
      ]
    `);
  });

  it('export stays byte-faithful: macros are never written into the card', () => {
    const v2 = characterToCard({ ...character, createdAt: 0, updatedAt: 0 }, 'v2');
    expect(v2.data.first_mes).toBe(JSON.parse(bytes.toString('utf8')).data.first_mes);
    expect(v2.data.system_prompt).toBe('你扮演{{char}}，与<USER>对话。{{original}}');
    expect(v2.data.scenario).toBe('{{user}}初到大观园，在沁芳桥边遇见了<BOT>。');
  });
});

describe('continue', () => {
  it('joins a continuation: a space between Latin words, nothing inside Chinese', () => {
    expect(joinContinuation('She turned to', ' the door.')).toBe('She turned to the door.');
    expect(joinContinuation('She turned.', 'Then')).toBe('She turned. Then');
    expect(joinContinuation('她转过身，', ' 望向门外。')).toBe('她转过身，望向门外。');
  });
});
