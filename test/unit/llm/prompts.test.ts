import { describe, expect, it } from 'vitest';
import { BUILTIN_PROMPTS, PROMPT_IDS, createPromptRegistry } from '../../../src/features/prompts/registry.js';
import { PromptRenderError, renderTemplate } from '../../../src/features/prompts/render.js';

describe('renderTemplate', () => {
  it('replaces known names and leaves literal braces alone', () => {
    const out = renderTemplate('你好{name}，输出 {"key": "{name}"} 与 {other}', { name: '李白' }, { placeholders: ['name'] });
    expect(out).toBe('你好李白，输出 {"key": "李白"} 与 {other}');
  });

  it('does not expand placeholders inside values', () => {
    expect(renderTemplate('{a}|{b}', { a: '{b}', b: 'x' }, { placeholders: ['a', 'b'] })).toBe('{b}|x');
  });

  it('throws a typed error naming every missing value', () => {
    const err = (() => {
      try {
        renderTemplate('{a} {b} {c}', { b: 1 }, { placeholders: ['a', 'b', 'c'], id: 't' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PromptRenderError);
    expect((err as PromptRenderError).missing).toEqual(['a', 'c']);
    expect((err as PromptRenderError).status).toBe(500);
  });

  it('writes missing values as empty when asked', () => {
    expect(renderTemplate('[{a}]', {}, { placeholders: ['a'], missing: 'empty' })).toBe('[]');
  });
});

describe('prompt registry', () => {
  it('every built-in template uses each placeholder it declares', () => {
    for (const id of PROMPT_IDS) for (const p of BUILTIN_PROMPTS[id].placeholders) expect(BUILTIN_PROMPTS[id].text, `${id} {${p}}`).toContain(`{${p}}`);
  });

  it('renders a built-in template and keeps its JSON example', async () => {
    const registry = createPromptRegistry();
    const text = await registry.render('memory.summarize', { character_name: '李白', messages: '用户: 你好' });
    expect(text).toContain('【当前角色】李白');
    expect(text).toContain('{"short_memories": [');
    expect(text).not.toContain('{character_name}');
  });

  it('prefers an override, and falls back to the built-in text when the lookup fails', async () => {
    const seen: string[] = [];
    const registry = createPromptRegistry({
      override: async (id) => {
        if (id === 'chat.rules') return '你是{character_name}。{"literal": true}';
        if (id === 'group.moderator') throw new Error('store down');
        return undefined;
      },
      onOverrideError: (_err, id) => seen.push(id),
    });
    expect(await registry.render('chat.rules', { character_name: '杜甫' })).toBe('你是杜甫。{"literal": true}');
    expect((await registry.get('group.moderator')).source).toBe('builtin');
    expect(seen).toEqual(['group.moderator']);
    expect((await registry.get('structure.system')).source).toBe('builtin');
  });
});
