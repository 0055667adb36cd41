/** The judges: every built-in judge prompt is a valid registry text, and the chat rubric is CharacterEval's. */
import { describe, expect, it } from 'vitest';
import { Value } from '@sinclair/typebox/value';
import { RUBRICS, EVAL_KINDS } from '../../../src/features/evaluations/rubrics.js';
import { verdictSchema } from '../../../src/features/evaluations/runner.js';
import { BUILTIN_PROMPTS, createPromptRegistry } from '../../../src/features/prompts/registry.js';
import { checkPromptText } from '../../../src/features/prompts/validate.js';

describe('judge rubrics', () => {
  it('registers one valid judge prompt per kind, naming every dimension', () => {
    for (const kind of EVAL_KINDS) {
      const r = RUBRICS[kind];
      expect(r.judgeKey in BUILTIN_PROMPTS, r.judgeKey).toBe(true);
      const text = BUILTIN_PROMPTS[r.judgeKey].text;
      expect(checkPromptText(r.judgeKey, text)).toEqual({ valid: true, unknown: [], missing: [] });
      for (const d of r.dimensions) expect(text).toContain(d.key);
      expect(r.promptKey in BUILTIN_PROMPTS).toBe(true);
    }
  });

  it('scores chat on the eleven CharacterEval dimensions in its three groups', () => {
    const groups = new Map<string, string[]>();
    for (const d of RUBRICS.chat.dimensions) groups.set(d.group!, [...(groups.get(d.group!) ?? []), d.key]);
    expect([...groups.values()].map((g) => g.length)).toEqual([3, 4, 4]);
    expect(RUBRICS.chat.dimensions.map((d) => d.key)).toEqual(['fluency', 'coherence', 'consistency', 'knowledge_accuracy', 'knowledge_hallucination', 'persona_behavior', 'persona_utterance', 'human_likeness', 'communication_skills', 'expression_diversity', 'empathy']);
  });

  it('renders a judge with its material and keeps the JSON example literal', async () => {
    const prompts = createPromptRegistry();
    const text = await prompts.render('judge.memory_summarize', { original_messages: '用户：明天见', compressed_memory: '{"short_memories": ["用户 | 约定 | 明天见"]}', expected_behaviour: '记下约定' });
    expect(text).toContain('用户：明天见');
    expect(text).toContain('{"short_memories": ["用户 | 约定 | 明天见"]}');
    expect(text).toContain('"information_retention": 7');
  });

  it('accepts a complete verdict and refuses a missing dimension or an out-of-range score', () => {
    const schema = verdictSchema(RUBRICS.moderator);
    const ok = { scores: { rationality: 8, diversity: 6, momentum: 7 }, total: 21, passed: true, reasoning: '…', strengths: ['a'], weaknesses: [], suggestions: ['b'] };
    expect(Value.Check(schema, ok)).toBe(true);
    expect(Value.Check(schema, { ...ok, scores: { rationality: 8, diversity: 6 } })).toBe(false);
    expect(Value.Check(schema, { ...ok, scores: { ...ok.scores, momentum: 11 } })).toBe(false);
  });
});
