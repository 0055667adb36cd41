import { describe, expect, it } from 'vitest';
import { cutAtStop, firstStop } from '../../../src/infra/llm/stop.js';
import type { LlmUsage } from '../../../src/infra/llm/types.js';

const USAGE: LlmUsage = { promptTokens: 3, completionTokens: 9 };

async function* chunks(list: string[]): AsyncGenerator<string, LlmUsage, void> {
  for (const c of list) yield c;
  return USAGE;
}

async function run(list: string[], stops: string[]) {
  const out: string[] = [];
  const gen = cutAtStop(chunks(list), stops);
  for (;;) {
    const r = await gen.next();
    if (r.done) return { out, usage: r.value };
    out.push(r.value);
  }
}

describe('stop sequences', () => {
  it('finds the earliest stop', () => {
    expect(firstStop('abc END x STOP', ['STOP', 'END'])).toBe(4);
    expect(firstStop('abc', ['x'])).toBe(-1);
  });

  it('cuts before a stop split across chunks, yields nothing after it, and keeps the usage', async () => {
    const r = await run(['t1 t2 ', 't3', ' t', '4 '], ['t3']);
    expect(r.out.join('')).toBe('t1 t2 ');
    expect(r.usage).toEqual(USAGE);
    const split = await run(['Hello wor', 'ld\nUs', 'er: hi'], ['\nUser:']);
    expect(split.out.join('')).toBe('Hello world');
  });

  it('holds back only what could begin a stop, and lets it go when it does not', async () => {
    const r = await run(['ab', 'cX', 'Yd'], ['XYZ']);
    expect(r.out).toEqual(['ab', 'c', 'XYd']);
  });

  it('passes everything through without a stop', async () => {
    expect((await run(['a', 'b'], [])).out).toEqual(['a', 'b']);
    expect((await run(['a', 'b'], ['zz'])).out.join('')).toBe('ab');
  });
});
