import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { lightMarkdown } from '../../../web/src/components/light-markdown.js';
import { ChatMarkdown } from '../../../web/src/components/Markdown.js';
import { MarkdownView } from '../../../web/src/components/MarkdownView.js';
import { seededText } from '../../support/long-chat.js';

const full = (text: string) => renderToStaticMarkup(createElement(MarkdownView, { text, keep: false }));
const light = (text: string) => {
  const nodes = lightMarkdown(text);
  return nodes === null ? null : renderToStaticMarkup(createElement('div', { className: 'md' }, ...nodes)).replaceAll('<!-- -->', '');
};

describe('light Markdown (the common case without the Markdown stack)', () => {
  it('renders role-play text exactly as the full renderer does', () => {
    const texts = [
      '*笑了笑* “你好，旅人。”',
      '*She smiles.* "Welcome back," she says.\n*pours the tea*',
      '**重要**：今晚*不要*出门。\n\n第二段\n第三行',
      '他*笑了*说', '*笑了笑*“你好”', '***both***', '**a*', '*a**', '*a **b** c*', 'a * b * c', '2*3*4 = 24', '"quoted" and \'single\'',
      '',
      '\n\n  \nline\n\n\n',
      '- 长安一片月\n- *万户*捣衣声\n\n后记',
      '前言\n\n- a\n- b',
      // the long chat's seeded messages
      ...Array.from({ length: 8 }, (_, i) => seededText(i)),
      'a\n- b\n- c', '- a\n\nb\n- c',
    ];
    for (const t of texts) {
      const got = light(t);
      expect(got, JSON.stringify(t)).not.toBeNull();
      expect(got, JSON.stringify(t)).toBe(full(t));
    }
  });

  it('leaves everything else to the full renderer', () => {
    for (const t of ['# title', '* item', '1. one', '> quote', '`code`', '```\nx\n```', '[a](https://x.y)', 'see https://x.y', 'www.x.y', 'a@b.co', '~~old~~', '_em_', '| a | b |', 'a  \nb', '    code', '***', 'a\n===', 'a\n---', '&amp;', '<b>x</b>', 'a\\*b', '\tx', '- a\n\n- b', '- a\nb', 'a\n- b\nc', '- ', '-  a', '- - -', '- # a', '- a  '])
      expect(lightMarkdown(t), JSON.stringify(t)).toBeNull();
  });

  it('agrees with the full renderer on random texts it accepts', () => {
    const alphabet = ['*', '*', '*', '**', 'a', 'b', ' ', ' ', '\n', '\n- ', '- ', '\n\n', '笑', '了', '“', '”', '"', '，', '。', '!', '.', '(', ')', '-', '1', '+', '=', '$', '😀', '\u3000', '\u00a0'];
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    let accepted = 0;
    for (let k = 0; k < 1500; k++) {
      const len = 1 + rand(14);
      let t = '';
      for (let i = 0; i < len; i++) t += alphabet[rand(alphabet.length)];
      const got = light(t);
      if (got === null) continue;
      accepted++;
      expect(got, JSON.stringify(t)).toBe(full(t));
    }
    expect(accepted).toBeGreaterThan(300);
  });

  it('a chat message renders light at once, and one needing the full renderer shows as plain text (outside a waiting list) until it loads', () => {
    const chat = (text: string) => renderToStaticMarkup(createElement(ChatMarkdown, { text }));
    expect(chat('*笑* “你好”')).toBe('<div class="md"><p><em>笑</em> “你好”</p></div>');
    expect(chat('# 标题\n`x`')).toBe('<div class="md md-plain"><p># 标题\n`x`</p></div>');
  });
});
