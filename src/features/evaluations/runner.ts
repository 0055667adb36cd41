/**
 * One test case, executed and judged. Execution builds the request the feature would send —
 * from the case's set-up and a read of its target — and calls the model; nothing is written to
 * the target's conversations or memory (the run works on this copy). The registry passed in
 * resolves the prompt under test to the run's version, so the active version is never touched.
 */
import { Type } from '@sinclair/typebox';
import { AppError } from '../../errors.js';
import type { Db } from '../../infra/db/index.js';
import type { LlmGateway, LlmRequest } from '../../infra/llm/index.js';
import type { PromptRegistry } from '../prompts/registry.js';
import * as characterStore from '../characters/store.js';
import type { Character } from '../characters/store.js';
import { fromLabelled, labelledSectionSchema, SECTION_BY_KEY, type SectionKey } from '../characters/profile.js';
import { cardPromptFields, loreFor } from '../characters/card-fields.js';
import { assemblePrompt, budgetsFrom, renderProfile, PROFILE_BUDGET, type HistoryMessage } from '../chat/prompt.js';
import { DEFAULT_SETTINGS } from '../users/settings.js';
import { briefOf } from '../groups/service.js';
import * as groupStore from '../groups/store.js';
import { RUBRICS, type Rubric } from './rubrics.js';
import { groupOwner, type CaseMessage, type TestCase, type Verdict } from './store.js';

const USER_LABEL = '用户';

export interface RunContext {
  db: Db;
  llm: LlmGateway;
  /** Resolves the prompt under test (and the judge) to the run's versions. */
  prompts: PromptRegistry;
  /** The model under test ('' = the configured default). */
  model: string;
  /** Who pays: the admin who started the run. */
  userId: number;
  signal: AbortSignal;
}

export interface Execution {
  output: string;
  /** What the judge reads, by placeholder name. */
  materials: Record<string, string>;
}

async function characterOf(db: Db, id: number | null): Promise<Character> {
  const c = id === null ? undefined : await characterStore.findCharacter(db, { userId: 0, isAdmin: true }, id);
  if (!c) throw new AppError('not_found:character', "The test case's character no longer exists");
  return c;
}

async function membersOf(db: Db, groupId: number | null): Promise<{ name: string; members: Character[] }> {
  const owner = groupId === null ? undefined : await groupOwner(db, groupId);
  const g = owner === undefined ? undefined : await groupStore.findGroup(db, owner, groupId!);
  if (!g) throw new AppError('not_found:group', "The test case's group no longer exists");
  const members = await Promise.all(g.members.map((m) => characterOf(db, m.characterId)));
  if (!members.length) throw new AppError('validation:group', 'The group has no members');
  return { name: g.name, members };
}

const transcript = (messages: CaseMessage[], assistantName: string) => messages.map((m) => `${m.speaker ?? (m.role === 'user' ? USER_LABEL : assistantName)}：${m.content}`).join('\n');
const characterInfo = (c: Character) => [c.biography.trim() && `简介：${c.biography.trim()}`, renderProfile(c.profile, PROFILE_BUDGET)].filter(Boolean).join('\n');

function request(ctx: RunContext, c: TestCase, r: Omit<LlmRequest, 'userId' | 'model' | 'temperature' | 'maxTokens'>): LlmRequest {
  return { ...r, model: ctx.model || c.config.model || undefined, temperature: c.config.temperature, maxTokens: c.config.maxTokens, userId: ctx.userId };
}

function budgets(c: TestCase) {
  const b = c.config.budgets ?? {};
  return budgetsFrom({ budgetSession: b.session ?? DEFAULT_SETTINGS.budgetSession, budgetShortTerm: b.shortTerm ?? DEFAULT_SETTINGS.budgetShortTerm, budgetLongTerm: b.longTerm ?? DEFAULT_SETTINGS.budgetLongTerm });
}

/** A one-to-one or group reply, assembled by the chat pipeline from the case's set-up. */
async function reply(ctx: RunContext, c: TestCase, speaker: Character, history: HistoryMessage[], extra?: { title: string; text: string }): Promise<string> {
  const rulesText = await ctx.prompts.render('chat.rules', { character_name: speaker.name });
  const lore = loreFor(speaker, history.map((m) => m.content));
  const prompt = assemblePrompt({
    characterName: speaker.name,
    rulesText,
    profile: speaker.profile,
    longTerm: (c.input.longTerm ?? []).map((content) => ({ content, importance: 1, pinned: false })),
    shortTerm: c.input.shortTerm ?? [],
    userProfileText: c.input.userProfile ?? '',
    history,
    budgets: budgets(c),
    extraContext: extra,
    card: cardPromptFields(speaker),
    lore,
    names: { char: speaker.name, user: USER_LABEL },
  });
  const { text } = await ctx.llm.completeText(request(ctx, c, { purpose: 'chat', messages: prompt.messages, hints: { characterName: speaker.name, profile: speaker.profile } }), ctx.signal);
  return text.trim();
}

const EXECUTORS: Record<Rubric['kind'], (ctx: RunContext, c: TestCase) => Promise<Execution>> = {
  async chat(ctx, c) {
    const character = await characterOf(ctx.db, c.characterId);
    const messages = c.input.messages ?? [];
    const output = await reply(ctx, c, character, messages.map((m) => ({ role: m.role, content: m.content })));
    return { output, materials: { character_name: character.name, character_info: characterInfo(character), chat_history: transcript(messages, character.name), latest_response: output } };
  },

  async group_chat(ctx, c) {
    const group = await membersOf(ctx.db, c.groupId);
    const speaker = group.members.find((m) => m.id === c.input.speakerId) ?? group.members[0];
    const messages = c.input.messages ?? [];
    // The speaker's own lines are its turns; everyone else's reach it as named user turns (as in a live group).
    const history = messages.map((m): HistoryMessage => (m.role === 'assistant' && (m.speaker ?? speaker.name) === speaker.name ? { role: 'assistant', content: m.content } : { role: 'user', content: m.content, speaker: m.speaker ?? USER_LABEL }));
    const others = group.members.filter((m) => m.id !== speaker.id);
    const extra = [`你在群聊「${group.name}」中，和${USER_LABEL}以及${others.map((o) => o.name).join('、')}一起交谈。对话记录里每条消息前标着说话人。`, ...others.map((o) => `- ${o.name}：${briefOf(o)}`), `只以${speaker.name}的身份说话，不要替别人发言。`].join('\n');
    const output = await reply(ctx, c, speaker, history, { title: '群聊成员', text: extra });
    return {
      output,
      materials: { group_info: group.members.map((m) => `- ${m.name}：${briefOf(m)}`).join('\n'), character_name: speaker.name, character_info: characterInfo(speaker), chat_history: transcript(messages, speaker.name), latest_response: output },
    };
  },

  async structure(ctx, c) {
    const key = c.input.section as SectionKey;
    const def = SECTION_BY_KEY[key];
    const persona = c.input.personaName || (c.characterId ? (await characterOf(ctx.db, c.characterId)).name : '');
    const markdown = c.input.sourceText ?? '';
    const [system, user] = await Promise.all([
      ctx.prompts.render('structure.system', {}),
      ctx.prompts.render('structure.section', {
        persona_name: persona,
        section_label: def.label,
        fields: def.fields.map((f) => `- ${f.label}${f.list ? '（字符串数组）' : ''}：${f.hint}`).join('\n'),
        detail_instruction: '【详略要求：简洁】每个字段只写一句最关键的话；数组字段最多列 3 项。',
        markdown,
      }),
    ]);
    const answer = await ctx.llm.completeJson<Record<string, unknown>>(
      request(ctx, c, { purpose: 'structure', messages: [{ role: 'system', content: system }, { role: 'user', content: user }], hints: { characterName: persona, sectionKey: key, sourceMarkdown: markdown } }),
      labelledSectionSchema(key),
      ctx.signal,
    );
    const output = JSON.stringify(fromLabelled(key, answer), null, 2);
    return { output, materials: { persona_name: persona, section_label: def.label, source_text: markdown, generated_content: output } };
  },

  async biography(ctx, c) {
    const character = c.characterId ? await characterOf(ctx.db, c.characterId) : undefined;
    const name = c.input.personaName || character?.name || '';
    const profile = c.input.profile ?? character?.profile ?? {};
    const profileJson = JSON.stringify(profile);
    const user = await ctx.prompts.render('structure.biography', { persona_name: name, profile_json: profileJson });
    const { text } = await ctx.llm.completeText(request(ctx, c, { purpose: 'structure', messages: [{ role: 'user', content: user }], hints: { characterName: name, profile } }), ctx.signal);
    const output = text.trim();
    return { output, materials: { character_name: name, profile_json: profileJson, generated_brief: output } };
  },

  async memory_summarize(ctx, c) {
    const name = c.input.personaName || (c.characterId ? (await characterOf(ctx.db, c.characterId)).name : '角色');
    const messages = c.input.messages ?? [];
    const lines = messages.map((m) => ({ speaker: m.speaker ?? (m.role === 'user' ? USER_LABEL : name), text: m.content }));
    const text = await ctx.prompts.render('memory.summarize', { character_name: name, messages: transcript(messages, name) });
    const out = await ctx.llm.completeJson<{ short_memories: string[] }>(
      request(ctx, c, { purpose: 'memory', messages: [{ role: 'user', content: text }], hints: { characterName: name, transcript: lines } }),
      Type.Object({ short_memories: Type.Array(Type.String()) }),
      ctx.signal,
    );
    const output = JSON.stringify(out, null, 2);
    return { output, materials: { original_messages: transcript(messages, name), compressed_memory: output } };
  },

  async memory_integrate(ctx, c) {
    const name = c.input.personaName || (c.characterId ? (await characterOf(ctx.db, c.characterId)).name : '角色');
    const shortTerm = c.input.shortTerm ?? [];
    const longTerm = c.input.longTerm ?? [];
    const list = (items: string[]) => items.map((m) => `- ${m}`).join('\n') || '（无）';
    const text = await ctx.prompts.render('memory.integrate', { character_name: name, summaries: list(shortTerm), existing: list(longTerm) });
    const out = await ctx.llm.completeJson<unknown>(
      request(ctx, c, { purpose: 'memory', messages: [{ role: 'user', content: text }], hints: { characterName: name, memories: shortTerm, existingMemories: longTerm } }),
      Type.Object({ long_term_memories: Type.Array(Type.Object({ content: Type.String(), importance: Type.Number() })) }),
      ctx.signal,
    );
    const output = JSON.stringify(out, null, 2);
    return { output, materials: { short_term_memory: list(shortTerm), existing_long_term_memory: list(longTerm), integrated_memory: output } };
  },

  async moderator(ctx, c) {
    const group = await membersOf(ctx.db, c.groupId);
    const messages = c.input.messages ?? [];
    const members = group.members.map((m) => `- ${m.name}：${briefOf(m)}`).join('\n');
    const last = [...messages].reverse().find((m) => m.role === 'assistant')?.speaker ?? USER_LABEL;
    const text = await ctx.prompts.render('group.moderator', { members, recent_messages: transcript(messages, '') || '（暂无消息）', last_speaker: last });
    const answer = await ctx.llm.completeJson<{ next_speaker: string; reason: string; confidence: number }>(
      request(ctx, c, {
        purpose: 'moderator',
        messages: [{ role: 'user', content: text }],
        hints: { members: group.members.map((m) => ({ id: m.id, name: m.name })), lastSpeaker: last, transcript: messages.map((m) => ({ speaker: m.speaker ?? USER_LABEL, text: m.content })) },
      }),
      Type.Object({ next_speaker: Type.String({ enum: group.members.map((m) => m.name) } as object), reason: Type.String({ maxLength: 200 }), confidence: Type.Number({ minimum: 0, maximum: 1 }) }),
      ctx.signal,
    );
    return {
      output: JSON.stringify(answer, null, 2),
      materials: { group_info: members, chat_history: transcript(messages, '') || '（暂无消息）', selected_character: answer.next_speaker, decision_reason: `${answer.reason}（置信度 ${answer.confidence}）` },
    };
  },
};

export const executeCase = (ctx: RunContext, c: TestCase): Promise<Execution> => EXECUTORS[c.kind](ctx, c);

/** The JSON a judge must answer: every dimension of its rubric, scored 0–10. */
export function verdictSchema(r: Rubric) {
  const list = Type.Array(Type.String({ maxLength: 1000 }), { maxItems: 10 });
  return Type.Object(
    {
      scores: Type.Object(Object.fromEntries(r.dimensions.map((d) => [d.key, Type.Number({ minimum: 0, maximum: 10 })]))),
      total: Type.Number({ minimum: 0, maximum: r.dimensions.length * 10 }),
      passed: Type.Boolean(),
      reasoning: Type.String({ maxLength: 8000 }),
      strengths: list,
      weaknesses: list,
      suggestions: list,
    },
    { $id: `verdict_${r.kind}` },
  );
}

/**
 * The judge's verdict. The gateway validates the answer against the rubric's schema and re-asks
 * once quoting the problem; a second bad answer throws `llm_bad_output` and the case fails.
 */
export async function judge(ctx: RunContext, c: TestCase, exec: Execution): Promise<{ verdict: Verdict; score: number; passed: boolean }> {
  const rubric = RUBRICS[c.kind];
  const text = await ctx.prompts.render(rubric.judgeKey, { ...exec.materials, expected_behaviour: c.expected.trim() || '（未填写）' } as never);
  // The judge runs on the configured default model, never the one under test.
  const verdict = await ctx.llm.completeJson<Verdict>({ purpose: 'evaluation', messages: [{ role: 'user', content: text }], temperature: 0.1, userId: ctx.userId }, verdictSchema(rubric), ctx.signal);
  const values = rubric.dimensions.map((d) => verdict.scores[d.key]);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const score = Math.round(mean * 100) / 10;
  return { verdict, score, passed: verdict.passed };
}

