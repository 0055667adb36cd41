/**
 * The structured character profile: nine sections, each with fixed fields.
 *
 * Code uses the stable English keys below; prompts and the UI show the Chinese labels, which are
 * the original product's contract (../shared/spec/characters.md §4.2). The LLM is asked for the
 * Chinese keys (it writes better Chinese that way) and `fromLabelled` maps its answer back.
 * Two fields are lists (background.experiences, background.relationships); every other field is text.
 */
import { Type, type Static, type TObject } from '@sinclair/typebox';

interface FieldDef {
  key: string;
  label: string;
  list?: boolean;
  /** Guidance for the model (Chinese, as in the original prompts). */
  hint: string;
}

interface SectionDef {
  key: SectionKey;
  label: string;
  labelEn: string;
  fields: FieldDef[];
}

export const SECTION_KEYS = ['identity', 'personality', 'background', 'knowledge', 'dialogue', 'tasks', 'world', 'system', 'source'] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

export const SECTIONS: readonly SectionDef[] = [
  {
    key: 'identity',
    label: '基础身份信息',
    labelEn: 'Identity',
    fields: [
      { key: 'name', label: '姓名', hint: '真实姓名或常用称呼，可注明别名' },
      { key: 'age', label: '年龄', hint: '明确年龄；原文只有“青年/中年”等模糊描述时照录' },
      { key: 'gender', label: '性别', hint: '依据事实；未知则留空' },
      { key: 'occupation', label: '职业', hint: '当前职业、身份或职位' },
      { key: 'background', label: '身份背景', hint: '社会身份、出身、籍贯、民族、阶层' },
      { key: 'appearance', label: '外貌特征', hint: '体型、衣着、发型等' },
      { key: 'titles', label: '称谓/头衔', hint: '正式或非正式的称号' },
      { key: 'intro', label: '人物简介', hint: '两到四句话的人物简介' },
    ],
  },
  {
    key: 'personality',
    label: '个性与行为设定',
    labelEn: 'Personality',
    fields: [
      { key: 'traits', label: '性格特质', hint: '核心性格特质，1–3 句自然语言' },
      { key: 'values', label: '价值观', hint: '核心信念，1–2 句' },
      { key: 'emotionStyle', label: '情绪风格', hint: '惯常的情绪表达，1 句' },
      { key: 'speakingStyle', label: '说话方式', hint: '说话习惯，1 句' },
      { key: 'likes', label: '偏好', hint: '喜好，合并为一句' },
      { key: 'dislikes', label: '厌恶', hint: '厌恶，合并为一句' },
      { key: 'goals', label: '动机与目标', hint: '动机与目标，1–2 句' },
    ],
  },
  {
    key: 'background',
    label: '背景故事',
    labelEn: 'Background',
    fields: [
      { key: 'origin', label: '出身', hint: '出生地、家庭、阶层，1–2 句' },
      { key: 'experiences', label: '经历', list: true, hint: '字符串数组，每个关键经历或转折一句' },
      { key: 'currentSituation', label: '当前处境', hint: '当前状况，1 句' },
      { key: 'relationships', label: '关系网络', list: true, hint: '字符串数组，每项形如“关系：姓名”' },
      { key: 'secrets', label: '秘密', hint: '一句话，或空字符串' },
    ],
  },
  {
    key: 'knowledge',
    label: '知识与能力',
    labelEn: 'Knowledge',
    fields: [
      { key: 'domains', label: '知识领域', hint: '知识领域，一句' },
      { key: 'skills', label: '技能', hint: '技能，1–2 句' },
      { key: 'limitations', label: '限制', hint: '局限或弱点，1 句' },
    ],
  },
  {
    key: 'dialogue',
    label: '对话与交互规范',
    labelEn: 'Dialogue',
    fields: [
      { key: 'tone', label: '语气', hint: '惯常语气' },
      { key: 'languageStyle', label: '语言风格', hint: '如正式、随意、诗意、军事化' },
      { key: 'constraints', label: '行为约束', hint: '互动中不能做的事' },
      { key: 'interactionPattern', label: '互动模式', hint: '与人互动的方式' },
    ],
  },
  {
    key: 'tasks',
    label: '任务/功能性信息',
    labelEn: 'Tasks',
    fields: [
      { key: 'goal', label: '任务目标', hint: '当前最重要的任务，一句' },
      { key: 'dialogueIntent', label: '对话意图', hint: '对话的核心目的，一句' },
      { key: 'limits', label: '交互限制', hint: '回避的话题，一句' },
      { key: 'triggers', label: '触发条件', hint: '关键触发条件（可选），一句' },
    ],
  },
  {
    key: 'world',
    label: '环境与世界观',
    labelEn: 'World',
    fields: [
      { key: 'worldview', label: '世界观', hint: '世界体系或文化，一句' },
      { key: 'timeline', label: '时间线', hint: '所处时代，一句' },
      { key: 'socialRules', label: '社会规则', hint: '主要规则或制度，一句' },
      { key: 'resources', label: '外部资源', hint: '可用资源（装备、组织），一句' },
    ],
  },
  {
    key: 'system',
    label: '系统与控制参数',
    labelEn: 'System',
    fields: [
      { key: 'consistency', label: '一致性控制', hint: '保持角色一致的要求，一句' },
      { key: 'preference', label: '偏好控制', hint: '语言或行为偏好，一句' },
      { key: 'safety', label: '安全限制', hint: '合并为一段的安全约束，不要通用清单' },
      { key: 'improvisation', label: '演绎范围', hint: '即兴发挥的边界，一句' },
    ],
  },
  {
    key: 'source',
    label: '来源',
    labelEn: 'Source',
    fields: [
      { key: 'id', label: '唯一标识', hint: '词条或页面标识' },
      { key: 'url', label: '链接', hint: '来源链接' },
      { key: 'size', label: '来源信息量', hint: '大致篇幅，如“约5000字”；未知写“未知”' },
    ],
  },
];

export const SECTION_BY_KEY: Record<SectionKey, SectionDef> = Object.fromEntries(SECTIONS.map((s) => [s.key, s])) as Record<SectionKey, SectionDef>;

/** A section's values: text fields are strings, list fields string arrays; unknown fields are kept. */
export type Section = Record<string, string | string[] | unknown>;
export type Profile = Partial<Record<SectionKey, Section>> & Record<string, unknown>;

const sectionSchema = (s: SectionDef, labelled: boolean): TObject =>
  Type.Object(
    Object.fromEntries(
      s.fields.map((f) => [labelled ? f.label : f.key, f.list ? Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 100 }) : Type.String({ maxLength: 5000 })]),
    ),
    { additionalProperties: true },
  );

/** Schema of a section as the LLM answers it (Chinese keys). */
export function labelledSectionSchema(key: SectionKey): TObject {
  return sectionSchema(SECTION_BY_KEY[key], true);
}

/** Schema of a stored profile (English keys; every field optional; unknown fields kept). */
export const ProfileSchema = Type.Object(
  Object.fromEntries(
    SECTIONS.map((s) => [
      s.key,
      Type.Optional(
        Type.Object(
          Object.fromEntries(
            s.fields.map((f) => [f.key, Type.Optional(f.list ? Type.Array(Type.String({ maxLength: 2000 }), { maxItems: 200 }) : Type.String({ maxLength: 10_000 }))]),
          ),
          { additionalProperties: true },
        ),
      ),
    ]),
  ),
  { additionalProperties: true },
);
export type StoredProfile = Static<typeof ProfileSchema>;

/** Maps an LLM answer with Chinese keys to English keys; keeps unknown keys as they are. */
export function fromLabelled(key: SectionKey, answer: Record<string, unknown>): Section {
  const def = SECTION_BY_KEY[key];
  const out: Section = {};
  for (const [k, v] of Object.entries(answer)) {
    const field = def.fields.find((f) => f.label === k || f.key === k);
    out[field ? field.key : k] = field ? normaliseValue(v, !!field.list) : v;
  }
  return out;
}

function normaliseValue(v: unknown, list: boolean): string | string[] {
  if (list) {
    if (Array.isArray(v)) return v.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).filter((x) => x.trim() !== '');
    if (typeof v === 'string') return v.trim() ? v.split(/\n+/).map((x) => x.trim()).filter(Boolean) : [];
    return [];
  }
  if (typeof v === 'string') return v.trim();
  if (v == null) return '';
  return Array.isArray(v) ? v.join('；') : JSON.stringify(v);
}

/** Text of a field for display or prompts: lists joined, missing as ''. */
export function fieldText(profile: Profile, section: SectionKey, field: string): string {
  const v = (profile[section] as Section | undefined)?.[field];
  if (Array.isArray(v)) return v.join('；');
  return typeof v === 'string' ? v : '';
}
