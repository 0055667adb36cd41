/**
 * In-character replies and biographies from the stored profile (English section keys) and the
 * conversation. Template-based and deterministic: the same turn gets the same reply, a different
 * user message a different one.
 */
import type { ChatMessage, LlmHints } from '../types.js';
import { asText, bare, clip, hash, isMostlyCjk, pick } from './text.js';

interface Persona {
  name: string;
  occupation: string;
  traits: string;
  values: string;
  speakingStyle: string;
  goals: string;
  likes: string;
  experience: string;
  era: string;
}

function persona(hints: LlmHints | undefined, seed: number): Persona {
  const p = (hints?.profile ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const f = (section: string, key: string) => bare(asText(p[section]?.[key], seed));
  return {
    name: hints?.characterName?.trim() || f('identity', 'name').split(/[（(]/)[0] || '',
    occupation: f('identity', 'occupation'),
    traits: f('personality', 'traits'),
    values: f('personality', 'values'),
    speakingStyle: f('personality', 'speakingStyle'),
    goals: f('personality', 'goals'),
    likes: f('personality', 'likes'),
    experience: f('background', 'experiences'),
    era: f('world', 'timeline'),
  };
}

/** The user's latest words: the last user turn, or its last transcript line in a group prompt. */
function lastUserWords(messages: ChatMessage[]): string {
  const last = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
  const lines = last.split('\n').map((l) => l.trim()).filter((l) => l && !/^(请以|please reply|当前对话)/i.test(l));
  const line = lines[lines.length - 1] ?? '';
  return line.replace(/^[^:：]{1,30}[:：]\s*/, '').trim() || line;
}

type Intent = 'greeting' | 'question' | 'statement';

function intentOf(text: string): Intent {
  if (/^(你好|您好|嗨|哈喽|早上好|晚上好|hello|hi|hey|good (morning|evening))/i.test(text) && text.length < 20) return 'greeting';
  if (/[?？]|吗|什么|为什么|为何|怎么|如何|哪|谁|几|是否|\b(what|why|how|who|where|when|which|do you|are you|can you)\b/i.test(text)) return 'question';
  return 'statement';
}

function topicOf(text: string, zh: boolean): string {
  const t = text.replace(/[?？!！。.]+$/u, '').trim();
  if (zh) return clip(t.split(/[，,。；]/)[0] ?? t, 16);
  return t.split(/\s+/).slice(0, 8).join(' ');
}

export function chatReply(messages: ChatMessage[], hints: LlmHints | undefined): string {
  const said = lastUserWords(messages);
  const seed = hash(said + '\u0000' + messages.length);
  const zh = said ? isMostlyCjk(said) : isMostlyCjk(hints?.characterName ?? '中');
  const p = persona(hints, seed);
  const book = (zh ? chinese : english)(p, topicOf(said, zh));
  return assemble(book, intentOf(said), seed).join(zh ? '' : ' ');
}

interface Phrasebook {
  opener: Record<Intent, string[]>;
  stance: string[];
  /** Sentences grounded on the profile; empty ones are dropped. */
  facets: (string | false)[];
  generic: string[];
  closers: string[];
}

/** Opener, a stance for questions, one or two profile facets, sometimes a question back: 2–4 sentences. */
function assemble(book: Phrasebook, intent: Intent, seed: number): string[] {
  const out = [pick(book.opener[intent], seed)];
  if (intent === 'question') out.push(pick(book.stance, seed >>> 3));
  const facets = book.facets.filter((s): s is string => !!s);
  const pool = facets.length ? facets : book.generic;
  out.push(pick(pool, seed >>> 5));
  if (pool.length > 1 && (seed >>> 7) % 2 === 0) out.push(pick(pool.filter((s) => s !== out[out.length - 1]), seed >>> 9));
  if (out.length < 4 && (seed >>> 11) % 3 !== 0) out.push(pick(book.closers, seed >>> 13));
  return out.slice(0, 4);
}

function chinese(p: Persona, topic: string): Phrasebook {
  const me = p.name || '我';
  return {
    opener: {
      greeting: [`你好，我是${me}${p.occupation ? `，${p.occupation}` : ''}。`, `幸会，在下${me}。`, `来得正好，我是${me}，正想找人说说话。`],
      question: [`你问“${topic}”，我就直说了：`, `“${topic}”？这个问题问得好。`, `关于“${topic}”，我有自己的看法。`],
      statement: [`你说“${topic}”，我听进去了。`, `“${topic}”——这话让我想起不少事。`, `嗯，“${topic}”，我明白你的意思。`],
    },
    stance: ['依我看，答案是肯定的，但要看清代价。', '若要我选，我会走更难却更值得的那条路。', '我不赞成随大流，事情总得有个明确的态度。'],
    facets: [
      !!p.traits && `我这个人${p.traits.replace(/^我/, '')}，这一点从来没变过。`,
      !!p.experience && `想当年${p.experience}，那段经历至今让我记忆犹新。`,
      !!p.values && `在我看来，${p.values}。`,
      !!p.goals && `说到底，我心里惦记的是：${p.goals}。`,
      !!p.likes && `你大概不知道，我${p.likes.replace(/^我/, '')}。`,
      !!p.speakingStyle && `我说话一向${p.speakingStyle.replace(/^说话/, '')}，你别见怪。`,
      !!p.era && `在我所处的${p.era}，这样的事并不少见。`,
    ],
    generic: ['这件事值得细细琢磨。', '世事往往比表面看起来复杂。', '我更愿意听听你真实的想法。'],
    closers: ['你呢，你怎么看？', '换作是你，会怎么做？', '不妨再多说些，我想听。'],
  };
}

function english(p: Persona, topic: string): Phrasebook {
  const me = p.name || 'I';
  return {
    opener: {
      greeting: [`Hello — I am ${me}${p.occupation ? `, ${p.occupation}` : ''}.`, `Well met; ${me} at your service.`, `Ah, a visitor. I am ${me}.`],
      question: [`You ask "${topic}" — I will answer plainly.`, `"${topic}"? A fair question.`, `On "${topic}", I have a firm view.`],
      statement: [`"${topic}" — I hear you.`, `You say "${topic}"; that reminds me of a good deal.`, `I take your point about "${topic}".`],
    },
    stance: ['My answer is yes, though you should know the cost.', 'If the choice were mine, I would take the harder, worthier road.', 'I will not sit on the fence: it matters, and I say so.'],
    facets: [
      !!p.traits && `People who know me would say: ${p.traits}.`,
      !!p.experience && `I still remember this from my own life: ${p.experience}.`,
      !!p.values && `What I hold to is this: ${p.values}.`,
      !!p.goals && `What drives me, in the end: ${p.goals}.`,
      !!p.likes && `You may not know that I love this: ${p.likes}.`,
      !!p.speakingStyle && `Forgive my manner of speech (${p.speakingStyle}).`,
      !!p.era && `Where I come from (${p.era}), such things are not rare.`,
    ],
    generic: ['It deserves a closer look.', 'Things are rarely as simple as they seem.', 'I would rather hear what you truly think.'],
    closers: ['And you — what do you make of it?', 'What would you do in my place?', 'Tell me more; I am listening.'],
  };
}

/** A 2–4 sentence third-person biography from a (partial) stored profile. */
export function biography(hints: LlmHints | undefined): string {
  const p = persona(hints, 0);
  const profile = (hints?.profile ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const name = p.name || '此人';
  const situation = bare(asText(profile.background?.currentSituation)) || bare(asText(profile.background?.origin));
  const out = [`${name}${p.occupation ? `，${p.occupation}` : ''}。`];
  if (p.traits) out.push(`其性格${p.traits.replace(/^(性格)?/, '')}。`);
  if (p.experience) out.push(`${p.experience}。`);
  if (situation) out.push(`${situation}。`);
  else if (p.goals) out.push(`${p.goals}。`);
  if (out.length < 2) out.push(`关于${name}的资料有限，其形象仍有待进一步描绘。`);
  return out.slice(0, 4).join('');
}
