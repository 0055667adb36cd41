/**
 * Extractive memory: short-term summaries keep the salient lines of a conversation (promises,
 * plans, preferences, disclosures; not greetings); integration merges them with the existing
 * long-term memories and scores each fact's importance (0–15, the original's three 0–5 axes).
 */
import { bare, clip } from './text.js';

const TRIVIAL = /^(你好|您好|嗨|哈喽|好的?|嗯+|哦+|谢谢|多谢|再见|拜拜|ok|okay|thanks?|thank you|hi|hello|bye|yes|no|是的|对)[。！!.?？~～\s]*$/i;

const CATEGORIES: { pattern: RegExp; label: string; weight: number }[] = [
  { pattern: /答应|承诺|保证|一定会|发誓|promise/i, label: '承诺', weight: 5 },
  { pattern: /计划|打算|准备|明天|下次|将来|以后|约定|plan|tomorrow|next time|going to/i, label: '计划', weight: 4 },
  { pattern: /喜欢|爱|讨厌|不喜欢|偏好|最爱|害怕|like|love|hate|prefer|afraid/i, label: '表达偏好', weight: 3 },
  { pattern: /我叫|我的名字|我是|我住|我在|我的工作|my name|i am|i'm|i live|i work/i, label: '透露身份', weight: 4 },
  { pattern: /朋友|家人|父亲|母亲|妻子|丈夫|师父|兄弟|friend|family|mother|father/i, label: '提到关系', weight: 3 },
  { pattern: /[?？]|吗|为什么|怎么|如何|what|why|how/i, label: '询问', weight: 1 },
];

function categorise(text: string): { label: string; weight: number } {
  return CATEGORIES.find((c) => c.pattern.test(text)) ?? { label: '提到', weight: 0 };
}

/** `speaker | category | detail` items for the most salient lines, in conversation order. */
export function summarize(transcript: { speaker: string; text: string }[], max = 5): string[] {
  const scored = transcript
    .map((line, index) => ({ ...line, index, text: line.text.trim() }))
    .filter((l) => l.text.length >= 4 && !TRIVIAL.test(l.text))
    .map((l) => ({ ...l, score: categorise(l.text).weight * 10 + Math.min(l.text.length, 60) / 10 + (/\d/.test(l.text) ? 1 : 0) }));
  const chosen = [...scored].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, max).sort((a, b) => a.index - b.index);
  return chosen.map((l) => `${l.speaker} | ${categorise(l.text).label} | ${clip(bare(l.text), 80)}`);
}

export interface Fact {
  content: string;
  importance: number;
  reason: string;
}

/** Existing memories first (deduplicated), then the new ones, each with an importance score. */
export function integrate(newItems: string[], existing: string[]): { facts: Fact[]; merged: number; discarded: number } {
  const seen = new Set<string>();
  const facts: Fact[] = [];
  let merged = 0;
  let discarded = 0;
  for (const [content, isNew] of [...existing.map((c) => [c, false] as const), ...newItems.map((c) => [c, true] as const)]) {
    const key = content.replace(/\s+/g, '').toLowerCase();
    if (!key) continue;
    if (seen.has(key)) {
      merged++;
      continue;
    }
    seen.add(key);
    const cat = categorise(content);
    const importance = Math.min(15, 5 + cat.weight * 2 + (isNew ? 0 : 1));
    if (importance < 4) {
      discarded++;
      continue;
    }
    facts.push({ content: clip(content.trim(), 200), importance, reason: cat.weight ? `${cat.label}，对今后的对话有影响` : '一般事实，保留备查' });
  }
  return { facts, merged, discarded };
}
