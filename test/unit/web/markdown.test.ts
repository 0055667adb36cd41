import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { MarkdownView as Markdown, safeUrl } from '../../../web/src/components/MarkdownView.js';

const html = (text: string) => renderToStaticMarkup(createElement(Markdown, { text }));

describe('Markdown renderer', () => {
  it('renders GitHub-flavoured tables, strikethrough, task lists and autolinks', () => {
    const out = html('| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~\n\n- [x] done\n- [ ] todo\n\nsee https://example.com/page');
    expect(out).toContain('<table>');
    expect(out).toContain('<td>1</td>');
    expect(out).toMatch(/<div class="md-table">/);
    expect(out).toContain('<del>old</del>');
    expect(out).toContain('<li class="task-list-item"><input type="checkbox" disabled="" checked=""/> done</li>');
    expect(out).toMatch(/<a href="https:\/\/example\.com\/page" target="_blank" rel="noopener noreferrer nofollow">/);
  });

  it('opens every link in a new tab without opener or referrer', () => {
    const out = html('[docs](https://example.com/docs) and <mailto:a@b.c>');
    const links = [...out.matchAll(/<a [^>]*>/g)].map((m) => m[0]);
    expect(links).toHaveLength(2);
    for (const a of links) {
      expect(a).toContain('target="_blank"');
      expect(a).toMatch(/rel="[^"]*noopener[^"]*noreferrer/);
    }
  });

  it('never renders a javascript:, data: or vbscript: link', () => {
    for (const bad of ['javascript:alert(1)', 'JaVaScRiPt:alert(1)', 'java\tscript:alert(1)', ' javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'vbscript:msgbox(1)']) {
      const out = html(`[click](${bad.replace(/ /g, '%20')}) <${bad}>`);
      expect(out, bad).not.toMatch(/href="\s*(javascript|data|vbscript)/i);
      expect(out, bad).not.toMatch(/<a /);
    }
    expect(html('[x](javascript:alert(1))')).toContain('<span>x</span>');
  });

  it('does not render raw HTML from the text', () => {
    const out = html('<img src=x onerror=alert(1)><script>alert(1)</script> **bold**');
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<script');
    expect(out).toContain('<strong>bold</strong>');
  });

  it('keeps safe and relative URLs', () => {
    expect(safeUrl('https://a.b/c?d=e:f')).toBe('https://a.b/c?d=e:f');
    expect(safeUrl('mailto:x@y.z')).toBe('mailto:x@y.z');
    expect(safeUrl('/characters/1')).toBe('/characters/1');
    expect(safeUrl('page?time=10:30')).toBe('page?time=10:30');
    expect(safeUrl('javascript:alert(1)')).toBe('');
    expect(safeUrl('data:image/png;base64,AAAA')).toBe('');
  });
});

describe('readable export timestamps', () => {
  it('formats in the given time zone, and falls back on an unknown one', async () => {
    const { readableTime } = await import('../../../src/shared/readable-time.js');
    const t = Date.UTC(2026, 10, 30, 10, 5);
    expect(readableTime(t, 'Asia/Shanghai')).toBe('2026-11-30 18:05');
    expect(readableTime(t, 'UTC')).toBe('2026-11-30 10:05');
    expect(readableTime(t, 'Not/AZone')).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
  });
});
