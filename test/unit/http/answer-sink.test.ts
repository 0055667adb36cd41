/**
 * A turn answered as one JSON body reads the upstream at the same pace as a streamed one (the
 * frame setting), and not at all paced when frames are off.
 */
import { describe, expect, it } from 'vitest';
import { answerSink, FRAME_MS } from '../../../src/http/sse.js';

describe('answerSink', () => {
  it('paces upstream reads by the frame setting; 0 reads every chunk as it comes', () => {
    const signal = new AbortController().signal;
    expect(answerSink({ coalesceMs: 150 }, signal).paceMs).toBe(150);
    expect(answerSink({}, signal).paceMs).toBe(FRAME_MS);
    expect(answerSink({ coalesceMs: 0 }, signal).paceMs).toBeUndefined();
    const sink = answerSink({ coalesceMs: 100 }, signal);
    expect(sink.signal).toBe(signal);
    // It tells nobody anything: these are no-ops, not errors.
    sink.begin();
    sink.token('字');
    sink.speaker({ characterId: 1, name: '李白' });
    sink.messageDone({ messageId: 1 });
  });
});
