import { describe, expect, it } from 'vitest';
import { reconcile, type InputMessage } from '../../../src/features/openai-api/service.js';

const u = (content: string): InputMessage => ({ role: 'user', content });
const a = (content: string): InputMessage => ({ role: 'assistant', content });
const stored = (...ms: InputMessage[]) => ms.map((m, i) => ({ role: m.role as 'user' | 'assistant', content: m.content, id: i + 1 }));

describe('reconcile: a resent history against the stored chat', () => {
  it('appends only what the stored tail lacks', () => {
    expect(reconcile([u('hi'), a('hello'), u('how are you')], stored(a('greeting'), u('hi'), a('hello')))).toEqual({ kind: 'append', fresh: [u('how are you')] });
  });

  it('matches a history the app trimmed to its context window', () => {
    expect(reconcile([a('r2'), u('q3')], stored(u('q1'), a('r1'), u('q2'), a('r2')))).toEqual({ kind: 'append', fresh: [u('q3')] });
  });

  it('compares trimmed content and roles', () => {
    expect(reconcile([u(' hi\n'), u('again')], stored(u('hi')))).toEqual({ kind: 'append', fresh: [u('again')] });
    expect(reconcile([a('hi'), u('x')], stored(u('hi')))).toEqual({ kind: 'append', fresh: [a('hi'), u('x')] });
  });

  it('treats everything as new when nothing overlaps (a fresh client, an empty chat)', () => {
    expect(reconcile([u('hi')], [])).toEqual({ kind: 'append', fresh: [u('hi')] });
    expect(reconcile([u('other'), u('hi')], stored(u('q1'), a('r1')))).toEqual({ kind: 'append', fresh: [u('other'), u('hi')] });
  });

  it('finds nothing new when the whole history is stored (a retry)', () => {
    expect(reconcile([u('q1'), a('r1'), u('q2')], stored(u('q1'), a('r1'), u('q2')))).toEqual({ kind: 'append', fresh: [] });
  });

  it('sees a regeneration: the history ends at a user message the chat already answered', () => {
    const s = stored(u('q1'), a('r1'), u('q2'), a('r2'));
    expect(reconcile([u('q1'), a('r1'), u('q2')], s)).toEqual({ kind: 'regenerate', replies: [s[3]] });
  });

  it('a lone message is always new, even when it repeats the last one (clients that send only the new message)', () => {
    expect(reconcile([u('hi')], stored(u('hi'), a('hello')))).toEqual({ kind: 'append', fresh: [u('hi')] });
  });

  it('the same words said again later are new, not a regeneration', () => {
    expect(reconcile([u('q1'), a('r1'), u('q1')], stored(u('q1'), a('r1')))).toEqual({ kind: 'append', fresh: [u('q1')] });
  });
});
