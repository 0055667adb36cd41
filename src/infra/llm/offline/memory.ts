/**
 * Extractive memory. Short-term summaries keep the salient lines of a conversation (promises,
 * plans, preferences, disclosures; not greetings), each saying who said it from the character's
 * point of view (「用户说自己叫小明」, 「我说…」). Integration turns them into facts about the user
 * (「用户的名字是小明」, 「用户喜欢喝茶」) merged with the existing long-term memories, each scored
 * for importance (0–15, the original's three 0–5 axes).
 */
import { bare, clip, isMostlyCjk, scanHead } from './text.js';

const TRIVIAL = /^(你好|您好|嗨|哈喽|好的?|嗯+|哦+|谢谢|多谢|再见|拜拜|ok|okay|thanks?|thank you|hi|hello|bye|yes|no|是的|对)[。！!.?？~～\s]*$/i;
const USER_SPEAKERS = new Set(['用户', 'user', 'User']);
/** Lines, and characters per line, a summary reads: bounded work whatever the transcript. */
const MAX_LINES = 200;
const MAX_LINE_CHARS = 600;

const CATEGORIES: { pattern: RegExp; label: string; weight: number }[] = [
  { pattern: /答应|承诺|保证|一定会|发誓|promise/i, label: '承诺', weight: 5 },
  { pattern: /计划|打算|准备|明天|下次|将来|以后|约定|plan|tomorrow|next time|going to/i, label: '计划', weight: 4 },
  { pattern: /我叫|我的名字|我是|我住|我在.{1,8}(工作|上学|生活)|我的工作|my name|i am|i'm|i live|i work/i, label: '透露身份', weight: 4 },
  { pattern: /喜欢|爱|讨厌|不喜欢|偏好|最爱|害怕|like|love|hate|prefer|afraid/i, label: '表达偏好', weight: 3 },
  { pattern: /朋友|家人|父亲|母亲|妻子|丈夫|师父|兄弟|friend|family|mother|father/i, label: '提到关系', weight: 3 },
  { pattern: /[?？]|吗|为什么|怎么|如何|what|why|how/i, label: '询问', weight: 1 },
];

function categorise(text: string): { label: string; weight: number } {
  return CATEGORIES.find((c) => c.pattern.test(text)) ?? { label: '提到', weight: 0 };
}

/** Short replies that carry no content (the offline model's own openers and closers, greetings). */
const FILLER = /^(嗯|好|哦|啊|是啊|不必客气|客气什么|这件事我记得|说来话长|我明白你的意思|你说的我听进去了|你怎么看|你呢|I see|I take your point)/iu;

/**
 * The sentence of a message that carries its point (not a cut-off message): the most telling
 * category first, then the longest; openers and closers only when there is nothing else.
 */
function salientSentence(text: string): string {
  const parts = text.split(/(?<=[。！？!?；;.])\s*/u).map((s) => s.trim()).filter(Boolean);
  const content = parts.filter((s) => !FILLER.test(s));
  const pool = content.length ? content : parts;
  let best = pool[0] ?? text;
  let bestScore = -1;
  for (const s of pool.slice(0, 20)) {
    const score = categorise(s).weight * 100 + Math.min(s.length, 80);
    if (score > bestScore) [best, bestScore] = [s, score];
  }
  return clip(bare(best), 80);
}

/** The user's words retold by the character: 我 → 自己, 你 → 我. */
function retellUser(text: string, zh: boolean): string {
  if (!zh) return `The user said: ${text.replace(/\byou\b/gi, 'me').replace(/\bI\b/g, 'they').replace(/\bmy\b/gi, 'their')}`;
  const t = text.replace(/你们/g, '我们').replace(/我(?!们)/g, '\u0000').replace(/你/g, '我').replace(/\u0000/g, '自己');
  const asked = /[?？]|吗$|什么|为什么|怎么|如何|哪/u.test(t);
  if (t.startsWith('自己')) return `用户${asked ? '问' : '说'}${t}`;
  if (asked && t.startsWith('我')) return `用户问${t}`;
  return `用户${asked ? '问' : '说'}：${t}`;
}

/** One summary line, attributed: the user, the character itself (我), or another group member. */
function attribute(speaker: string, text: string, self: string | undefined): string {
  const zh = isMostlyCjk(text) || isMostlyCjk(speaker);
  if (USER_SPEAKERS.has(speaker)) return retellUser(text, zh);
  const own = self === undefined || speaker === self;
  const t = own ? text.replace(/你/g, '用户') : text;
  if (!zh) return own ? `I said: ${t}` : `${speaker} said: ${t}`;
  return own ? (t.startsWith('我') ? t : `我说：${t}`) : `${speaker}说：${t}`;
}

/** Attributed items for the most salient lines, in conversation order. */
export function summarize(transcript: { speaker: string; text: string }[], max = 5, self?: string): string[] {
  const scored = transcript
    .slice(-MAX_LINES)
    .map((line, index) => ({ speaker: line.speaker.trim(), index, text: scanHead(line.text, MAX_LINE_CHARS).trim() }))
    .filter((l) => l.text.length >= 2 && !TRIVIAL.test(l.text))
    .map((l) => ({ ...l, sentence: salientSentence(l.text) }))
    .map((l) => ({ ...l, score: categorise(l.sentence).weight * 10 + Math.min(l.sentence.length, 60) / 10 + (USER_SPEAKERS.has(l.speaker) ? 2 : 0) }));
  const chosen = [...scored].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, max).sort((a, b) => a.index - b.index);
  return chosen.map((l) => attribute(l.speaker, l.sentence, self));
}

export interface Fact {
  content: string;
  importance: number;
  reason: string;
}

const STOP = '[，,。.!！?？；;\\s]';

/** The facts about the user a summary line states, e.g. 「用户的名字是小明」; none for other lines. */
export function userFacts(item: string): string[] {
  const out: string[] = [];
  const zh = /^用户(说|问)/u.exec(item);
  if (zh) {
    const t = item.slice(3).replace(/^：/u, '');
    const name = new RegExp(`自己(?:叫|的名字是|名叫)([^${STOP.slice(1, -1)}]{1,12})`, 'u').exec(t);
    if (name) out.push(`用户的名字是${name[1]}`);
    const like = new RegExp(`自己(?:很|最|特别|非常)?(喜欢|爱|热爱|讨厌|不喜欢|害怕)([^${STOP.slice(1, -1)}]{1,24})`, 'u').exec(t);
    if (like) out.push(`用户${like[1]}${like[2]}`);
    const plan = new RegExp(`(?:自己)?(打算|计划|准备|明天要|明天|下周|将要|要去)([^${STOP.slice(1, -1)}]{1,30})`, 'u').exec(t);
    if (plan && !/[?？]/u.test(t)) out.push(`用户计划${plan[1].startsWith('明天') || plan[1] === '下周' ? plan[1] : ''}${plan[2]}`.replace(/计划(打算|计划|准备)/u, '计划'));
    const home = new RegExp(`自己(?:住在|来自|在)([^${STOP.slice(1, -1)}]{1,16})(?:工作|上学|生活)?`, 'u').exec(t);
    if (home && !name && !like) out.push(`用户说自己${/住在|来自/.test(t) ? '住在' : '在'}${home[1]}`);
  } else if (/^The user said: /.test(item)) {
    const t = item.slice('The user said: '.length);
    const name = /their name is ([A-Z][\w-]{0,30})|they(?: am|'m) ([A-Z][\w-]{0,30})/.exec(t);
    if (name) out.push(`The user's name is ${name[1] ?? name[2]}`);
    const like = /they (like|love|hate|enjoy) ([^,.!?;]{1,40})/i.exec(t);
    if (like) out.push(`The user ${like[1]}s ${like[2]}`);
    const plan = /they(?: am|'m| are) going to ([^,.!?;]{1,40})|they plan to ([^,.!?;]{1,40})/i.exec(t);
    if (plan) out.push(`The user plans to ${plan[1] ?? plan[2]}`);
  }
  return out;
}

/** Existing memories first (deduplicated), then the facts of the new items, each with an importance score. */
export function integrate(newItems: string[], existing: string[]): { facts: Fact[]; merged: number; discarded: number } {
  const seen = new Set<string>();
  const facts: Fact[] = [];
  let merged = 0;
  let discarded = 0;
  // A summary is several lines (one per speaker's point, the greeting's among them): facts are read per line.
  const lines = newItems.flatMap((item) => item.split('\n').map((l) => l.trim()).filter(Boolean)).slice(0, MAX_LINES);
  const fresh = lines.flatMap((line) => {
    const extracted = userFacts(line);
    return extracted.length ? extracted : [line];
  });
  for (const [content, isNew] of [...existing.slice(0, MAX_LINES).map((c) => [c, false] as const), ...fresh.map((c) => [c, true] as const)]) {
    const key = content.replace(/\s+/g, '').toLowerCase();
    if (!key) continue;
    if (seen.has(key)) {
      merged++;
      continue;
    }
    seen.add(key);
    const cat = categorise(content.replace(/^用户(的名字是)/u, '我叫'));
    const fact = /^用户(的名字是|喜欢|爱|热爱|讨厌|不喜欢|害怕|计划|说自己)|^The user('s name| likes| loves| hates| plans)/u.test(content);
    const importance = Math.min(15, 5 + (fact ? 4 : cat.weight) * 2 + (isNew ? 0 : 1));
    if (importance < 6 && isNew && !fact && cat.label === '询问') {
      discarded++;
      continue;
    }
    facts.push({ content: clip(content.trim(), 200), importance, reason: fact ? '关于用户的事实，对今后的对话有影响' : cat.weight ? `${cat.label}，对今后的对话有影响` : '一般事实，保留备查' });
  }
  return { facts, merged, discarded };
}
