import { describe, expect, it } from 'vitest';
import { frameJson, readSse, SseParser, type SseFrame } from '../../../web/src/lib/sse.js';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const ch of chunks) c.enqueue(enc.encode(ch));
      c.close();
    },
  });
}

async function collect(chunks: string[]): Promise<SseFrame[]> {
  const out: SseFrame[] = [];
  for await (const f of readSse(new Response(streamOf(chunks)))) out.push(f);
  return out;
}

describe('readSse', () => {
  it('parses event and data frames and ignores comment pings', async () => {
    const frames = await collect([': ping\n\n', 'event: token\ndata: {"text":"你好"}\n\n', ':keepalive\n\n', 'event: done\ndata: {"messageId":2}\n\n']);
    expect(frames).toEqual([
      { event: 'token', data: '{"text":"你好"}' },
      { event: 'done', data: '{"messageId":2}' },
    ]);
    expect(frameJson<{ text: string }>(frames[0])?.text).toBe('你好');
  });

  it('handles frames split anywhere, including inside a multi-byte character', async () => {
    const whole = 'event: token\ndata: {"text":"李白"}\n\nevent: done\ndata: {}\n\n';
    const bytes = new TextEncoder().encode(whole);
    const parts: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 3) parts.push(bytes.slice(i, i + 3));
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(p);
        c.close();
      },
    });
    const frames: SseFrame[] = [];
    for await (const f of readSse(body)) frames.push(f);
    expect(frames.map((f) => f.event)).toEqual(['token', 'done']);
    expect(JSON.parse(frames[0].data).text).toBe('李白');
  });

  it('accepts CRLF and CR line ends, also split between chunks', async () => {
    const frames = await collect(['event: a\r', '\ndata: 1\r\n\r', '\nevent: b\rdata: 2\r\r']);
    expect(frames).toEqual([
      { event: 'a', data: '1' },
      { event: 'b', data: '2' },
    ]);
  });

  it('joins multi-line data, defaults the event name, keeps ids, drops frames without data', async () => {
    const frames = await collect(['data: one\ndata: two\nid: 7\n\n', 'event: empty\n\n', 'data:no-space\n\n']);
    expect(frames).toEqual([
      { event: 'message', data: 'one\ntwo', id: '7' },
      { event: 'message', data: 'no-space', id: '7' },
    ]);
  });

  it('drops an unterminated last frame', async () => {
    expect(await collect(['event: token\ndata: {"text":"x"}'])).toEqual([]);
  });

  it('frameJson returns undefined for malformed JSON', () => {
    expect(frameJson({ event: 'x', data: '{oops' })).toBeUndefined();
  });

  it('SseParser can be fed directly', () => {
    const p = new SseParser();
    expect([...p.push('event: speaker\ndata: {"characterId":1,')]).toEqual([]);
    expect([...p.push('"name":"李白"}\n\n')]).toEqual([{ event: 'speaker', data: '{"characterId":1,"name":"李白"}' }]);
  });
});
