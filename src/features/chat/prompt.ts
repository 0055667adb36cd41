/**
 * The chat prompt as an ordered pipeline of six small parts, each within its own token budget:
 * ① fixed role-play rules ② structured profile ③ long-term memory ④ short-term memory
 * ⑤ the user's own profile ⑥ the recent uncompressed messages.
 * Pure functions only: fitting to budgets is unit-tested and pinned by a golden test.
 */
import { estimateTokens, type ChatMessage } from '../../infra/llm/index.js';
import { SECTIONS, type Profile, type Section } from '../characters/profile.js';
import { expandMacros, type MacroNames } from '../../shared/macros.js';
import type { FiredEntry } from '../lorebooks/activate.js';

export interface PromptPart {
  name: 'rules' | 'profile' | 'lore_before' | 'lore_after' | 'example_dialogue' | 'long_term_memory' | 'short_term_memory' | 'user_profile' | 'recent_messages' | 'post_history';
  text: string;
  tokens: number;
  budget: number;
}

export interface MemoryForPrompt {
  content: string;
  importance: number;
  pinned: boolean;
}

export interface HistoryMessage {
  role: 'user' | 'assistant';
  content: string;
  /** In group chats, who said it. */
  speaker?: string;
  /** `estimateTokens(content)` when the caller knows it already (a stored message counts it once). */
  tokens?: number;
}

export interface PromptBudgets {
  profile: number;
  longTerm: number;
  shortTerm: number;
  userProfile: number;
  session: number;
}

export interface PromptInput {
  characterName: string;
  rulesText: string;
  profile: Profile;
  longTerm: MemoryForPrompt[];
  /** Oldest first. */
  shortTerm: string[];
  userProfileText: string;
  /** Oldest first; the last one is the message being answered. */
  history: HistoryMessage[];
  budgets: PromptBudgets;
  /** Extra system text placed after the profile (e.g. a group's other members). */
  extraContext?: { title: string; text: string };
  /** The card's own prompt fields (V2/V3), used as the spec says; see `CardPromptFields`. */
  card?: CardPromptFields;
  /** Fired lorebook entries, already fitted to the lore budget, around the character's profile. */
  lore?: { before: string; after: string };
  /** Names for `{{char}}`/`{{user}}`; without them the text goes in as written. */
  names?: MacroNames;
}

/**
 * - systemPrompt: replaces our role-play rules; `{{original}}` in it stands for them.
 * - postHistoryInstructions: a system message after the history (`{{original}}` → nothing: we have no default).
 * - exampleDialogue: `mes_example`, `<START>`-separated blocks, kept whole while they fit EXAMPLE_DIALOGUE_BUDGET.
 */
export interface CardPromptFields {
  systemPrompt?: string;
  postHistoryInstructions?: string;
  exampleDialogue?: string;
}

export interface AssembledPrompt {
  messages: ChatMessage[];
  parts: PromptPart[];
  totalTokens: number;
  /** The lorebook entries that fired (for the prompt inspector). */
  lore?: { fired: FiredLore[]; overBudget: FiredLore[] };
}

/** A lorebook entry that fired this turn, as the inspector shows it. */
export type FiredLore = FiredEntry;

export const PROFILE_BUDGET = 1500;
export const USER_PROFILE_BUDGET = 200;
export const EXAMPLE_DIALOGUE_BUDGET = 600;

/** The budgets of a user's prompts: fixed for the profile parts, from settings for memory and history. */
export function budgetsFrom(settings: { budgetSession: number; budgetShortTerm: number; budgetLongTerm: number }): PromptBudgets {
  return { profile: PROFILE_BUDGET, longTerm: settings.budgetLongTerm, shortTerm: settings.budgetShortTerm, userProfile: USER_PROFILE_BUDGET, session: settings.budgetSession };
}

/** Cuts text to about `budget` tokens, at a character boundary, marking the cut. */
export function truncateToTokens(text: string, budget: number): string {
  if (estimateTokens(text) <= budget) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (estimateTokens(text.slice(0, mid)) + 1 <= budget) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

/** ② The profile as labelled Markdown; sections in their fixed order; fields cut to fit the budget. */
export function renderProfile(profile: Profile, budget: number): string {
  const lines: string[] = [];
  for (const section of SECTIONS) {
    if (section.key === 'source') continue;
    const values = profile[section.key] as Section | undefined;
    if (!values) continue;
    const fieldLines: string[] = [];
    for (const f of section.fields) {
      const v = values[f.key];
      const text = Array.isArray(v) ? v.filter((x) => typeof x === 'string' && x.trim()).join('；') : typeof v === 'string' ? v.trim() : '';
      if (text) fieldLines.push(`- ${f.label}：${text}`);
    }
    if (fieldLines.length) lines.push(`### ${section.label}`, ...fieldLines);
  }
  return fitLines(lines, budget);
}

/** Keeps whole lines while they fit; the line that crosses the budget is cut. */
function fitLines(lines: string[], budget: number): string {
  const out: string[] = [];
  let used = 0;
  for (const line of lines) {
    const t = estimateTokens(line) + 1;
    if (used + t > budget) {
      const rest = budget - used;
      if (rest > 8) out.push(truncateToTokens(line, rest - 1));
      break;
    }
    out.push(line);
    used += t;
  }
  return out.join('\n');
}

/** ③ Pinned items first, then by importance; as many as fit. */
export function renderLongTerm(items: MemoryForPrompt[], budget: number): string {
  const sorted = [...items].sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.importance - a.importance);
  return fitLines(sorted.map((m) => `- ${m.content}`), budget);
}

/** ④ The newest summaries that fit, shown oldest first. */
export function renderShortTerm(items: string[], budget: number): string {
  const kept: string[] = [];
  let used = 0;
  for (let i = items.length - 1; i >= 0; i--) {
    const line = `- ${items[i]}`;
    const t = estimateTokens(line) + 1;
    if (used + t > budget) break;
    kept.unshift(line);
    used += t;
  }
  return kept.join('\n');
}

/**
 * ⑥ The newest messages that fit the session budget, oldest first. The newest message always
 * fits: if it alone is over budget it is cut, never dropped.
 */
export function selectRecent(history: HistoryMessage[], budget: number): HistoryMessage[] {
  const kept: HistoryMessage[] = [];
  let used = 0;
  for (let i = history.length - 1; i >= 0; i--) {
    const m = history[i];
    const t = (m.tokens ?? estimateTokens(m.content)) + 4;
    if (used + t > budget) {
      if (kept.length === 0) kept.unshift({ ...m, content: truncateToTokens(m.content, Math.max(16, budget - 4)), tokens: undefined });
      break;
    }
    kept.unshift(m);
    used += t;
  }
  return kept;
}

function part(name: PromptPart['name'], text: string, budget: number): PromptPart {
  return { name, text, tokens: estimateTokens(text), budget };
}

const ORIGINAL = /\{\{\s*original\s*\}\}/gi;

/** The rules: the card's system_prompt when it has one, with `{{original}}` standing for ours. */
export function rulesFor(ourRules: string, card: CardPromptFields | undefined): string {
  const own = card?.systemPrompt?.trim();
  return own ? own.replace(ORIGINAL, () => ourRules.trim()) : ourRules.trim();
}

/** `mes_example` as whole `<START>` blocks, in order, while they fit the budget. */
export function renderExampleDialogue(text: string, budget: number): string {
  const blocks = text.split(/<START>/i).map((b) => b.trim()).filter(Boolean);
  const kept: string[] = [];
  let used = 0;
  for (const block of blocks) {
    const t = estimateTokens(block) + 2;
    if (used + t > budget) break;
    kept.push(block);
    used += t;
  }
  return kept.join('\n\n---\n\n');
}

// A character's profile renders to the same text every turn until it changes, and a changed
// profile is a new object (read again from the database): the text is kept per object and budget.
const renderedProfiles = new WeakMap<Profile, Map<number, string>>();
function renderProfileOnce(profile: Profile, budget: number): string {
  let byBudget = renderedProfiles.get(profile);
  if (!byBudget) renderedProfiles.set(profile, (byBudget = new Map()));
  let text = byBudget.get(budget);
  if (text === undefined) byBudget.set(budget, (text = renderProfile(profile, budget)));
  return text;
}

/**
 * The messages to send, and (for the prompt inspector) each part with its size. A turn reads only
 * `messages`: `parts` and `totalTokens` are computed when first read, so a turn does not count
 * the tokens of every part and message again nor join the history into one more string.
 */
export function assemblePrompt(input: PromptInput): AssembledPrompt {
  const b = input.budgets;
  const names = input.names;
  const expand = (text: string) => (names ? expandMacros(text, names) : text);
  const recent = selectRecent(input.history, b.session);
  const rulesText = expand(rulesFor(input.rulesText, input.card));
  const profileText = expand(renderProfileOnce(input.profile, b.profile));
  const ltmText = renderLongTerm(input.longTerm, b.longTerm);
  const stmText = renderShortTerm(input.shortTerm, b.shortTerm);
  const userProfile = truncateToTokens(input.userProfileText.trim(), b.userProfile);
  // Optional parts (only when the card or lorebook has them), so a plain character's prompt is unchanged.
  const optional = (text: string) => (text.trim() ? expand(text.trim()) : '');
  const loreBefore = optional(input.lore?.before ?? '');
  const loreAfter = optional(input.lore?.after ?? '');
  const examples = optional(renderExampleDialogue(input.card?.exampleDialogue ?? '', EXAMPLE_DIALOGUE_BUDGET));
  const postHistoryText = input.card?.postHistoryInstructions?.replace(ORIGINAL, '') ?? '';
  const postHistory = optional(postHistoryText);
  const system = [
    `## 角色扮演规则\n${rulesText}`,
    loreBefore ? `## 世界设定\n${loreBefore}` : '',
    `## 你的角色设定（${input.characterName}）\n${profileText || '（无）'}`,
    loreAfter ? `## 相关设定\n${loreAfter}` : '',
    examples ? `## 对话示例（仅示范语气与格式）\n${examples}` : '',
    input.extraContext ? `## ${input.extraContext.title}\n${input.extraContext.text}` : '',
    `## 长期记忆\n${ltmText || '（暂无）'}`,
    `## 短期记忆\n${stmText || '（暂无）'}`,
    userProfile ? `## 对话者的自我介绍\n${userProfile}` : '',
  ]
    .filter(Boolean)
    .join('\n\n');
  const messages: ChatMessage[] = [
    { role: 'system', content: system },
    ...recent.map((m): ChatMessage => ({ role: m.role, content: m.speaker ? `${m.speaker}：${expand(m.content)}` : expand(m.content) })),
    ...(postHistory ? [{ role: 'system' as const, content: postHistory }] : []),
  ];
  let parts: PromptPart[] | undefined;
  let totalTokens: number | undefined;
  return {
    messages,
    get parts() {
      return (parts ??= [
        part('rules', rulesText, estimateTokens(rulesText)),
        part('profile', profileText, b.profile),
        part('long_term_memory', ltmText, b.longTerm),
        part('short_term_memory', stmText, b.shortTerm),
        part('user_profile', userProfile, b.userProfile),
        part('recent_messages', recent.map((m) => `${m.speaker ?? m.role}: ${expand(m.content)}`).join('\n'), b.session),
        ...(loreBefore ? [part('lore_before', loreBefore, estimateTokens(input.lore!.before))] : []),
        ...(loreAfter ? [part('lore_after', loreAfter, estimateTokens(input.lore!.after))] : []),
        ...(examples ? [part('example_dialogue', examples, EXAMPLE_DIALOGUE_BUDGET)] : []),
        ...(postHistory ? [part('post_history', postHistory, estimateTokens(postHistoryText))] : []),
      ]);
    },
    get totalTokens() {
      return (totalTokens ??= messages.reduce((n, m) => n + estimateTokens(m.content) + 4, 0));
    },
  };
}
