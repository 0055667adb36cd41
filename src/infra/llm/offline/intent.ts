/**
 * What kind of thing the user said, in Chinese or English, and what it is about: the offline
 * model answers the question asked, not a generic line.
 */
export type IntentKind = 'greeting' | 'thanks' | 'farewell' | 'identity' | 'relationship' | 'place' | 'time' | 'opinion' | 'likes' | 'dislikes' | 'story' | 'ability' | 'question' | 'statement';

export interface Intent {
  kind: IntentKind;
  /** The person or topic asked about (relationship, opinion), without quotes, ≤ 12 characters or 4 words. */
  about: string;
}

function cleanTopic(text: string, zh: boolean): string {
  const t = text.replace(/["“”「」『』'‘’《》]/gu, '').replace(/[?？!！。.,，]+$/u, '').trim();
  if (zh) return [...t].length <= 12 ? t : '';
  const words = t.split(/\s+/).filter(Boolean);
  return words.length <= 4 && t.length <= 40 ? t : '';
}

const ZH: [IntentKind, RegExp][] = [
  ['thanks', /^(谢谢|多谢|感谢|谢了|太感谢)/u],
  ['farewell', /^(再见|拜拜|告辞|回头见|下次再聊)/u],
  ['greeting', /^(你好|您好|嗨|哈喽|早上好|晚上好|下午好|早安|晚安|久仰)[啊呀，,！!。~～\s]*([\p{Script=Han}·A-Za-z ]{0,20}[啊呀，,！!。~～\s]*)?$/u],
  ['story', /(讲讲|说说|谈谈|聊聊|讲一讲|说一说)(你的)?(故事|经历|往事|生平|过去|一生)/u],
  ['identity', /你是谁|介绍一下?你?自己|你叫什么|自我介绍|你是什么人|你是做什么的|你的身份/u],
  ['likes', /(你|你们|您)(最|平时|平常)?(喜欢|爱好|喜爱|爱)(做)?(什么|啥|哪)|你的(爱好|喜好)/u],
  ['dislikes', /(你|你们|您)(最)?(讨厌|厌恶|不喜欢|受不了|怕)(什么|啥|哪)/u],
  ['place', /(你|您).{0,6}(哪里|哪儿|什么地方|何处|哪个地方)|你是哪里人|你的家乡|你的故乡/u],
  ['time', /(你|您).{0,8}(什么时候|哪个朝代|什么朝代|哪一年|什么年代|哪个时代|什么时代)|你生于|你多大/u],
  ['opinion', /(你|你们|您)(怎么|如何)看|(你|你们|您)对.{1,12}(有什么|怎么|的)(看法|想法|评价|意见)|(你|你们|您)觉得.{1,12}(怎么样|如何)|(你|你们|您)如何评价/u],
];

const EN: [IntentKind, RegExp][] = [
  ['thanks', /^(thanks|thank you|many thanks|cheers)\b/i],
  ['farewell', /^(bye|goodbye|farewell|see you)\b/i],
  ['greeting', /^(hello|hi|hey|greetings|good (morning|afternoon|evening))\b[\s!.,]*\w{0,12}[\s!.]*$/i],
  ['identity', /who are you|introduce yourself|what is your name|what's your name|tell me about yourself|what do you do/i],
  ['likes', /what do you (like|love|enjoy)|your (hobbies|favou?rite)/i],
  ['dislikes', /what do you (hate|dislike)|what annoys you/i],
  ['story', /tell me (about )?(your )?(story|life|past)/i],
  ['place', /where (are you from|do you live|were you born|is your home)/i],
  ['time', /when (did|were) you (live|born)|what (era|century|year)/i],
  ['opinion', /what do you think (of|about)|your (opinion|view) (of|on)|how do you feel about/i],
];

/** 「你和杜甫是什么关系」, 「你认识杜甫吗」, 「杜甫是你什么人」, "your relationship with Watson", "do you know Watson". */
function relationTarget(text: string, zh: boolean): string | undefined {
  const m = zh
    ? /你(?:和|与|跟)(.{1,12}?)(?:是什么关系|什么关系|关系怎么样|关系如何|的关系|熟吗|熟不熟|怎么认识)|你认识(.{1,12}?)吗|(.{1,12}?)是你(?:的)?什么人/u.exec(text)
    : /(?:relationship|relation) (?:with|to) ([^?.!,]{1,40})|do you know ([^?.!,]{1,40})|who is ([^?.!,]{1,40}) to you/i.exec(text);
  const who = m?.slice(1).find(Boolean);
  return who === undefined ? undefined : cleanTopic(who, zh);
}

function opinionTopic(text: string, zh: boolean): string {
  const m = zh
    ? /(?:你们?|您)(?:怎么|如何)看(?:待)?(.{1,16}?)(?:[?？。！]|$)|(?:你们?|您)对(.{1,12}?)(?:有什么|怎么|的)|(?:你们?|您)觉得(.{1,12}?)(?:怎么样|如何)|(?:你们?|您)如何评价(.{1,12}?)(?:[?？。！]|$)/u.exec(text)
    : /(?:think|feel) (?:of|about) ([^?.!,]{1,40})|(?:opinion|view) (?:of|on) ([^?.!,]{1,40})/i.exec(text);
  return cleanTopic(m?.slice(1).find(Boolean) ?? '', zh);
}

export function intentOf(text: string, zh: boolean): Intent {
  const t = text.trim();
  const who = relationTarget(t, zh);
  if (who) return { kind: 'relationship', about: who };
  const skill = zh ? /(?:你|您)(?:会|能|擅长|懂)(?:不会)?(.{1,10}?)(?:吗|么|嘛|[?？])/u.exec(t) : /(?:can|do) you ([a-z][a-z ]{1,30}?)\?/i.exec(t);
  if (skill && !/什么|谁|哪/u.test(skill[1])) return { kind: 'ability', about: cleanTopic(skill[1], zh) };
  for (const [kind, re] of zh ? ZH : EN) {
    if (re.test(t)) return { kind, about: kind === 'opinion' ? opinionTopic(t, zh) : '' };
  }
  const asked = zh ? /[?？]|吗|什么|为什么|为何|怎么|如何|哪|谁|几|是否/u.test(t) : /\?|\b(what|why|how|who|where|when|which|do you|are you|can you|will you)\b/i.test(t);
  return { kind: asked ? 'question' : 'statement', about: '' };
}
