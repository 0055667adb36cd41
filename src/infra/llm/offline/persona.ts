/**
 * What the offline model knows about the character it plays, read from the stored profile
 * (English section keys) and turned into first-person clauses it can say safely.
 */
import type { LlmHints } from '../types.js';
import { asText, bare, firstPerson, scanHead } from './text.js';

export interface Persona {
  /** The name the user gave the character (what it answers to). */
  name: string;
  /** Every name the character goes by, longest first: these become 我 in its own speech. */
  names: string[];
  /** A Latin-script name for English answers, when the profile has one. */
  latinName: string;
  occupation: string;
  traits: string[];
  values: string[];
  likes: string[];
  dislikes: string[];
  goals: string[];
  experiences: string[];
  skills: string[];
  origin: string[];
  era: string;
  /** `relation：name` pairs. */
  relations: { relation: string; who: string }[];
  /** Every first-person fact, for questions about a name or topic. */
  facts: string[];
}

type ProfileLike = Record<string, Record<string, unknown> | undefined>;

const LABEL = /^(别名|字|号|称号|尊号|封号|谥号|外号|绰号|别称|英文名|又称|旧译)$/;

/** Name-like tokens of 「李白（李太白、诗仙）」 or 「别名：李太白；英文名：Sherlock Holmes」. */
function nameTokens(text: string): string[] {
  return scanHead(text, 400)
    .split(/[（）()、；;，,：:\n]+/u)
    .map((t) => t.trim())
    .filter((t) => t.length >= 2 && t.length <= 16 && !LABEL.test(t) && !/旧译|未载明|资料/.test(t));
}

/** The first Latin-script name among `texts` (each read on its own: names must not run together). */
function latin(texts: string[]): string {
  for (const t of texts) {
    const m = /[A-Z][A-Za-z.'-]+(?: [A-Z][A-Za-z.'-]+)+|[A-Z][a-z]{2,}/.exec(scanHead(t, 400));
    if (m) return m[0];
  }
  return '';
}

function texts(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() ? [value.trim()] : [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string' && v.trim() !== '').map((v) => v.trim());
  return [];
}

/** Sentences of a field (split at 。；), each turned into the first person; unusable ones dropped. */
function voiced(value: unknown, names: string[], max = 4, lead = (clause: string) => `我${clause}`, page = false): string[] {
  const out: string[] = [];
  for (const t of texts(value).slice(0, 8)) {
    for (const s of scanHead(t, 600).split(/(?<=[。；！？])/u)) {
      const clean = bare(s);
      if (clean.length < 2 || clean.length > 120 || /资料未载明|未见|有限|不详/.test(clean)) continue;
      // A page sentence that names the character reads as is; a bare predicate (豪放不羁) gets 我.
      const v = firstPerson(clean, names) || (page ? '' : firstPerson(lead(clean), names));
      if (v && !out.includes(v)) out.push(v);
      if (out.length >= max) return out;
    }
  }
  return out;
}

const LIKE_VERB = /^(最|很|特别|非常|一向)?(喜|爱|热爱|偏爱|钟|嗜|好|酷爱|向往|乐于|擅长)/u;
const DISLIKE_VERB = /^(最|很|特别|非常|一向)?(讨厌|厌|憎|痛恨|不|反感|看不惯|鄙视|害怕|怕)/u;

const DYNASTY = /(先秦|春秋|战国|秦|西汉|东汉|汉|三国|西晋|东晋|晋|南北朝|北魏|隋|盛唐|唐|北宋|南宋|宋|元|明|清)(朝|代|时期|末年)?/u;

/** A short era that fits 「我生活在…」: 「盛唐」, 「北魏时期」; never 「一般认为以北魏时期为背景」. */
function eraOf(timeline: string): string {
  const first = bare(timeline).split(/[，,；;]/u)[0] ?? '';
  if (/资料|未载明|不详|未知/u.test(first)) return '';
  if (first.length <= 12 && !/资料|未载明|认为|以|背景|约|—|-|\d/u.test(first)) return first;
  return DYNASTY.exec(first)?.[0] ?? '';
}

export function readPersona(hints: LlmHints | undefined): Persona {
  const p = (hints?.profile ?? {}) as ProfileLike;
  const identity = p.identity ?? {};
  const given = (hints?.characterName ?? '').trim();
  const profileName = asText(identity.name);
  const all = [given, ...nameTokens(profileName), ...nameTokens(asText(identity.titles))].filter(Boolean);
  // A surname alone or a one-character alias would turn unrelated words into 我.
  // 夏洛克·福尔摩斯 is also called 福尔摩斯.
  const surnames = all.flatMap((n) => (n.includes('·') ? [n.split('·').pop()!] : []));
  const names = [...new Set([...all, ...surnames])].filter((n) => n.length >= 2).sort((a, b) => b.length - a.length);
  const name = given || names[0] || '';
  const occupation = bare(asText(identity.occupation));
  const relations = texts(p.background?.relationships)
    .map((r) => /^([^：:]{1,8})[：:]\s*(.{1,60})$/u.exec(r))
    .filter((m): m is RegExpExecArray => !!m)
    .map((m) => ({ relation: m[1].trim(), who: m[2].trim() }));
  const persona: Persona = {
    name,
    names,
    latinName: latin([given, profileName, asText(identity.titles)]),
    occupation: /资料|有限|未载明/.test(occupation) || occupation.length > 40 ? '' : occupation,
    traits: voiced(p.personality?.traits, names),
    values: voiced(p.personality?.values, names),
    likes: voiced(p.personality?.likes, names, 2, (c) => (LIKE_VERB.test(c) ? `我${c}` : `我喜欢${c}`)),
    dislikes: voiced(p.personality?.dislikes, names, 2, (c) => (DISLIKE_VERB.test(c) ? `我${c}` : `我讨厌${c}`)),
    goals: voiced(p.personality?.goals, names),
    experiences: voiced(p.background?.experiences, names, 6, undefined, true),
    skills: voiced(p.knowledge?.skills, names, 3, (c) => (/^(代表作|作品|专长|特长)/u.test(c) ? `我的${c}` : `我${c}`)),
    origin: voiced(p.background?.origin, names, 2, (c) => (/^(出生|生于|出身|祖籍|来自)/u.test(c) ? `我${c}` : ''), false),
    era: eraOf(asText(p.world?.timeline)),
    relations,
    facts: [],
  };
  persona.facts = [...persona.experiences, ...persona.skills, ...persona.origin, ...persona.traits, ...persona.values, ...voiced(identity.intro, names, 4, undefined, true), ...voiced(p.background?.currentSituation, names, 1, undefined, true)];
  return persona;
}
