import { describe, expect, it } from 'vitest';
import { SseChunkReader, SseDataParser, compactDeltaText, deltaText } from '../../../src/infra/llm/sse-data.js';

const all = (chunks: string[]) => {
  const p = new SseDataParser();
  return chunks.flatMap((c) => p.push(c));
};

describe('SseDataParser', () => {
  it('yields each event\'s data when its blank line arrives', () => {
    expect(all(['data: {"a":1}\n\ndata: {"a":2}\n\n', 'data: [DONE]\n\n'])).toEqual(['{"a":1}', '{"a":2}', '[DONE]']);
  });

  it('joins lines and events split anywhere across chunks, with LF, CRLF or CR', () => {
    const stream = 'data: {"x":"é"}\r\n\r\ndata: two\rdata: lines\r\rdata: 3\n\n';
    const expected = ['{"x":"é"}', 'two\nlines', '3'];
    for (let size = 1; size <= stream.length; size++) {
      const chunks: string[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.slice(i, i + size));
      expect(all(chunks)).toEqual(expected);
    }
  });

  it('skips comments, other fields and empty events; waits for an unfinished event', () => {
    const p = new SseDataParser();
    expect(p.push(': OPENROUTER PROCESSING\n\nevent: message\nid: 1\ndata:{"b":1}\n\n\n')).toEqual(['{"b":1}']);
    expect(p.push('data: {"c":')).toEqual([]);
    expect(p.push('1}\n')).toEqual([]);
    expect(p.push('\n')).toEqual(['{"c":1}']);
  });
});

describe('deltaText', () => {
  const chunk = (content: unknown, extra = '') => `{"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":${JSON.stringify({ content })},"finish_reason":null}]${extra}}`;

  it('reads the text of a plain token chunk exactly as JSON.parse would, escapes included', () => {
    for (const text of ['字', 'hello', '', 'a "quoted" word', 'back\\slash', 'line\nbreak\ttab', 'emoji 😀 and \u2028', '\\"', 'ends with \\']) {
      const data = chunk(text);
      expect(deltaText(data)).toBe((JSON.parse(data) as { choices: { delta: { content: string } }[] }).choices[0].delta.content);
    }
  });

  it('leaves every other shape to a full parse', () => {
    expect(deltaText(chunk(null))).toBeUndefined();
    expect(deltaText('{"choices":[{"index":0,"delta":{"role":"assistant","content":"hi"}}]}')).toBeUndefined();
    expect(deltaText('{"choices":[{"index":0,"delta": {"content": "hi"}}]}')).toBeUndefined();
    expect(deltaText(chunk('hi', ',"usage":{"prompt_tokens":1,"completion_tokens":2}'))).toBeUndefined();
    expect(deltaText('{"error":{"message":"overloaded"},"choices":[{"delta":{"content":"x"}}]}')).toBeUndefined();
    expect(deltaText('{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}')).toBeUndefined();
    expect(deltaText('{"choices":[{"delta":{"content":"cut')).toBeUndefined();
  });
});

/** What a stream says, read the plain way: every payload through JSON.parse. */
function reference(stream: string): { text: string; others: string[] } {
  let text = '';
  const others: string[] = [];
  for (const data of new SseDataParser().push(stream)) {
    const c = data === '[DONE]' ? undefined : (JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[] });
    const t = c?.choices?.[0]?.delta?.content;
    if (typeof t === 'string') text += t;
    else others.push(data);
  }
  return { text, others };
}

/** The same stream through SseChunkReader in the given byte chunks, its payloads read as the provider reads them. */
function throughReader(chunks: Buffer[]): { text: string; others: string[] } {
  let text = '';
  const others: string[] = [];
  const reader = new SseChunkReader(
    (t) => (text += t),
    (data) => {
      const fast = data === '[DONE]' ? undefined : deltaText(data);
      if (fast !== undefined) return void (text += fast);
      const c = data === '[DONE]' ? undefined : (JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[] });
      const t = c?.choices?.[0]?.delta?.content;
      if (typeof t === 'string') text += t;
      else others.push(data);
    },
  );
  for (const c of chunks) reader.push(c);
  return { text, others };
}

describe('compactDeltaText and SseChunkReader', () => {
  const token = (content: unknown) => `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":${JSON.stringify({ content })},"finish_reason":null}]}\n\n`;
  const TEXTS = ['月', '亮', 'hello ', 'a "quoted" word', 'back\\slash', 'line\nbreak', '😀', 'é', '', '\u2028', '\\"', '，'];

  it('reads whole compact token events from the bytes, as JSON.parse would', () => {
    for (const t of TEXTS) expect(compactDeltaText(Buffer.from(token(t)))).toBe(t);
    expect(compactDeltaText(Buffer.from(TEXTS.map(token).join('')))).toBe(TEXTS.join(''));
  });

  it('leaves every other chunk to the parser', () => {
    const refused = [
      token('cut').slice(0, -1), // the blank line not yet here
      token('x').slice(0, 20),
      token('x').replace('\n\n', '\r\n\r\n'),
      token('x').replace('data: ', 'data:'),
      `: keep-alive\n\n${token('x')}`,
      'data: [DONE]\n\n',
      'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"hi"}}]}\n\n',
      'data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}\n\n',
      'data: {"error":{"message":"overloaded"},"choices":[{"delta":{"content":"x"}}]}\n\n',
      `${token('a')}data: [DONE]\n\n`,
      `${token('a')}event: x\n${token('b')}`,
      '',
    ];
    for (const chunk of refused) expect(compactDeltaText(Buffer.from(chunk)), chunk).toBeUndefined();
  });

  it('gives the same text and the same other payloads as the plain parser, however the bytes are cut', () => {
    const stream = [
      'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}\n\n',
      ...TEXTS.map(token),
      ': OPENROUTER PROCESSING\n\n',
      token('after a comment'),
      'data: {"choices":[{"index":0,"delta":{"content":"spaced"}}]}\r\n\r\n',
      token('终'),
      'data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}\n\n',
      'data: [DONE]\n\n',
    ].join('');
    const bytes = Buffer.from(stream);
    const expected = reference(stream);
    expect(expected.text).toContain('月亮hello');
    // Event by event (how providers write), then every fixed size, then random cuts.
    const byEvent = stream.split(/(?<=\n\n)/).map((e) => Buffer.from(e));
    expect(throughReader(byEvent)).toEqual(expected);
    for (let size = 1; size <= 64; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      expect(throughReader(chunks)).toEqual(expected);
    }
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 200; round++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; ) {
        const n = 1 + Math.floor(random() * 120);
        chunks.push(bytes.subarray(i, i + n));
        i += n;
      }
      expect(throughReader(chunks)).toEqual(expected);
    }
  });
});
