import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { boundNumbers, findJsonProblem, MAX_JSON_DEPTH } from '../../../src/http/input-guards.js';

describe('boundNumbers', () => {
  it('bounds unbounded integers and numbers anywhere in a schema, keeping bounds a schema sets', () => {
    const s = Type.Object({
      id: Type.Integer({ minimum: 1 }),
      limit: Type.Integer({ minimum: 1, maximum: 100 }),
      score: Type.Number(),
      ids: Type.Array(Type.Integer()),
      either: Type.Union([Type.Integer(), Type.Null()]),
    });
    boundNumbers(s);
    expect(s.properties.id).toMatchObject({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });
    expect(s.properties.limit).toMatchObject({ minimum: 1, maximum: 100 });
    expect(s.properties.score).toMatchObject({ minimum: -Number.MAX_VALUE, maximum: Number.MAX_VALUE });
    expect(s.properties.ids.items).toMatchObject({ maximum: Number.MAX_SAFE_INTEGER });
    expect(s.properties.either.anyOf[0]).toMatchObject({ maximum: Number.MAX_SAFE_INTEGER });
  });
});

describe('findJsonProblem', () => {
  const nested = (n: number) => {
    let v: unknown = 1;
    for (let i = 0; i < n; i++) v = { a: v };
    return v;
  };

  it('finds NUL in values and keys, with the path', () => {
    expect(findJsonProblem({ a: [{ b: 'x\u0000' }] })).toEqual({ problem: 'nul', path: 'a.0.b' });
    expect(findJsonProblem({ a: { ['k\u0000']: 1 } })).toEqual({ problem: 'nul', path: 'a' });
    expect(findJsonProblem('\u0000')).toEqual({ problem: 'nul', path: '' });
  });

  it('finds lone UTF-16 surrogates and keeps well-formed pairs (emoji, rare CJK)', () => {
    expect(findJsonProblem({ name: '\ud800' })).toEqual({ problem: 'surrogate', path: 'name' });
    expect(findJsonProblem({ list: ['ok', 'x\udc00y'] })).toEqual({ problem: 'surrogate', path: 'list.1' });
    expect(findJsonProblem({ ['\udbff']: 1 })).toEqual({ problem: 'surrogate', path: '' });
    expect(findJsonProblem({ name: '李白 😀 𠀀' })).toBeUndefined();
  });

  it('allows MAX_JSON_DEPTH levels and refuses one more, without recursing past it', () => {
    expect(findJsonProblem(nested(MAX_JSON_DEPTH))).toBeUndefined();
    expect(findJsonProblem(nested(MAX_JSON_DEPTH + 1))?.problem).toBe('depth');
    expect(findJsonProblem(nested(100_000))?.problem).toBe('depth');
  });

  it('passes ordinary values and skips binary buffers', () => {
    expect(findJsonProblem({ name: '李白', n: 1, ok: true, none: null, list: [1, 'two'] })).toBeUndefined();
    expect(findJsonProblem(Buffer.from([0, 0, 0]))).toBeUndefined();
  });
});
