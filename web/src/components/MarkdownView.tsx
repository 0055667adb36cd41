/**
 * Markdown for chat bubbles and biographies, GitHub-flavoured (tables, strikethrough, task lists,
 * autolinks). react-markdown builds React elements and does not render raw HTML, so model output
 * and crawled text cannot inject markup (the original's stored-XSS fault, spec admin-and-web.md
 * §7.16, is not possible here). Links keep only http(s) and mailto targets and open in a new tab.
 * This module holds the whole Markdown stack (a quarter of the app's code): it is its own chunk.
 */
import { memo, type ReactElement } from 'react';
import Markdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import { safeUrl } from '../lib/safe-url.js';

export { safeUrl };

const components: Components = {
  a: ({ href, children }) =>
    href ? (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {children}
      </a>
    ) : (
      <span>{children}</span>
    ),
  img: ({ alt }) => <span>{alt ? `[${alt}]` : ''}</span>,
  table: ({ children }) => (
    <div className="md-table">
      <table>{children}</table>
    </div>
  ),
};

const remarkPlugins = [remarkGfm];

/**
 * Rendered texts, newest last. The message list is virtual: a row scrolled back into view mounts
 * again, and parsing its Markdown again was most of the cost of a scroll step on a slow phone.
 * `Markdown` (not `MarkdownHooks`) is a pure function of its options, so its element tree can be
 * kept and given to React again.
 */
const rendered = new Map<string, ReactElement>();
const KEEP = 400;

function render(text: string, keep: boolean): ReactElement {
  if (!keep) return Markdown({ children: text, remarkPlugins, components, urlTransform: safeUrl }) as ReactElement;
  let tree = rendered.get(text);
  if (tree) {
    rendered.delete(text);
  } else {
    tree = Markdown({ children: text, remarkPlugins, components, urlTransform: safeUrl }) as ReactElement;
    if (rendered.size >= KEEP) rendered.delete(rendered.keys().next().value as string);
  }
  rendered.set(text, tree);
  return tree;
}

/** The renderer itself; the app loads it through the lazy `Markdown` (./Markdown.tsx). */
export const MarkdownView = memo(function MarkdownView({ text, keep = true }: { text: string; /** false for a reply still streaming: its every prefix would push the others out. */ keep?: boolean }) {
  return <div className="md">{render(text, keep)}</div>;
});

export default MarkdownView;
