/**
 * The judges: one rubric per output type, and the prompt text each judge is sent (registered in
 * the prompt registry as `judge.<kind>`, so admins version them like any other prompt).
 *
 * Chat follows CharacterEval (Tu et al., 2024, "CharacterEval: A Chinese Benchmark for
 * Role-Playing Conversational Agent Evaluation"): conversational ability, character consistency
 * and role-play attractiveness. The other outputs use the original product's judges' dimensions
 * (spec admin-and-web.md §2.5). Every dimension is scored 0–10; the report's score is their mean × 10.
 */

export const EVAL_KINDS = ['chat', 'group_chat', 'structure', 'biography', 'memory_summarize', 'memory_integrate', 'moderator'] as const;
export type EvalKind = (typeof EVAL_KINDS)[number];

export interface Dimension {
  key: string;
  label: string;
  /** What the judge checks, in a sentence. */
  ask: string;
  /** CharacterEval's grouping (chat only). */
  group?: string;
}

export interface Rubric {
  kind: EvalKind;
  /** The prompt under test (a registry id). */
  promptKey: 'chat.rules' | 'structure.section' | 'structure.biography' | 'memory.summarize' | 'memory.integrate' | 'group.moderator';
  judgeKey: `judge.${EvalKind}`;
  target: 'character' | 'group' | 'none';
  title: string;
  dimensions: Dimension[];
  /** The material the judge reads: heading and placeholder, in order. */
  materials: { label: string; name: string }[];
}

const EXPECTED = { label: '期望表现（测试用例作者的描述）', name: 'expected_behaviour' };

export const RUBRICS: Record<EvalKind, Rubric> = {
  chat: {
    kind: 'chat',
    promptKey: 'chat.rules',
    judgeKey: 'judge.chat',
    target: 'character',
    title: '角色扮演对话',
    dimensions: [
      { key: 'fluency', label: '流畅度', group: '对话能力', ask: '语句通顺自然，没有语病和生硬的表达。' },
      { key: 'coherence', label: '连贯性', group: '对话能力', ask: '紧扣上文与对方的问题，回答切题、前后衔接。' },
      { key: 'consistency', label: '一致性', group: '对话能力', ask: '与自己此前说过的话不矛盾。' },
      { key: 'knowledge_accuracy', label: '知识准确性', group: '角色一致性', ask: '涉及角色的经历、时代与专业知识时准确无误。' },
      { key: 'knowledge_hallucination', label: '知识幻觉（越少越高分）', group: '角色一致性', ask: '不编造角色不可能知道的事（如超出其时代的知识），没有捏造的事实。' },
      { key: 'persona_behavior', label: '人设行为', group: '角色一致性', ask: '动作、态度与决定符合角色的性格与价值观。' },
      { key: 'persona_utterance', label: '人设语言', group: '角色一致性', ask: '用词、语气与说话方式像这个角色本人。' },
      { key: 'human_likeness', label: '拟人度', group: '角色扮演吸引力', ask: '像一个真实的人在说话，而不是助手或机器。' },
      { key: 'communication_skills', label: '沟通能力', group: '角色扮演吸引力', ask: '积极互动、追问或引用对方的话，推动对话。' },
      { key: 'expression_diversity', label: '表达多样性', group: '角色扮演吸引力', ask: '表达丰富，不套话、不重复。' },
      { key: 'empathy', label: '共情', group: '角色扮演吸引力', ask: '察觉并回应对方的情绪与需要。' },
    ],
    materials: [
      { label: '角色名', name: 'character_name' },
      { label: '角色设定', name: 'character_info' },
      { label: '对话记录（最早的在前）', name: 'chat_history' },
      { label: '待评估的最新回复', name: 'latest_response' },
      EXPECTED,
    ],
  },
  group_chat: {
    kind: 'group_chat',
    promptKey: 'chat.rules',
    judgeKey: 'judge.group_chat',
    target: 'group',
    title: '群聊对话',
    dimensions: [
      { key: 'character_consistency', label: '角色一致性', ask: '发言符合该角色的身份、性格与说话方式。' },
      { key: 'interactivity', label: '互动性', ask: '回应、追问或反驳其他成员，而不是自说自话。' },
      { key: 'response_quality', label: '回复质量', ask: '自然、有内容、不重复别人说过的话。' },
      { key: 'timing', label: '时机', ask: '长度与情绪恰当，符合群聊此刻的节奏。' },
    ],
    materials: [
      { label: '群聊成员', name: 'group_info' },
      { label: '发言角色', name: 'character_name' },
      { label: '发言角色的设定', name: 'character_info' },
      { label: '对话记录（最早的在前）', name: 'chat_history' },
      { label: '待评估的最新发言', name: 'latest_response' },
      EXPECTED,
    ],
  },
  structure: {
    kind: 'structure',
    promptKey: 'structure.section',
    judgeKey: 'judge.structure',
    target: 'none',
    title: '人物资料结构化提取',
    dimensions: [
      { key: 'completeness', label: '完整性', ask: '要求的字段都已填写，资料中的关键信息没有遗漏。' },
      { key: 'accuracy', label: '准确性', ask: '忠实于原始资料，没有编造或与资料矛盾的内容。' },
      { key: 'relevance', label: '相关性', ask: '内容属于这一部分，不与其他部分重复，对角色扮演有用。' },
    ],
    materials: [
      { label: '人物', name: 'persona_name' },
      { label: '提取的部分', name: 'section_label' },
      { label: '原始资料', name: 'source_text' },
      { label: '生成的内容（JSON）', name: 'generated_content' },
      EXPECTED,
    ],
  },
  biography: {
    kind: 'biography',
    promptKey: 'structure.biography',
    judgeKey: 'judge.biography',
    target: 'character',
    title: '人物简介',
    dimensions: [
      { key: 'attractiveness', label: '吸引力', ask: '读来有趣，让人想和这个角色聊天。' },
      { key: 'accuracy', label: '准确性', ask: '与结构化资料一致，没有编造。' },
      { key: 'length', label: '篇幅', ask: '2–4 句、约 50–150 字，简洁凝练。' },
      { key: 'completeness', label: '完整性', ask: '涵盖身份、一两点性格与当前处境或目标。' },
    ],
    materials: [
      { label: '人物', name: 'character_name' },
      { label: '结构化资料（JSON）', name: 'profile_json' },
      { label: '生成的简介', name: 'generated_brief' },
      EXPECTED,
    ],
  },
  memory_summarize: {
    kind: 'memory_summarize',
    promptKey: 'memory.summarize',
    judgeKey: 'judge.memory_summarize',
    target: 'none',
    title: '短期记忆凝练',
    dimensions: [
      { key: 'information_retention', label: '信息保留', ask: '承诺、计划、偏好变化、重要披露等关键信息都被保留。' },
      { key: 'compression_efficiency', label: '压缩效率', ask: '去掉寒暄与冗余，篇幅明显短于原文。' },
      { key: 'readability', label: '可读性', ask: '每条记忆主体明确、格式统一、一看就懂。' },
    ],
    materials: [
      { label: '原始对话', name: 'original_messages' },
      { label: '凝练出的记忆（JSON）', name: 'compressed_memory' },
      EXPECTED,
    ],
  },
  memory_integrate: {
    kind: 'memory_integrate',
    promptKey: 'memory.integrate',
    judgeKey: 'judge.memory_integrate',
    target: 'none',
    title: '长期记忆整合',
    dimensions: [
      { key: 'integration_quality', label: '整合质量', ask: '新旧记忆合并得当，冲突时保留最新的事实，时间线连贯。' },
      { key: 'deduplication', label: '去重', ask: '没有重复或近似重复的条目。' },
      { key: 'prioritization', label: '取舍', ask: '保留了有长期影响的事实，丢弃了琐碎或过时的内容。' },
    ],
    materials: [
      { label: '待整合的短期记忆', name: 'short_term_memory' },
      { label: '已有的长期记忆', name: 'existing_long_term_memory' },
      { label: '整合结果（JSON）', name: 'integrated_memory' },
      EXPECTED,
    ],
  },
  moderator: {
    kind: 'moderator',
    promptKey: 'group.moderator',
    judgeKey: 'judge.moderator',
    target: 'group',
    title: '群聊中控（选择下一位发言者）',
    dimensions: [
      { key: 'rationality', label: '合理性', ask: '结合上下文，选择的角色最有动机或最有必要发言。' },
      { key: 'diversity', label: '多样性', ask: '不让同一角色连续霸占发言，其他角色也有机会（剧情需要时除外）。' },
      { key: 'momentum', label: '推动力', ask: '这个选择能推动对话或剧情，避免冷场或混乱。' },
    ],
    materials: [
      { label: '群聊成员', name: 'group_info' },
      { label: '最近的对话', name: 'chat_history' },
      { label: '被选中的角色', name: 'selected_character' },
      { label: '中控给出的理由', name: 'decision_reason' },
      EXPECTED,
    ],
  },
};

export const PASS_MEAN = 6;
export const PASS_FLOOR = 4;

function judgeText(r: Rubric): string {
  const dims = r.dimensions.map((d) => `- ${d.key}（${d.group ? `${d.group}·` : ''}${d.label}）：${d.ask}`).join('\n');
  const materials = r.materials.map((m) => `【${m.label}】\n{${m.name}}`).join('\n\n');
  const example = `{"scores": {${r.dimensions.map((d) => `"${d.key}": 7`).join(', ')}}, "total": ${r.dimensions.length * 7}, "passed": true, "reasoning": "逐项说明评分理由", "strengths": ["优点"], "weaknesses": ["不足"], "suggestions": ["改进建议"]}`;
  return `你是一名严格、公正的「${r.title}」质量评估专家。请阅读下面的材料，按各个维度为生成的内容打分，每个维度 0–10 分（可以有一位小数）。

【评分维度】
${dims}

${materials}

【评分要求】
1. 只依据材料判断；材料不足以判断某一项时，在理由中照实说明并给出保守的分数，不要编造。
2. total 是各维度分数之和（满分 ${r.dimensions.length * 10}）。
3. 各维度平均分不低于 ${PASS_MEAN} 且没有任何一项低于 ${PASS_FLOOR} 时 passed 为 true，否则为 false。
4. strengths、weaknesses、suggestions 各写 1–3 条具体的话。

【输出】只输出一个严格的 JSON 对象，不要 Markdown 代码块：
${example}`;
}

export interface JudgeTemplate {
  description: string;
  placeholders: readonly string[];
  text: string;
}

/** Registry entries for every judge (src/features/prompts/registry.ts spreads them in). */
export const JUDGE_PROMPTS = Object.fromEntries(
  Object.values(RUBRICS).map((r) => [r.judgeKey, { description: `Judge: ${r.title} (${r.dimensions.map((d) => d.key).join(', ')})`, placeholders: r.materials.map((m) => m.name), text: judgeText(r) } satisfies JudgeTemplate]),
) as unknown as Record<Rubric['judgeKey'], JudgeTemplate>;

export const rubricOfJudge = (key: string): Rubric | undefined => Object.values(RUBRICS).find((r) => r.judgeKey === key);
