import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { SECTION_KEYS, labelledSectionSchema } from '../../../src/features/characters/profile.js';
import { MemoryCache } from '../../../src/infra/cache/memory-cache.js';
import { createLlmGateway, type LlmRequest } from '../../../src/infra/llm/index.js';
import { Metrics } from '../../../src/infra/metrics.js';
import { drain, llmConfig, offlineGateway } from '../../support/mock-llm.js';

const MARKDOWN = `# 李白

## 概述

李白（701年－762年），字太白，号青莲居士，唐朝浪漫主义诗人。被后人誉为“诗仙”。

## 人物生平

李白出生于西域碎叶城，少年时随父迁居绵州昌隆县。
天宝元年（742年），李白奉诏入京，供奉翰林。
他性格豪放不羁，嗜酒如命，喜欢游历名山大川。
李白擅长七言绝句与乐府诗，代表作有《静夜思》《将进酒》。

- 配偶：许氏

### url

https://baike.baidu.com/item/李白

### infobox

#### 中文名

李白

#### 别名

李太白、诗仙

#### 出生日期

701年

#### 逝世日期

762年

#### 代表作品

《静夜思》《将进酒》`;

const PROFILE = {
  identity: { name: '李白', occupation: '唐代诗人' },
  personality: { traits: '豪放不羁，嗜酒如命', speakingStyle: '豪迈洒脱，出口成诗', values: '人生得意须尽欢' },
  background: { experiences: ['天宝元年奉诏入京，供奉翰林'], currentSituation: '漫游江湖，以诗酒自娱' },
};

const structure = (sectionKey: string): LlmRequest => ({
  purpose: 'structure',
  messages: [{ role: 'user', content: '请提炼' }],
  hints: { characterName: '李白', sectionKey, sourceMarkdown: MARKDOWN },
});

const sentenceCount = (text: string) => text.split(/(?<=[。！？!?.])/).filter((s) => s.trim().length > 1).length;

describe('offline provider', () => {
  it('names itself and its one model', () => {
    const { llm } = offlineGateway();
    expect(llm.provider).toBe('offline');
    expect(llm.models()).toEqual(['offline']);
  });

  it('fills every profile section with JSON that validates against the labelled schema', async () => {
    const { llm } = offlineGateway();
    const out: Record<string, Record<string, unknown>> = {};
    for (const key of SECTION_KEYS) out[key] = await llm.completeJson(structure(key), labelledSectionSchema(key));
    expect(out.identity['姓名']).toContain('李白');
    expect(out.identity['称谓/头衔']).toContain('诗仙');
    expect(out.identity['年龄']).toBe('享年约61岁');
    expect(out.identity['人物简介']).toContain('浪漫主义诗人');
    expect(out.personality['性格特质']).toContain('豪放不羁');
    expect(out.background['经历']).toEqual(expect.arrayContaining([expect.stringContaining('天宝元年')]));
    expect(out.background['关系网络']).toContain('配偶：许氏');
    expect(out.background['出身']).toContain('碎叶');
    expect(out.knowledge['技能']).toContain('擅长');
    expect(out.source['链接']).toBe('https://baike.baidu.com/item/李白');
  });

  it('writes a 2–4 sentence biography from the profile', async () => {
    const { llm } = offlineGateway();
    const { text } = await llm.completeText({ purpose: 'structure', messages: [{ role: 'user', content: '写简介' }], hints: { characterName: '李白', profile: PROFILE } });
    expect(text).toContain('李白');
    expect(sentenceCount(text)).toBeGreaterThanOrEqual(2);
    expect(sentenceCount(text)).toBeLessThanOrEqual(4);
  });

  it('writes a greeting in the character\'s voice, in Chinese or English by its material, with {{user}} left as a macro', async () => {
    const { llm } = offlineGateway();
    const zh = (await llm.completeText({ purpose: 'structure', messages: [{ role: 'user', content: '写开场白' }], hints: { characterName: '李白', profile: PROFILE, sourceMarkdown: MARKDOWN, writing: 'greeting' } })).text;
    expect(zh).toContain('{{user}}');
    expect(zh).toMatch(/^\*李白.+\*/u);
    expect(zh).toContain('我是李白，唐代诗人。');
    expect(zh).toMatch(/[？?]$/u);
    const holmes = { identity: { name: 'Sherlock Holmes', occupation: 'consulting detective' }, personality: { traits: 'observant, restless, precise' } };
    const en = (await llm.completeText({ purpose: 'structure', messages: [{ role: 'user', content: 'Write a greeting' }], hints: { characterName: 'Sherlock Holmes', profile: holmes, sourceMarkdown: 'Sherlock Holmes is a consulting detective in London.', writing: 'greeting' } })).text;
    expect(en).toMatch(/^\*Sherlock Holmes [a-z]/);
    expect(en).toContain('Well met, {{user}}. I am Sherlock Holmes, consulting detective.');
    expect(en).not.toMatch(/[\u3400-\u9fff]/u);
  });

  it('replies in character, in the user language, streamed in chunks, varying with the message', async () => {
    const { llm } = offlineGateway();
    const ask = (content: string) => drain(llm.streamChat({ purpose: 'chat', messages: [{ role: 'system', content: '规则' }, { role: 'user', content }], hints: { characterName: '李白', profile: PROFILE } }));
    const zh = await ask('你平时最喜欢做什么？');
    const reply = zh.chunks.join('');
    expect(zh.chunks.length).toBeGreaterThan(3);
    expect(reply).toMatch(/豪放不羁|天宝元年|人生得意须尽欢|豪迈洒脱|唐代诗人/);
    expect(sentenceCount(reply)).toBeGreaterThanOrEqual(2);
    expect(sentenceCount(reply)).toBeLessThanOrEqual(4);
    const en = (await ask('What do you think about friendship?')).chunks.join('');
    expect(en).toMatch(/^[A-Za-z"]/);
    const other = (await ask('我们去喝酒吧')).chunks.join('');
    expect(other).not.toBe(reply);
    expect(zh.usage!.completionTokens).toBeGreaterThan(0);
  });

  it('summarises a conversation extractively, skipping greetings', async () => {
    const { llm } = offlineGateway();
    const out = await llm.completeJson<{ short_memories: string[] }>(
      {
        purpose: 'memory',
        messages: [{ role: 'user', content: '整理' }],
        hints: {
          characterName: '李白',
          transcript: [
            { speaker: '用户', text: '你好' },
            { speaker: '用户', text: '我答应明天带你去看灯会' },
            { speaker: '李白', text: '好，我最喜欢热闹的灯会了' },
            { speaker: '用户', text: '嗯' },
          ],
        },
      },
      Type.Object({ short_memories: Type.Array(Type.String()) }),
    );
    expect(out.short_memories).toContain('用户说自己答应明天带我去看灯会');
    expect(out.short_memories).toContain('我说：好，我最喜欢热闹的灯会了');
    expect(out.short_memories.join()).not.toMatch(/你好|嗯/);
  });

  it('integrates memories with importance, merging duplicates', async () => {
    const { llm } = offlineGateway();
    const schema = Type.Object({
      long_term_memories: Type.Array(Type.Object({ content: Type.String(), importance: Type.Number({ minimum: 0, maximum: 15 }), reason: Type.String() })),
      merged_count: Type.Integer(),
      discarded_count: Type.Integer(),
    });
    const out = await llm.completeJson<{ long_term_memories: { content: string; importance: number }[]; merged_count: number }>(
      { purpose: 'memory', messages: [{ role: 'user', content: '整合' }], hints: { memories: ['小明 | 承诺 | 带李白看灯会', '李白 | 提到 | 长安'], existingMemories: ['李白 | 提到 | 长安'] } },
      schema,
    );
    expect(out.long_term_memories.map((m) => m.content)).toEqual(['李白 | 提到 | 长安', '小明 | 承诺 | 带李白看灯会']);
    expect(out.merged_count).toBe(1);
    expect(out.long_term_memories[1].importance).toBeGreaterThan(out.long_term_memories[0].importance);
  });

  it('moderates: picks the member addressed by name, never the last speaker', async () => {
    const { llm } = offlineGateway();
    const schema = Type.Object({ next_speaker: Type.String(), reason: Type.String(), confidence: Type.Number({ minimum: 0, maximum: 1 }) });
    const members = [
      { id: 1, name: '李白' },
      { id: 2, name: '杜甫' },
      { id: 3, name: '王维', aliases: ['摩诘'] },
    ];
    const ask = (text: string) =>
      llm.completeJson<{ next_speaker: string; confidence: number }>(
        { purpose: 'moderator', messages: [{ role: 'user', content: '谁说话' }], hints: { members, lastSpeaker: 1, transcript: [{ speaker: '李白', text }] } },
        schema,
      );
    const addressed = await ask('摩诘兄，你怎么看？');
    expect(addressed.next_speaker).toBe('王维');
    expect(addressed.confidence).toBeGreaterThanOrEqual(0.8);
    const free = await ask('今晚月色真好');
    expect(free.next_speaker).not.toBe('李白');
  });

  it('answers any other JSON schema validly (evaluation)', async () => {
    const { llm } = offlineGateway();
    const out = await llm.completeJson<{ score: number; passed: boolean; reason: string }>(
      { purpose: 'evaluation', messages: [{ role: 'user', content: '评分' }] },
      Type.Object({ score: Type.Number({ minimum: 0, maximum: 10 }), passed: Type.Boolean(), reason: Type.String() }),
    );
    expect(out.score).toBeGreaterThanOrEqual(0);
    expect(out.passed).toBe(true);
  });

  it('stops streaming when the caller aborts', async () => {
    const llm = createLlmGateway(llmConfig({ FASTNPC_LLM_PROVIDER: 'offline' }), { cache: new MemoryCache(), metrics: new Metrics({ defaultMetrics: false }), offlineChunkDelayMs: 5 });
    const ctrl = new AbortController();
    const gen = llm.streamChat({ purpose: 'chat', messages: [{ role: 'user', content: '讲讲你的故事' }] }, ctrl.signal);
    await gen.next();
    ctrl.abort();
    await expect(gen.next()).rejects.toThrow();
  });
});
