/**
 * A group turn through /v1 records each member's reply while passing every event on, and keeps
 * the caller's signal, `begin` and frame pace (the pace sets how often the upstream is read).
 */
import { describe, expect, it } from 'vitest';
import type { TurnSink } from '../../../src/features/conversations/engine.js';
import { recordingSink, type SpokenPart } from '../../../src/features/openai-api/service.js';

describe('recordingSink', () => {
  it('records each member’s reply and passes everything on, pace and signal included', () => {
    const seen: string[] = [];
    const abort = new AbortController();
    const outer: TurnSink = {
      signal: abort.signal,
      paceMs: 100,
      begin: () => seen.push('begin'),
      token: (t) => seen.push(`token:${t}`),
      speaker: (d) => seen.push(`speaker:${d.name}`),
      messageDone: (d) => seen.push(`done:${d.messageId}`),
    };
    const parts: SpokenPart[] = [];
    const sink = recordingSink(outer, parts);
    expect(sink.paceMs).toBe(100);
    expect(sink.signal).toBe(abort.signal);
    sink.begin();
    sink.speaker({ characterId: 1, name: '李白' });
    sink.token('举杯');
    sink.token('邀明月');
    sink.messageDone({ messageId: 7 });
    sink.speaker({ characterId: 2, name: '杜甫' });
    sink.token('好诗');
    sink.messageDone({ messageId: 8 });
    expect(parts).toEqual([
      { characterId: 1, name: '李白', messageId: 7, content: '举杯邀明月' },
      { characterId: 2, name: '杜甫', messageId: 8, content: '好诗' },
    ]);
    expect(seen).toEqual(['begin', 'speaker:李白', 'token:举杯', 'token:邀明月', 'done:7', 'speaker:杜甫', 'token:好诗', 'done:8']);
  });
});
