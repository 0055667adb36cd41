import { describe, expect, it } from 'vitest';
import { parseChatFile, parseSendDate } from '../../../src/features/chat/chat-file.js';

describe('chat files', () => {
  it("reads SillyTavern's send_date in every form it has written", () => {
    expect(parseSendDate(1714567000000)).toBe(1714567000000);
    expect(parseSendDate(1714567000)).toBe(1714567000000);
    expect(parseSendDate('1714567000000')).toBe(1714567000000);
    expect(parseSendDate('2024-05-01T12:36:10.000Z')).toBe(Date.parse('2024-05-01T12:36:10.000Z'));
    expect(new Date(parseSendDate('May 1, 2024 12:34pm')!).getMinutes()).toBe(34);
    expect(new Date(parseSendDate('May 1, 2024 12:34 PM')!).getHours()).toBe(12);
    expect(parseSendDate('not a date')).toBeUndefined();
    expect(parseSendDate(null)).toBeUndefined();
  });

  it('tells our JSON from JSONL by content, keeps the chosen swipe, names the bad line', () => {
    const ours = parseChatFile(Buffer.from(JSON.stringify({ chat: { title: '旧对话' }, messages: [{ role: 'assistant', content: 'b', versions: ['a', 'b'], alternatives: { index: 1, count: 2 }, createdAt: 5 }] })), 'x.jsonl', 9);
    expect(ours).toEqual({ title: '旧对话', messages: [{ role: 'assistant', content: 'b', alternatives: ['a', 'b'], alternativeIndex: 1, createdAt: 5 }] });
    const st = parseChatFile(Buffer.from('\uFEFF{"user_name":"u"}\r\n{"mes":"hi","is_user":true,"send_date":3}\r\n{"mes":"x","swipes":["y","x"],"swipe_id":9}\n'), 'A chat.jsonl', 9);
    expect(st.title).toBe('A chat');
    expect(st.messages).toEqual([
      { role: 'user', content: 'hi', createdAt: 3000 },
      { role: 'assistant', content: 'x', alternatives: ['y', 'x'], alternativeIndex: 1, createdAt: 3000 },
    ]);
    expect(() => parseChatFile(Buffer.from('{"mes":"a"}\n{oops\n'), 'x.jsonl', 0)).toThrow(/Line 2/);
    expect(() => parseChatFile(Buffer.from(JSON.stringify({ messages: [{ role: 'system', content: 'x' }] })), 'x.json', 0)).toThrow(/Message 1/);
  });
});
