/**
 * Builds bundled characters through the offline model (the same gateway calls creation makes) and
 * checks the properties every offline sentence must have. Shared by the unit and HTTP tests.
 */
import { SECTION_KEYS, fromLabelled, labelledSectionSchema } from '../../src/features/characters/profile.js';
import { BUNDLED_ENTRIES, bundledPage, type BundledEntry } from '../../src/features/sources/bundled/index.js';
import { pageToMarkdown } from '../../src/features/sources/markdown.js';
import type { LlmGateway } from '../../src/infra/llm/index.js';

export interface BuiltCharacter {
  entry: BundledEntry;
  /** The name a user would type (the entry's title). */
  name: string;
  profile: Record<string, Record<string, unknown>>;
  biography: string;
}

export async function buildBundled(llm: LlmGateway, entry: BundledEntry, name = entry.title): Promise<BuiltCharacter> {
  const markdown = pageToMarkdown(bundledPage(entry, 'baike'), 20_000);
  const profile: Record<string, Record<string, unknown>> = {};
  for (const key of SECTION_KEYS) {
    const answer = await llm.completeJson<Record<string, unknown>>(
      { purpose: 'structure', messages: [{ role: 'user', content: `提炼「${name}」的资料` }], temperature: 0, hints: { characterName: name, sectionKey: key, sourceMarkdown: markdown } },
      labelledSectionSchema(key),
    );
    profile[key] = fromLabelled(key, answer) as Record<string, unknown>;
  }
  const { text } = await llm.completeText({ purpose: 'structure', messages: [{ role: 'user', content: '写简介' }], temperature: 0, hints: { characterName: name, profile } });
  return { entry, name, profile, biography: text.trim() };
}

export const ALL_BUNDLED = BUNDLED_ENTRIES;

export const QUESTIONS_ZH = [
  '你好',
  '你是谁？',
  '介绍一下你自己',
  '你和杜甫是什么关系？',
  '你认识华生吗？',
  '你和唐僧是什么关系？',
  '你来自哪里？',
  '你生活在什么时代？',
  '你怎么看友情？',
  '你对战争有什么看法？',
  '你平时喜欢做什么？',
  '你讨厌什么？',
  '谢谢你',
  '你会写诗吗？',
  '你会打仗吗？',
  '讲讲你的故事',
  '你知道量子计算机吗？',
  '我今天心情不太好',
];

export const QUESTIONS_EN = ['Hello!', 'Who are you?', 'What is your relationship with Watson?', 'Where are you from?', 'What do you think of friendship?', 'What do you like?', 'Thanks!', 'Tell me about your life', 'Can you swim?', 'Do you know how a jet engine works?', 'I had a long day.'];

/** Every name the character goes by (title and aliases). */
export function namesOf(entry: BundledEntry): string[] {
  return [entry.title, ...entry.aliases].filter((n) => n.length >= 2);
}

/**
 * Third-person self-reference: the character's own name anywhere except as the complement of an
 * introduction (我是李白 / 在下李白 / I am Sherlock Holmes), and 「我李白」-like joins.
 */
export function selfReferenceProblems(reply: string, names: string[]): string[] {
  const problems: string[] = [];
  const sorted = [...names].sort((a, b) => b.length - a.length);
  let rest = reply;
  for (const n of sorted) {
    if (rest.includes(`我${n}`)) problems.push(`「我${n}」`);
    rest = rest.split(`我是${n}`).join('').split(`在下${n}`).join('').split(`I am ${n}`).join('');
  }
  for (const n of sorted) if (rest.includes(n)) problems.push(`name ${n} used in its own reply`);
  if (/[“「"]我[”」"]/.test(reply)) problems.push('「“我”」');
  return problems;
}

/** 「其性格然而…」: a clause connective right after a noun, with no punctuation between. */
export function misjoinProblems(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/([\p{Script=Han}A-Za-z]{1,3})(然而|但是|不过|可是)/gu)) out.push(`「${m[0]}」`);
  for (const m of text.matchAll(/(其|性格)(因此|所以|然而|但是|于是)/gu)) out.push(`「${m[0]}」`);
  // 「其性格Sherlock Holmes性格鲜明」: a template glued to a sentence that brings its own subject.
  for (const m of text.matchAll(/其性格(?=[A-Za-z]|\p{Script=Han}{1,8}性格)/gu)) out.push(`「${m[0]}…」`);
  return out;
}

/** Every sentence ends with sentence punctuation: the text ends with one, and no line ends bare. */
export function punctuationProblems(text: string, zh: boolean): string[] {
  const t = text.trim();
  if (!t) return ['empty'];
  const end = zh ? /[。！？…”」）]$/u : /[.!?]["')]?$/u;
  return end.test(t) ? [] : [`ends with 「${t.slice(-6)}」`];
}

/** Nested quotes of another member's words: 「你说“李白：…”」 or quotes inside quotes. */
export function nestedQuoteProblems(text: string, others: string[]): string[] {
  const out: string[] = [];
  if (/[“「"][^”」"]*[“「"]/u.test(text)) out.push('quote inside a quote');
  for (const o of others) if (new RegExp(`[“「"]${o}[:：]`, 'u').test(text)) out.push(`quotes ${o}'s line`);
  return out;
}
