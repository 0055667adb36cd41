/**
 * In-character replies and biographies. Template-based and deterministic (seeded by the turn): the
 * reply answers the kind of question asked (intent.ts), in the first person, in the language of the
 * question, with facts from the stored profile turned into the first person (persona.ts). Every
 * sentence is a template or a profile fact that passed the first-person and join checks.
 */
import type { ChatMessage, LlmHints } from '../types.js';
import { intentOf, type Intent } from './intent.js';
import { readPersona, type Persona } from './persona.js';
import { asText, bare, endEn, endZh, hash, isMostlyCjk, misjoined, pick, scanTail, stripConnective } from './text.js';

const USER_LABELS = new Set(['用户', 'user', 'User', '你']);
/** How many recent messages a group reply looks back through for the user's last words. */
const LOOKBACK = 6;

interface Heard {
  /** What to answer: the user's latest words. */
  said: string;
  /** Another group member who spoke last, if any. */
  from?: string;
}

/** The user's latest words and, in a group, who spoke last. Reads a bounded tail of each message. */
function heard(messages: ChatMessage[], ownNames: string[]): Heard {
  const group = messages.some((m) => m.role === 'system' && m.content.includes('## 群聊成员'));
  const recent = messages.filter((m) => m.role === 'user').slice(-LOOKBACK).map((m) => scanTail(m.content).trim());
  if (!group) return { said: recent[recent.length - 1] ?? '' };
  const lines = recent.map((text) => {
    const m = /^([^:：\s]{1,20})[:：]\s*([\s\S]*)$/u.exec(text);
    return m ? { speaker: m[1], text: m[2].trim() } : { speaker: '用户', text };
  });
  const last = lines[lines.length - 1];
  const fromUser = [...lines].reverse().find((l) => USER_LABELS.has(l.speaker));
  const from = last && !USER_LABELS.has(last.speaker) && !ownNames.includes(last.speaker) ? last.speaker : undefined;
  return { said: fromUser?.text ?? last?.text ?? '', from };
}

export function chatReply(messages: ChatMessage[], hints: LlmHints | undefined): string {
  const p = readPersona(hints);
  const { said, from } = heard(messages, p.names);
  const seed = hash(said + '\u0000' + messages.length);
  const zh = said ? isMostlyCjk(said) : isMostlyCjk(p.name || '中');
  const intent = intentOf(said, zh);
  const out = zh ? replyZh(p, intent, said, seed, from) : replyEn(p, intent, seed, from);
  return out.slice(0, 4).join(zh ? '' : ' ');
}

/** Profile facts that mention `topic` (a name or a word of the question). */
function factsAbout(p: Persona, topic: string): string[] {
  if (!topic) return [];
  return p.facts.filter((f) => f.includes(topic));
}

/** Han bigrams of the question that are about something (not 你/我/什么…), for unknown questions. */
function keywords(text: string): string[] {
  const han = (text.slice(0, 60).match(/\p{Script=Han}+/gu) ?? []).join('|');
  const out: string[] = [];
  for (let i = 0; i + 2 <= han.length && out.length < 20; i++) {
    const w = han.slice(i, i + 2);
    if (!w.includes('|') && !/[你我他她的了吗呢吧么是在有什怎为哪谁这那个些和与]/u.test(w)) out.push(w);
  }
  return out;
}

function facet(p: Persona, seed: number): string | undefined {
  const pool = [...p.traits, ...p.values, ...p.experiences.slice(0, 3), ...p.goals];
  return pool.length ? pick(pool, seed) : undefined;
}

function replyZh(p: Persona, intent: Intent, said: string, seed: number, from?: string): string[] {
  const me = p.name;
  const job = p.occupation ? `，${p.occupation}` : '';
  const out: string[] = [];
  if (from) out.push(pick([`${from}的话我听到了。`, `${from}说的有几分道理。`], seed >>> 2));
  const add = (s: string | undefined) => {
    if (s && !out.includes(endZh(s))) out.push(endZh(s));
  };
  const closer = () => add(pick(['你怎么看？', '你呢？', '不妨再多说些，我想听。', '换作是你，会怎么做？'], seed >>> 13));
  switch (intent.kind) {
    case 'greeting':
      add(pick([me ? `你好！我是${me}${job}` : '你好！', me ? `幸会，在下${me}${job}` : '幸会'], seed));
      add(pick(['今天想聊些什么？', '有什么想问的，尽管开口。'], seed >>> 3));
      break;
    case 'thanks':
      add(pick(['不必客气。', '客气什么，举手之劳。'], seed));
      add('能和你说说话，我也很高兴。');
      break;
    case 'farewell':
      add(pick(['好，后会有期。', '慢走，改日再叙。'], seed));
      break;
    case 'identity':
      add(me ? `我是${me}${job}` : '我的名字不值一提');
      add(p.origin[0] ?? p.experiences[0]);
      if (p.era) add(`我生活在${p.era}`);
      break;
    case 'relationship': {
      const who = intent.about;
      if (p.names.includes(who)) {
        add('你问的正是我自己。');
        add(p.traits[0]);
        break;
      }
      const rel = p.relations.find((r) => r.who.includes(who) || (r.who.length >= 2 && who.includes(r.who.split(/[（(、]/u)[0])));
      const about = factsAbout(p, who);
      if (rel) add(`${who}是我的${rel.relation}`);
      else if (about.length) add(`我和${who}确有交往`);
      if (about.length) add(about[seed % about.length]);
      else if (rel) add(`你为什么问起${who}？`);
      if (!rel && !about.length) {
        add(`${who}？我不记得和这个人有什么交情`);
        add('没有把握的事，我不愿乱说。');
      }
      break;
    }
    case 'place':
      add(p.origin[0] ?? '我的出身，资料里记得不多，我也不便乱说');
      if (p.era) add(`我生活在${p.era}`);
      break;
    case 'time':
      add(p.era ? `我生活在${p.era}` : '我所处的年代，资料里没有写明，我不便乱说');
      add(p.experiences[0]);
      break;
    case 'opinion': {
      const topic = intent.about;
      const about = factsAbout(p, topic);
      // In a group another member may have just said the plain form: add 也 so no line repeats.
      add(topic ? `说到${topic}，我${from ? '也' : ''}有自己的看法` : `这件事我${from ? '也' : ''}有自己的看法`);
      add(about[0] ?? p.values[seed % Math.max(1, p.values.length)] ?? p.traits[0]);
      closer();
      break;
    }
    case 'story':
      add(pick(['说来话长，我拣要紧的讲。', '好，我简单讲讲。'], seed));
      add(p.experiences[0] ?? p.origin[0] ?? '我的经历，资料里记得不多，我不便乱编');
      add(p.experiences[1]);
      break;
    case 'ability': {
      const topic = intent.about;
      // 「写诗」 is known when the profile speaks of 诗: match the object (last character) too.
      const object = [...topic].pop() ?? '';
      const related = /\p{Script=Han}/u.test(object) && !/[么吗呢了的]/u.test(object) ? [...p.skills, ...p.facts].filter((f) => f.includes(object)) : [];
      // Sentences about the character itself (我…) answer best.
      const known = topic ? [...factsAbout(p, topic), ...related].sort((a, b) => Number(b.startsWith('我')) - Number(a.startsWith('我'))) : [];
      if (known.length || (object && p.occupation.includes(object))) {
        add(topic ? `说到${topic}，我倒有些心得` : '这方面我倒有些心得');
        add(known[0] ?? (p.occupation ? `毕竟我是${p.occupation}` : undefined));
      } else {
        add(topic ? `${topic}？资料里没有写到我这方面的本事，我不好夸口` : '这方面的本事，我不好夸口');
        add(p.skills[0] ? `我拿手的是别的：${p.skills[0].replace(/^我(也|还|又)?/u, '')}` : facet(p, seed >>> 5));
      }
      break;
    }
    case 'likes':
      add(p.likes[0] ?? '我没有什么特别的嗜好');
      add(p.likes[1] ?? facet(p, seed >>> 5));
      add('你呢，平时喜欢什么？');
      break;
    case 'dislikes':
      add(p.dislikes[0] ?? '我最看不惯的，是虚伪和敷衍');
      add('你又最受不了什么？');
      break;
    case 'question': {
      const known = keywords(said).flatMap((k) => factsAbout(p, k));
      if (known.length) {
        add(pick(['这件事我记得。', '说来话长，我简单讲讲。'], seed));
        add(known[(seed >>> 4) % known.length]);
      } else {
        add(pick(['这个问题我答不上来，它超出了我所知道的范围。', '你问的事我并不清楚，我不愿胡乱编造。'], seed));
        add(facet(p, seed >>> 5));
      }
      break;
    }
    default:
      add(pick(['我明白你的意思。', '你说的我听进去了。', '嗯，这话有几分道理。'], seed));
      add(facet(p, seed >>> 5));
      if ((seed >>> 11) % 3 !== 0) closer();
  }
  if (out.length < 2) add(['identity', 'place', 'time'].includes(intent.kind) ? '有什么想知道的，尽管问我。' : pick(['你怎么看？', '不妨再多说些，我想听。'], seed >>> 13));
  return out;
}

function replyEn(p: Persona, intent: Intent, seed: number, from?: string): string[] {
  const me = p.latinName || p.name;
  const out: string[] = [];
  if (from) out.push(`I heard what ${/^[\x20-\x7e]+$/.test(from) ? from : 'my companion'} said, and I see it my own way.`);
  const add = (s: string | undefined) => {
    if (s && !out.includes(endEn(s))) out.push(endEn(s));
  };
  const closer = () => add(pick(['What do you make of it?', 'And you, what do you think?', 'Tell me more; I am listening.'], seed >>> 13));
  switch (intent.kind) {
    case 'greeting':
      add(me ? `Hello! I am ${me}` : 'Hello!');
      add(pick(['What shall we talk about?', 'Ask me anything you like.'], seed >>> 3));
      break;
    case 'thanks':
      add('You are most welcome.');
      add('I enjoy our conversation too.');
      break;
    case 'farewell':
      add(pick(['Farewell, until we meet again.', 'Goodbye, and take care.'], seed));
      break;
    case 'identity':
      add(me ? `I am ${me}` : 'My name matters little');
      add('Ask me about my life and I will tell you what I can.');
      break;
    case 'relationship': {
      const who = intent.about;
      const known = p.relations.some((r) => r.who.toLowerCase().includes(who.toLowerCase())) || p.facts.some((f) => f.toLowerCase().includes(who.toLowerCase()));
      add(known ? `${who} is someone I know well` : `Of ${who} I can say little in English`);
      add(known ? 'We have been through a good deal together.' : 'What I remember is written in Chinese, and I will not invent the rest.');
      break;
    }
    case 'place':
    case 'time':
      add('What I remember of my times and places is written in Chinese, and I would rather not guess in English');
      add('Ask me in Chinese and I will tell you more.');
      break;
    case 'opinion':
      add(intent.about ? `On ${intent.about}, I have a view of my own` : 'I have a view of my own on that');
      add('I trust what I have seen and reasoned out for myself, not what is merely said.');
      closer();
      break;
    case 'story':
      add('Mine is a long story, and I know it best in Chinese');
      add('Ask me in Chinese and I will tell it properly.');
      break;
    case 'ability':
      add(intent.about ? `Whether I can ${intent.about}, I would rather not boast` : 'I would rather not boast');
      add('Ask me about what I have done, and judge for yourself.');
      break;
    case 'likes':
      add('What I enjoy most is the work I am known for.');
      add('And you, what do you enjoy?');
      break;
    case 'dislikes':
      add('I cannot abide dishonesty or carelessness.');
      break;
    case 'question':
      add(pick(['I do not know the answer to that, and I will not make one up.', 'That lies beyond what I know, so I will not pretend otherwise.'], seed));
      closer();
      break;
    default:
      add(pick(['I see what you mean.', 'I take your point.', 'That is worth thinking about.'], seed));
      closer();
  }
  return out;
}

/** A clean third-person sentence for a biography: no leading connective, no 「其性格然而」 joins. */
function bioSentence(text: string, name: string, names: string[]): string | undefined {
  const first = stripConnective(bare(text.split(/(?<=[。！？])/u)[0] ?? ''));
  if (first.length < 4 || first.length > 140 || misjoined(first) || /资料未载明|有限|未见/.test(first)) return undefined;
  const named = names.some((n) => first.includes(n)) || /^(他|她|其)(?!们)/u.test(first);
  // A bare predicate (性格鲜明…) takes the name as its subject; any other opening is skipped.
  if (!named && !/^(性格|为人|生性|一生|自幼|早年|晚年|曾|善|擅|喜|爱|以|被|是|希望|看重|始终|一向|向来|出生|生于|已于)/u.test(first)) return undefined;
  const subject = named ? first : `${name}${first}`;
  return misjoined(subject) ? undefined : endZh(subject);
}

/** A 2–4 sentence third-person biography from a (partial) stored profile. */
export function biography(hints: LlmHints | undefined): string {
  const profile = (hints?.profile ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const p = readPersona(hints);
  const name = p.name || '此人';
  const intro = bioSentence(asText(profile.identity?.intro), name, p.names);
  const out = [intro ?? (p.occupation ? `${name}是${p.occupation}。` : `${name}的生平资料不多。`)];
  for (const value of [profile.personality?.traits, profile.background?.experiences, profile.background?.currentSituation, profile.personality?.goals]) {
    const s = bioSentence(asText(value), name, p.names);
    if (s && !out.some((o) => o.includes(bare(s)) || s.includes(bare(o)))) out.push(s);
    if (out.length >= 4) break;
  }
  if (out.length < 2) out.push(p.occupation && intro ? `${name}是${p.occupation}。` : `关于${name}的资料有限，形象仍有待补充。`);
  return out.slice(0, 4).join('');
}

/**
 * A new chat's opening line, in the character's voice: a short stage direction, who it is, one
 * thing it cares about, and a question that is easy to answer. `{{user}}` stays a macro (expanded
 * when shown). English when the character's material is mostly Latin script.
 */
export function greeting(hints: LlmHints | undefined): string {
  const p = readPersona(hints);
  const profile = JSON.stringify(hints?.profile ?? {});
  const material = `${hints?.characterName ?? ''} ${profile.slice(0, 4000)} ${(hints?.sourceMarkdown ?? '').slice(0, 4000)}`;
  const seed = hash(`${p.name}\u0000greeting`);
  if (isMostlyCjk(material)) {
    const name = p.name || '在下';
    const who = p.occupation ? `${name}，${p.occupation}` : name;
    const care = p.likes[0] ?? p.traits[0];
    return [
      `*${name}${pick(['放下手中的书卷', '抬起头来', '拱手一礼', '闻声转过身来'], seed)}，打量着来人。*`,
      `{{user}}，幸会。我是${who}。`,
      care ? endZh(care) : '',
      pick(['今日有缘相见，你想聊些什么？', '你从何处来？可有什么想问我的？', '难得有客，不如坐下说说话？'], seed >>> 3),
    ].join('');
  }
  const name = p.latinName || p.name || 'I';
  const occupation = p.occupation && !isMostlyCjk(p.occupation) ? `, ${p.occupation}` : '';
  return [
    `*${name} ${pick(['looks up from the desk', 'turns at the sound of your steps', 'sets down a cup of tea', 'gives a small nod'], seed)}.*`,
    `Well met, {{user}}. I am ${name}${occupation}.`,
    pick(['What brings you here today?', 'Sit down, if you like. What shall we talk about?', 'You look like someone with a question. Ask away.'], seed >>> 3),
  ].join(' ');
}
