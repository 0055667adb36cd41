/**
 * The offline group moderator: whoever was addressed by name speaks next (high confidence);
 * otherwise the member after the last speaker, in member order (medium confidence). Never the
 * last speaker, unless they are the only member.
 */
import type { LlmHints } from '../types.js';
import { hash } from './text.js';

export interface ModeratorChoice {
  member?: { id: number; name: string };
  reason: string;
  confidence: number;
}

export function chooseSpeaker(hints: LlmHints | undefined): ModeratorChoice {
  const members = hints?.members ?? [];
  if (!members.length) return { reason: '没有可发言的角色', confidence: 0 };
  const last = hints?.lastSpeaker;
  const isLast = (m: (typeof members)[number]) => last !== undefined && (m.id === last || m.name === last || m.aliases?.includes(String(last)));
  const candidates = members.filter((m) => !isLast(m));
  if (!candidates.length) return { member: members[0], reason: '只有一位角色可以发言', confidence: 0.6 };

  const lastLine = hints?.transcript?.[hints.transcript.length - 1]?.text ?? '';
  const addressed = candidates.find((m) => [m.name, ...(m.aliases ?? [])].some((n) => n && lastLine.includes(n)));
  if (addressed) return { member: addressed, reason: `${addressed.name}被直接点名，应当回应`, confidence: 0.9 };

  const lastIndex = members.findIndex(isLast);
  const next = lastIndex >= 0 ? members.slice(lastIndex + 1).concat(members.slice(0, lastIndex)).find((m) => !isLast(m))! : candidates[hash(lastLine) % candidates.length];
  const asked = /[?？]|吗|什么|为什么|怎么/.test(lastLine);
  return { member: next, reason: asked ? `${next.name}最有动机回应这个问题` : `${next.name}可以顺着话题推进情节`, confidence: asked ? 0.8 : 0.7 };
}
