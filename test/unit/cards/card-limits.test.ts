/** Card JSON that would break later steps (deep nesting, NUL) is refused while parsing, naming where. */
import { describe, expect, it } from 'vitest';
import { parseCard } from '../../../src/features/characters/card.js';
import { writeTextChunks } from '../../../src/features/characters/png-chunks.js';
import { fixture, thrown } from './helpers.js';

const nested = (levels: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
};
const v2 = (data: Record<string, unknown>) => ({ spec: 'chara_card_v2', spec_version: '2.0', data: { name: 'N', ...data } });

describe('parseCard limits', () => {
  it('refuses extensions nested thousands of levels deep, in a PNG chunk and in a JSON file', () => {
    const card = v2({ extensions: { deep: nested(3000) } });
    const png = writeTextChunks(fixture('plain.png'), [{ keyword: 'chara', text: Buffer.from(JSON.stringify(card)).toString('base64') }]);
    for (const bytes of [png, Buffer.from(JSON.stringify(card))]) {
      const err = thrown(() => parseCard({ bytes }));
      expect(err.code).toBe('validation:card');
      expect(err.message).toMatch(/nested more than 64 levels deep \(at data\.extensions\.deep\.0\.0/);
    }
  });

  it('accepts ordinary nesting', () => {
    expect(parseCard({ bytes: Buffer.from(JSON.stringify(v2({ extensions: { a: nested(20) } }))) }).card.name).toBe('N');
  });

  it('refuses NUL characters, naming the field', () => {
    const err = thrown(() => parseCard({ bytes: Buffer.from(JSON.stringify(v2({ description: 'a\u0000b' }))) }));
    expect(err.code).toBe('validation:card');
    expect(err.message).toContain('NUL character (U+0000) at data.description');
  });
});
