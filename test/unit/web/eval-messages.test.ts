/** The test-case form's set-up messages: one per line, "user: …" for the user, "Name: …" for a character. */
import { describe, expect, it } from 'vitest';
import { formatMessages, parseMessages } from '../../../web/src/features/admin/components/TestCaseForm.js';

describe('set-up messages', () => {
  it('reads users and named characters, and writes them back the same way', () => {
    const text = 'user: 你好\n李白：幸会！\n\n  用户: 你最喜欢哪首诗？\n没有名字的一行';
    const ms = parseMessages(text);
    expect(ms).toEqual([
      { role: 'user', content: '你好' },
      { role: 'assistant', speaker: '李白', content: '幸会！' },
      { role: 'user', content: '你最喜欢哪首诗？' },
      { role: 'user', content: '没有名字的一行' },
    ]);
    expect(parseMessages(formatMessages(ms))).toEqual(ms);
  });
});
