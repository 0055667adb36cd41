/**
 * The nine profile sections and their fields, with Chinese and English labels — a web-side copy of
 * src/features/characters/profile.ts (the browser build must not import server code). Keep the keys
 * in step with that file; labels are for display only.
 */
import type { Locale } from '../../i18n/index.js';
import type { Profile } from '../../lib/types.js';

export interface FieldDef {
  key: string;
  zh: string;
  en: string;
  list?: boolean;
}

export interface SectionDef {
  key: string;
  zh: string;
  en: string;
  fields: FieldDef[];
}

export const SECTIONS: readonly SectionDef[] = [
  {
    key: 'identity', zh: '基础身份信息', en: 'Identity',
    fields: [
      { key: 'name', zh: '姓名', en: 'Name' },
      { key: 'age', zh: '年龄', en: 'Age' },
      { key: 'gender', zh: '性别', en: 'Gender' },
      { key: 'occupation', zh: '职业', en: 'Occupation' },
      { key: 'background', zh: '身份背景', en: 'Social background' },
      { key: 'appearance', zh: '外貌特征', en: 'Appearance' },
      { key: 'titles', zh: '称谓/头衔', en: 'Titles' },
      { key: 'intro', zh: '人物简介', en: 'Introduction' },
    ],
  },
  {
    key: 'personality', zh: '个性与行为设定', en: 'Personality',
    fields: [
      { key: 'traits', zh: '性格特质', en: 'Traits' },
      { key: 'values', zh: '价值观', en: 'Values' },
      { key: 'emotionStyle', zh: '情绪风格', en: 'Emotional style' },
      { key: 'speakingStyle', zh: '说话方式', en: 'Way of speaking' },
      { key: 'likes', zh: '偏好', en: 'Likes' },
      { key: 'dislikes', zh: '厌恶', en: 'Dislikes' },
      { key: 'goals', zh: '动机与目标', en: 'Motives and goals' },
    ],
  },
  {
    key: 'background', zh: '背景故事', en: 'Background',
    fields: [
      { key: 'origin', zh: '出身', en: 'Origin' },
      { key: 'experiences', zh: '经历', en: 'Experiences', list: true },
      { key: 'currentSituation', zh: '当前处境', en: 'Current situation' },
      { key: 'relationships', zh: '关系网络', en: 'Relationships', list: true },
      { key: 'secrets', zh: '秘密', en: 'Secrets' },
    ],
  },
  {
    key: 'knowledge', zh: '知识与能力', en: 'Knowledge',
    fields: [
      { key: 'domains', zh: '知识领域', en: 'Domains' },
      { key: 'skills', zh: '技能', en: 'Skills' },
      { key: 'limitations', zh: '限制', en: 'Limitations' },
    ],
  },
  {
    key: 'dialogue', zh: '对话与交互规范', en: 'Dialogue',
    fields: [
      { key: 'tone', zh: '语气', en: 'Tone' },
      { key: 'languageStyle', zh: '语言风格', en: 'Language style' },
      { key: 'constraints', zh: '行为约束', en: 'Constraints' },
      { key: 'interactionPattern', zh: '互动模式', en: 'Interaction pattern' },
      // Kept by the server as extra dialogue fields (a card's first_mes and mes_example); shown and edited here.
      { key: 'greeting', zh: '开场白', en: 'Greeting' },
      { key: 'exampleDialogue', zh: '对话示例', en: 'Example dialogue' },
    ],
  },
  {
    key: 'tasks', zh: '任务/功能性信息', en: 'Tasks',
    fields: [
      { key: 'goal', zh: '任务目标', en: 'Goal' },
      { key: 'dialogueIntent', zh: '对话意图', en: 'Dialogue intent' },
      { key: 'limits', zh: '交互限制', en: 'Limits' },
      { key: 'triggers', zh: '触发条件', en: 'Triggers' },
    ],
  },
  {
    key: 'world', zh: '环境与世界观', en: 'World',
    fields: [
      { key: 'worldview', zh: '世界观', en: 'Worldview' },
      { key: 'timeline', zh: '时间线', en: 'Timeline' },
      { key: 'socialRules', zh: '社会规则', en: 'Social rules' },
      { key: 'resources', zh: '外部资源', en: 'Resources' },
    ],
  },
  {
    key: 'system', zh: '系统与控制参数', en: 'System',
    fields: [
      { key: 'consistency', zh: '一致性控制', en: 'Consistency' },
      { key: 'preference', zh: '偏好控制', en: 'Preferences' },
      { key: 'safety', zh: '安全限制', en: 'Safety' },
      { key: 'improvisation', zh: '演绎范围', en: 'Improvisation' },
    ],
  },
  {
    key: 'source', zh: '来源', en: 'Source',
    fields: [
      { key: 'id', zh: '唯一标识', en: 'Identifier' },
      { key: 'url', zh: '链接', en: 'Link' },
      { key: 'size', zh: '来源信息量', en: 'Amount of source text' },
    ],
  },
];

export const label = (d: { zh: string; en: string }, locale: Locale) => (locale === 'zh-CN' ? d.zh : d.en);

/** A field's value as text: lists one item per line; other non-strings as JSON. */
export function fieldToText(v: unknown, list = false): string {
  if (v == null) return '';
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(list ? '\n' : '；');
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Editor text back to a field value: list fields split on lines, empty lines dropped. */
export function textToField(text: string, list = false): string | string[] {
  if (!list) return text.trim();
  return text.split(/\r?\n/).map((x) => x.trim()).filter(Boolean);
}

/**
 * Applies edited texts to a profile. Known fields are replaced; unknown fields and unknown
 * sections (an imported card may carry extras) are kept as they were.
 */
export function applyEdits(profile: Profile, edits: Record<string, Record<string, string>>): Profile {
  const out: Profile = { ...profile };
  for (const s of SECTIONS) {
    const sec = { ...((profile[s.key] as Record<string, unknown> | undefined) ?? {}) };
    const e = edits[s.key] ?? {};
    for (const f of s.fields) if (f.key in e) sec[f.key] = textToField(e[f.key], f.list);
    out[s.key] = sec;
  }
  return out;
}
