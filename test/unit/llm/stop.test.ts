import { describe, expect, it } from 'vitest';
import { firstStop, stopCutter } from '../../../src/infra/llm/stop.js';

function run(chunks: string[], stops: string[]): string[] {
  const out: string[] = [];
  const cut = stopCutter(stops, (t) => out.push(t));
  for (const c of chunks) cut.push(c);
  cut.end();
  return out;
}

describe('stop sequences', () => {
  it('finds the earliest stop', () => {
    expect(firstStop('abc END x STOP', ['STOP', 'END'])).toBe(4);
    expect(firstStop('abc', ['x'])).toBe(-1);
  });

  it('cuts before a stop split across chunks and emits nothing after it', () => {
    expect(run(['t1 t2 ', 't3', ' t', '4 '], ['t3']).join('')).toBe('t1 t2 ');
    expect(run(['Hello wor', 'ld\nUs', 'er: hi'], ['\nUser:']).join('')).toBe('Hello world');
  });

  it('holds back only what could begin a stop, and lets it go when it does not', () => {
    expect(run(['ab', 'cX', 'Yd'], ['XYZ'])).toEqual(['ab', 'c', 'XYd']);
    expect(run(['ab', 'cX'], ['XYZ'])).toEqual(['ab', 'c', 'X']);
  });

  it('passes everything through without a stop', () => {
    expect(run(['a', 'b'], [])).toEqual(['a', 'b']);
    expect(run(['a', 'b'], ['zz']).join('')).toBe('ab');
  });
});
