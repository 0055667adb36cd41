/**
 * Fills one profile section from a source page's Markdown: infobox values first (`- 别名：…`
 * lines or `#### 别名` headings under an infobox heading), then sentences of the text that match
 * the field, then a plausible default built from what is known. Fields are the schema's property
 * names, i.e. the Chinese labels of src/features/characters/profile.ts.
 */
import { bare, clip, scanHead, sentences, stripConnective } from './text.js';

/** Pages are read up to this size (creation already caps the Markdown; this bounds direct calls). */
const SOURCE_SCAN_LIMIT = 60_000;

export interface SourceFacts {
  name: string;
  info: Map<string, string>;
  summary: string[];
  text: string[];
  url: string;
  size: number;
  ancient: boolean;
}

export function readSource(fullMarkdown: string, personaName: string): SourceFacts {
  const markdown = scanHead(fullMarkdown, SOURCE_SCAN_LIMIT);
  const info = new Map<string, string>();
  const lines = markdown.split('\n');
  let infoboxLevel = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    const heading = /^(#{1,6})\s+(.+)$/.exec(line);
    if (heading) {
      const level = heading[1].length;
      if (/infobox|基本信息|信息框/i.test(heading[2])) infoboxLevel = level;
      else if (infoboxLevel && level <= infoboxLevel) infoboxLevel = 0;
      else if (infoboxLevel && level > infoboxLevel) {
        const value = lines.slice(i + 1).find((l) => l.trim() !== '')?.trim() ?? '';
        if (value && !value.startsWith('#')) setOnce(info, heading[2], value);
      }
      continue;
    }
    const pair = /^(?:[-*]\s*)?([^：:\s]{1,8})[：:]\s*(.{1,200})$/.exec(line);
    if (pair && !/^https?$/.test(pair[1])) setOnce(info, pair[1], pair[2]);
  }
  const summaryBlock = /##\s*(概述|摘要|简介)\s*\n+([\s\S]*?)(\n#|$)/.exec(markdown)?.[2] ?? '';
  const text = sentences(markdown)
    .filter((s) => !/^[^：:]{1,8}[：:]/.test(s))
    .map(stripConnective);
  const summary = summaryBlock ? sentences(summaryBlock) : text.slice(0, 2);
  const url = /https?:\/\/[^\s)>\]]+/.exec(markdown)?.[0] ?? '';
  const name = firstInfo(info, ['中文名', '本名', '姓名', '名字']) || personaName;
  const years = [...markdown.matchAll(/(\d{3,4})年/g)].map((m) => Number(m[1]));
  const ancient = /朝|代|国|古/.test(firstInfo(info, ['朝代', '所处时代', '时代'])) || (years.length > 0 && Math.min(...years) < 1840);
  return { name, info, summary, text, url, size: fullMarkdown.length, ancient };
}

function setOnce(map: Map<string, string>, key: string, value: string): void {
  const k = key.replace(/\s+/g, '');
  if (!map.has(k)) map.set(k, value.replace(/\[\d+\]/g, '').trim());
}

function firstInfo(info: Map<string, string>, keys: string[]): string {
  for (const k of keys) {
    const v = info.get(k);
    if (v) return v;
  }
  return '';
}

function matching(src: SourceFacts, pattern: RegExp, max: number): string[] {
  return src.text.filter((s) => pattern.test(s)).slice(0, max);
}

const RELATIONS = ['父亲', '母亲', '配偶', '妻子', '丈夫', '子女', '儿子', '女儿', '兄弟', '姐妹', '亲属', '师父', '老师', '师傅', '师弟', '师兄', '弟子', '学生', '好友', '朋友', '搭档', '主要搭档', '宿敌', '房东', '主公', '君主'];

/** A clause ending in a role noun: 「唐代最负盛名的诗人之一」, 「北宋文学家、书法家、画家和政治家」. */
const ROLE_CLAUSE = /(人|家|者|士|王|帝|侯|相|将|将军|官|师|员|英雄|侦探|人物|角色|猴|仙|僧|主|后|妃|领袖|统帅|丞相|宰相|客|侠|匠|商|医生|兵|学生|教授|工程师)$/u;

/** An occupation-like phrase from the summary's first sentence (never 「后世尊称为“诗仙”」). */
function occupationFrom(summary: string): string {
  for (const raw of bare(summary).split(/[，,；;]/u)) {
    const clause = raw.replace(/^.*?是(?:一位|一名|一个|一只)?/u, '').replace(/之一$/u, '').trim();
    if (/^(字|号|又字|又号|世称|人称|别名|被|后世|本名|原名)/u.test(clause)) continue;
    if (clause.length >= 2 && clause.length <= 30 && ROLE_CLAUSE.test(clause) && !/[“”"「」（）()]/u.test(clause)) return clause;
  }
  return '';
}

/** Clauses of the page that match `pattern` and not `unless`, subject removed: 「热爱交友」. */
function clausesWith(src: SourceFacts, pattern: RegExp, unless: RegExp | undefined, names: string[], max: number): string[] {
  const out: string[] = [];
  for (const s of src.text) {
    for (const raw of bare(s).split(/[，,；;。]/u)) {
      if (!pattern.test(raw) || unless?.test(raw)) continue;
      let c = stripConnective(raw.trim()).replace(/^(他|她|其)/u, '');
      for (const n of names) if (n && c.startsWith(n)) c = c.slice(n.length);
      c = c.replace(/^(也|还|又|更|都)/u, '');
      if (c.length >= 2 && c.length <= 30 && !/[“”"「」]/u.test(c) && !out.includes(c)) out.push(c);
      if (out.length >= max) return out;
    }
  }
  return out;
}

const LIKE_WORDS = /喜欢|喜爱|爱好|嗜|酷爱|热爱|钟情|好酒|爱酒|偏爱/u;
const DISLIKE_WORDS = /厌恶|憎恶|讨厌|不屑|痛恨|反感|看不惯|鄙视|不喜欢/u;
const TITLE_KEYS = ['别名', '字', '号', '称号', '尊号', '封号', '谥号', '外号', '绰号', '别称', '英文名'];

interface Rule {
  info?: string[];
  words?: RegExp;
  max?: number;
  list?: (s: SourceFacts) => string[];
  make: (s: SourceFacts, d: Derived) => string;
}

interface Derived {
  occupation: string;
  era: string;
  works: string;
}

function derive(src: SourceFacts): Derived {
  const first = src.summary[0] ?? '';
  const clause = bare(first).split(/[，,]/).pop() ?? '';
  const fromSummary = /是(.{2,30})$/.exec(bare(first))?.[1] ?? (clause.length <= 30 ? clause : '');
  return {
    occupation: firstInfo(src.info, ['职业', '职务', '身份', '主要职务', '官职']) || occupationFrom(first) || (ROLE_CLAUSE.test(fromSummary) ? fromSummary : ''),
    era: firstInfo(src.info, ['朝代', '所处时代', '时代', '年代']) || (/(先秦|秦|西汉|东汉|汉|三国|西晋|东晋|晋|南北朝|隋|唐|北宋|南宋|宋|元|明|清)[朝代]/.exec(src.summary.join(''))?.[0] ?? ''),
    works: firstInfo(src.info, ['代表作品', '代表作', '主要作品', '主要成就', '研究领域']),
  };
}

function joinClauses(clauses: string[]): string {
  return clauses.length ? `${clauses.join('，')}。` : '';
}

const RULES: Record<string, Rule> = {
  姓名: { make: (s) => s.name + (firstInfo(s.info, ['别名', '字', '号']) ? `（${firstInfo(s.info, ['别名', '字', '号'])}）` : '') },
  年龄: {
    info: ['享年', '年龄'],
    words: /享年|\d+岁/,
    max: 1,
    make: (s) => {
      const birth = /(\d{3,4})年/.exec(firstInfo(s.info, ['出生日期', '出生时间', '出生']))?.[1];
      const death = /(\d{3,4})年/.exec(firstInfo(s.info, ['逝世日期', '去世时间', '逝世']))?.[1];
      return birth && death ? `享年约${Number(death) - Number(birth)}岁` : '资料未载明';
    },
  },
  性别: {
    info: ['性别'],
    make: (s) => {
      const all = s.text.join('');
      const he = (all.match(/他/g) ?? []).length;
      const she = (all.match(/她/g) ?? []).length;
      return he > she ? '男' : she > he ? '女' : '';
    },
  },
  职业: { make: (s, d) => d.occupation || '资料未载明' },
  身份背景: {
    words: /出身|家族|家境|世家|籍贯/,
    max: 1,
    make: (s, d) =>
      [firstInfo(s.info, ['民族']), firstInfo(s.info, ['国籍']), firstInfo(s.info, ['出生地', '籍贯']) && `出生于${firstInfo(s.info, ['出生地', '籍贯'])}`, d.era && `${d.era}人`]
        .filter(Boolean)
        .join('，') || '资料未载明',
  },
  外貌特征: { words: /身高|外貌|相貌|容貌|身材|长相|面容|体型|衣着|须发/, max: 2, make: (s) => `资料中未见对${s.name}外貌的明确记载` },
  '称谓/头衔': { make: (s) => TITLE_KEYS.map((k) => s.info.get(k) && `${k}：${s.info.get(k)}`).filter(Boolean).join('；') || s.name },
  人物简介: { make: (s, d) => s.summary.slice(0, 2).join('') || `${s.name}，${d.occupation || '其人事迹见于来源资料'}。` },

  性格特质: { words: /性格|为人|个性|性情|秉性|豪放|耿直|谨慎|温和|刚烈|洒脱/, max: 2, make: () => '性格鲜明，行事有主见，不轻易随人俯仰。' },
  价值观: { words: /主张|信念|理想|崇尚|信奉|提倡/, max: 1, make: () => '看重自己认定的道理，愿意为之付出代价。' },
  情绪风格: { make: () => '喜怒多形于言辞，但遇大事能沉住气。' },
  说话方式: { make: (s, d) => (s.ancient ? `说话带有${d.era || '古'}人的文雅气息，喜欢引经据典。` : '说话直接清楚，条理分明。') },
  // Clauses, not whole sentences: a sentence with both a like and a dislike made 偏好 = 厌恶.
  偏好: { make: (s, d) => joinClauses(clausesWith(s, LIKE_WORDS, DISLIKE_WORDS, [s.name], 2)) || (d.works ? `偏爱与${clip(d.works, 30)}相关的事物。` : '偏爱能施展所长的事。') },
  厌恶: { make: (s) => joinClauses(clausesWith(s, DISLIKE_WORDS, undefined, [s.name], 2)) || '厌恶虚伪与敷衍。' },
  动机与目标: { words: /志向|抱负|立志|理想|目标|希望/, max: 1, make: () => '希望凭自己的本事有所作为，留下值得称道的事迹。' },

  出身: {
    words: /出生|生于|出身|祖籍|籍贯|家族|父亲/,
    max: 2,
    make: (s) => (firstInfo(s.info, ['出生地', '籍贯']) ? `出生于${firstInfo(s.info, ['出生地', '籍贯'])}。` : '出身资料未载明。'),
  },
  经历: {
    list: (s) => {
      const rest = s.text.filter((t) => !s.summary.includes(t));
      const dated = rest.filter((t) => /(\d{2,4}年|年间|元年|任|登基|创作|发表|加入|考中|出任|率领|获得|毕业|当选)/.test(t));
      // Too few dated events (a fictional figure): sentences about the person themself.
      const about = dated.length >= 3 ? [] : rest.filter((t) => !dated.includes(t) && (t.startsWith(s.name) || /^(他|她)(?!们)/u.test(t)));
      const picked = [...dated, ...about];
      return (picked.length ? picked : s.summary).slice(0, 6).map((t) => clip(t, 200));
    },
    make: () => '',
  },
  当前处境: {
    make: (s) => {
      const death = firstInfo(s.info, ['逝世日期', '去世时间', '逝世']);
      return death ? `已于${death}逝世，其事迹流传后世。` : bare(matching(s, /现任|目前|如今|晚年/, 1)[0] ?? '') || '处境资料未载明。';
    },
  },
  关系网络: { list: (s) => RELATIONS.filter((r) => s.info.get(r)).map((r) => `${r}：${s.info.get(r)}`), make: () => '' },
  秘密: { make: () => '' },

  知识领域: { info: ['研究领域', '专业', '主要成就'], make: (s, d) => (d.works ? `精于与${clip(d.works, 40)}相关的学问。` : `熟悉${d.occupation || '自身所处领域'}的相关知识。`) },
  技能: { words: /擅长|精通|善于|长于|技艺|才能/, max: 2, make: (s, d) => (d.works ? `代表作有${clip(d.works, 60)}。` : '资料未载明') },
  限制: { make: (s, d) => `对${d.era || '自己所处时代'}之后的事物所知有限。` },

  语气: { make: (s) => (s.ancient ? '从容而带几分文气' : '平实而直接') },
  语言风格: { make: (s) => (s.ancient ? '典雅、诗意' : '简洁、口语化') },
  行为约束: { make: (s) => `不脱离${s.name}的身份说话，不谈论自己不可能知道的事。` },
  互动模式: { make: () => '乐于回应对方的问题，常以自身经历举例，也会反问对方的看法。' },

  任务目标: { make: (s) => `以${s.name}的身份与对方交流，分享自己的见解与经历。` },
  对话意图: { make: (s, d) => `让对方了解${s.name}${d.works ? `及其${clip(d.works, 30)}` : '的为人与经历'}。` },
  交互限制: { make: () => '回避与角色身份无关的敏感话题。' },
  触发条件: { make: (s, d) => `当对方提到${d.works ? clip(d.works, 30) : s.name + '的往事'}时会格外投入。` },

  世界观: { make: (s, d) => `${d.era ? `${d.era}的` : ''}社会与文化塑造了${s.name}看待世界的方式。` },
  时间线: {
    make: (s, d) => {
      const birth = firstInfo(s.info, ['出生日期', '出生时间']);
      const death = firstInfo(s.info, ['逝世日期', '去世时间']);
      return [d.era, birth && death ? `${birth}—${death}` : birth].filter(Boolean).join('，') || '时代资料未载明';
    },
  },
  社会规则: { make: (s, d) => (d.era ? `遵循${d.era}的礼法与制度。` : '遵循其所处社会的规则与习俗。') },
  外部资源: { info: ['所属组织', '所属机构', '组织', '所属'], make: (s, d) => (d.works ? `${clip(d.works, 40)}等积累。` : '个人的学识与人脉。') },

  一致性控制: { make: (s) => `始终以${s.name}的身份、口吻和知识边界说话。` },
  偏好控制: { make: (s) => (s.ancient ? '偏好使用文雅的中文表达。' : '偏好使用自然的中文表达。') },
  安全限制: { make: () => '不生成色情、暴力犯罪、仇恨歧视或侵犯隐私的内容，涉及医疗法律等高风险话题时提醒对方咨询专业人士。' },
  演绎范围: { make: (s) => `可在${s.name}的经历与性格范围内合理即兴发挥，不捏造重大史实。` },

  唯一标识: { make: (s) => s.name },
  链接: { make: (s) => s.url },
  来源信息量: { make: (s) => (s.size ? `约${s.size}字` : '未知') },
};

/** The section's fields by label: a list where the schema asks for an array, text otherwise. */
export function fillSection(fields: { label: string; list: boolean }[], src: SourceFacts): Record<string, string | string[]> {
  const d = derive(src);
  const out: Record<string, string | string[]> = {};
  for (const { label, list } of fields) {
    const rule = RULES[label];
    if (!rule) {
      const hit = matching(src, new RegExp(label.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), 2);
      out[label] = list ? hit : hit.join('') || '资料未载明';
      continue;
    }
    if (list) {
      out[label] = rule.list?.(src) ?? matching(src, rule.words ?? /$^/, 4);
      continue;
    }
    const fromInfo = firstInfo(src.info, rule.info ?? []);
    const fromText = rule.words ? matching(src, rule.words, rule.max ?? 1).join('') : '';
    out[label] = clip(fromInfo || fromText || rule.make(src, d), 1000);
  }
  return out;
}
