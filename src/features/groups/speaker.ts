/**
 * Who speaks next in a group chat. Pure functions only: the service feeds them the members, the
 * last message and what happened so far in this turn, and (in natural mode, only when the rules
 * cannot decide) the moderator's answer. Randomness comes in as an injected `rng`.
 *
 * Natural mode, in order (spec/chat.md §4 and issue 6):
 *  1. A member named or @-mentioned in the last message speaks. Names are matched as substrings
 *     (CJK has no spaces: 「关羽」 must be found in 「关云长……关羽你说呢」); Latin aliases on word
 *     boundaries, case-insensitively, so "Al" is not found in "also".
 *  2. Members the user addressed who have not answered yet speak, in the order they were addressed.
 *  3. Nobody speaks twice in a row unless addressed; if that leaves one member, it speaks.
 *  4. Otherwise one moderator call: ≥ 0.8 take its pick, 0.5–0.8 a weighted draw among the
 *     eligible members, < 0.5 wait for the user. A failed call falls back to round-robin.
 */
import type { Profile } from '../characters/profile.js';

export const GROUP_MODES = ['natural', 'round_robin', 'everyone_once', 'manual'] as const;
export type GroupMode = (typeof GROUP_MODES)[number];

export interface Speaker {
  id: number;
  name: string;
  /** Other names the member answers to (the name itself included). */
  aliases: string[];
}

/** Separators inside 姓名 / 称谓 fields: 「诸葛亮（字孔明，号卧龙）」, 「美髯公、汉寿亭侯」, "Holmes / Sherlock". */
const SEPARATORS = /[、，,；;／/|｜（）()【】\[\]「」『』《》"“”'‘’·•。：:！!？?\n\t]+/u;
/** Words that introduce a courtesy name or title rather than being part of it. */
const INTRODUCERS = /^(?:字|号|又名|别名|别号|人称|外号|绰号|原名|本名|谥号|尊称|也称|亦称|aka\b|alias\b)\s*/iu;
const LATIN = /^[\p{Script=Latin}\d .'-]+$/u;
/** Latin words that are no one's name on their own ("the doctor" must not make "the" an alias). */
const NOT_A_NAME = new Set(['the', 'and', 'of', 'mr', 'mrs', 'ms', 'miss', 'dr', 'sir', 'lord', 'lady', 'von', 'van', 'der', 'de', 'la', 'le']);

/**
 * The names a member answers to: its character name, the profile's 姓名 (split on separators, with
 * 「字」「号」… stripped; Latin names also by word, "Sherlock Holmes" → "Holmes") and its 称谓/头衔
 * (kept whole: "the doctor"). Single CJK characters and Latin words under three letters are dropped:
 * they would match inside ordinary words.
 */
export function aliasesOf(name: string, profile?: Profile | null): string[] {
  const identity = (profile?.identity ?? {}) as Record<string, unknown>;
  const out = new Set<string>([name.trim()]);
  const add = (piece: string) => {
    piece = piece.replace(/[.\s]+$/u, '').trim();
    const latin = LATIN.test(piece);
    if (!piece || (latin ? piece.replace(/[^\p{L}]/gu, '').length < 3 || NOT_A_NAME.has(piece.toLowerCase()) : [...piece].length < 2)) return;
    out.add(piece);
  };
  const sources: [string, boolean][] = [[name, true], [textOf(identity.name), true], [textOf(identity.titles), false]];
  for (const [text, byWord] of sources) {
    for (const raw of text.split(SEPARATORS)) {
      const piece = raw.trim().replace(INTRODUCERS, '');
      add(piece);
      if (byWord && LATIN.test(piece)) piece.split(/\s+/u).forEach(add);
    }
  }
  out.delete('');
  return [...out];
}

function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.filter((x) => typeof x === 'string').join('、');
  return '';
}

export interface Mention {
  id: number;
  /** Where the first match starts. */
  index: number;
  /** 3 for @name, 2 for a name used to address (followed by ，：? 你 …), 1 otherwise (talked about). */
  strength: number;
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** After a name, these mark it as the addressee: 「关羽，…」「关羽你说呢」 "Holmes, what …". */
const VOCATIVE_AFTER = /^\s*(?:[,，:：!！?？、]|你|您|you\b)/iu;

/**
 * The members a text names, strongest first, then by position. A member's strongest occurrence
 * counts. Overlapping names (「孔明」 inside 「诸葛孔明」) both count: each is its member's name.
 */
export function findMentions(text: string, members: readonly Speaker[]): Mention[] {
  const found: Mention[] = [];
  for (const m of members) {
    let best: Mention | undefined;
    for (const alias of m.aliases) {
      if (!alias) continue;
      const re = LATIN.test(alias) ? new RegExp(`(?<![\\p{L}\\d])${escapeRegExp(alias)}(?![\\p{L}\\d])`, 'giu') : new RegExp(escapeRegExp(alias), 'gu');
      for (const hit of text.matchAll(re)) {
        const at = hit.index ?? 0;
        const before = text.slice(0, at);
        const after = text.slice(at + hit[0].length);
        let strength = 1;
        if (/[@＠]\s*$/u.test(before)) strength = 3;
        else if (VOCATIVE_AFTER.test(after)) strength = 2;
        if (!best || strength > best.strength || (strength === best.strength && at < best.index)) best = { id: m.id, index: at, strength };
      }
    }
    if (best) found.push(best);
  }
  return found.sort((a, b) => b.strength - a.strength || a.index - b.index);
}

/** The member after `lastId` in member order, skipping `skip`; the first member when nobody spoke yet. */
export function nextInOrder(members: readonly Speaker[], lastId: number | null, skip: ReadonlySet<number> = new Set()): Speaker | undefined {
  const start = lastId === null ? -1 : members.findIndex((m) => m.id === lastId);
  for (let i = 1; i <= members.length; i++) {
    const m = members[(start + i) % members.length];
    if (!skip.has(m.id)) return m;
  }
  return undefined;
}

export interface TurnState {
  mode: GroupMode;
  /** In member order. */
  members: readonly Speaker[];
  /** The user's message that started this turn. */
  userText: string;
  /** The newest message: the user's (speakerId null) or a member's reply in this turn. */
  last: { text: string; speakerId: number | null };
  /** The member whose reply came right before the user's message, if any: where rotations continue. */
  previousSpeakerId: number | null;
  /** Members who replied in this turn, in order. */
  spoken: readonly number[];
  /** Replies allowed in this turn (natural and round-robin). */
  maxRounds: number;
  /** Manual mode: who answers; other modes: who answers first. */
  requestedId?: number;
}

export type Decision =
  | { kind: 'speak'; id: number; by: 'mention' | 'addressed' | 'only_choice' | 'round_robin' | 'everyone_once' | 'manual' | 'requested' | 'moderator' | 'moderator_draw' | 'moderator_failed' }
  | { kind: 'wait'; reason: 'round_limit' | 'everyone_spoke' | 'manual_done' | 'moderator_low_confidence' | 'nobody' }
  /** Natural mode only: the rules did not decide; ask the moderator to choose among `candidates`. */
  | { kind: 'ask_moderator'; candidates: Speaker[] };

/** The rule pass: decides the next speaker without an LLM call whenever it can. */
export function decide(s: TurnState): Decision {
  const round = s.spoken.length;
  const members = s.members;
  if (!members.length) return { kind: 'wait', reason: 'nobody' };
  const isMember = (id: number | undefined): id is number => id !== undefined && members.some((m) => m.id === id);

  if (s.mode === 'manual') {
    if (round === 0 && isMember(s.requestedId)) return { kind: 'speak', id: s.requestedId, by: 'manual' };
    return { kind: 'wait', reason: 'manual_done' };
  }
  if (round === 0 && isMember(s.requestedId)) return { kind: 'speak', id: s.requestedId, by: 'requested' };

  if (s.mode === 'everyone_once') {
    // Everyone answers once, whoever the user addressed first; the round limit does not cut it short.
    const done = new Set(s.spoken);
    const addressed = findMentions(s.userText, members).map((m) => m.id).find((id) => !done.has(id));
    if (addressed !== undefined) return { kind: 'speak', id: addressed, by: 'everyone_once' };
    const next = nextInOrder(members, s.spoken.at(-1) ?? s.previousSpeakerId, done);
    return next ? { kind: 'speak', id: next.id, by: 'everyone_once' } : { kind: 'wait', reason: 'everyone_spoke' };
  }

  if (round >= s.maxRounds) return { kind: 'wait', reason: 'round_limit' };

  if (s.mode === 'round_robin') {
    // The rotation carries on across user messages: after the member who spoke last, whenever that was.
    const next = nextInOrder(members, s.spoken.at(-1) ?? s.previousSpeakerId);
    return next ? { kind: 'speak', id: next.id, by: 'round_robin' } : { kind: 'wait', reason: 'nobody' };
  }

  // "Twice in a row" means two replies with no user message between them.
  const lastSpeaker = s.spoken.at(-1) ?? null;

  // Natural. 1: named in the last message (a member naming itself does not count).
  const named = findMentions(s.last.text, members).filter((m) => m.id !== s.last.speakerId);
  if (named.length) return { kind: 'speak', id: named[0].id, by: 'mention' };
  // 2: addressed by the user and not answered yet.
  if (s.last.speakerId !== null) {
    const answered = new Set(s.spoken);
    const pending = findMentions(s.userText, members).find((m) => !answered.has(m.id) && m.id !== lastSpeaker);
    if (pending) return { kind: 'speak', id: pending.id, by: 'addressed' };
  }
  // 3: nobody twice in a row.
  const candidates = members.filter((m) => m.id !== lastSpeaker);
  if (candidates.length === 0) return { kind: 'speak', id: members[0].id, by: 'only_choice' };
  if (candidates.length === 1) return { kind: 'speak', id: candidates[0].id, by: 'only_choice' };
  return { kind: 'ask_moderator', candidates };
}

export interface ModeratorAnswer {
  next_speaker: string;
  confidence: number;
  reason?: string;
}

export const TAKE_THRESHOLD = 0.8;
export const DRAW_THRESHOLD = 0.5;

/**
 * Applies the moderator's answer to the candidates: ≥ 0.8 its pick speaks; 0.5–0.8 a draw where
 * the pick weighs `confidence` and the other candidates share the rest equally (so a 0.6 pick among
 * three speaks 60 % of the time); < 0.5 wait for the user. A pick that is no candidate counts as
 * no pick: the draw is then uniform.
 */
export function applyModerator(answer: ModeratorAnswer, candidates: readonly Speaker[], rng: () => number): Decision {
  const c = Number.isFinite(answer.confidence) ? answer.confidence : 0;
  if (c < DRAW_THRESHOLD || !candidates.length) return { kind: 'wait', reason: 'moderator_low_confidence' };
  const pick = matchName(answer.next_speaker, candidates);
  if (pick && c >= TAKE_THRESHOLD) return { kind: 'speak', id: pick.id, by: 'moderator' };
  const weights = candidates.map((m) => (pick ? (m.id === pick.id ? c : (1 - c) / Math.max(1, candidates.length - 1)) : 1));
  if (candidates.length === 1 && pick) weights[0] = 1;
  return { kind: 'speak', id: weightedChoice(candidates, weights, rng).id, by: 'moderator_draw' };
}

/** When the moderator call fails: round-robin for this round, never the last speaker. */
export function moderatorFallback(candidates: readonly Speaker[], members: readonly Speaker[], lastSpeakerId: number | null): Decision {
  const allowed = new Set(candidates.map((m) => m.id));
  const next = nextInOrder(members, lastSpeakerId, new Set(members.filter((m) => !allowed.has(m.id)).map((m) => m.id)));
  return next ? { kind: 'speak', id: next.id, by: 'moderator_failed' } : { kind: 'wait', reason: 'nobody' };
}

function matchName(name: string, candidates: readonly Speaker[]): Speaker | undefined {
  const n = name.trim().replace(/^[@＠]/u, '');
  if (!n) return undefined;
  return candidates.find((m) => m.name === n) ?? candidates.find((m) => m.aliases.includes(n)) ?? candidates.find((m) => n.includes(m.name));
}

export function weightedChoice<T>(items: readonly T[], weights: readonly number[], rng: () => number): T {
  const total = weights.reduce((a, b) => a + Math.max(0, b), 0);
  if (total <= 0) return items[Math.min(items.length - 1, Math.floor(rng() * items.length))];
  let r = rng() * total;
  for (let i = 0; i < items.length; i++) {
    r -= Math.max(0, weights[i]);
    if (r < 0) return items[i];
  }
  return items[items.length - 1];
}
