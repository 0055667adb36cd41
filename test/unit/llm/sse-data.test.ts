import { describe, expect, it } from 'vitest';
import { SseDataParser, deltaText } from '../../../src/infra/llm/sse-data.js';

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
