/**
 * Markdown for chat bubbles and biographies, GitHub-flavoured (tables, strikethrough, task lists,
 * autolinks). react-markdown builds React elements and does not render raw HTML, so model output
 * and crawled text cannot inject markup (the original's stored-XSS fault, spec admin-and-web.md
 * §7.16, is not possible here). Links keep only http(s) and mailto targets and open in a new tab.
 * This module holds the whole Markdown stack (a quarter of the app's code): it is its own chunk.
 */
import { memo } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
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

/** The renderer itself; the app loads it through the lazy `Markdown` (./Markdown.tsx). */
export const MarkdownView = memo(function MarkdownView({ text }: { text: string }) {
  return (
    <div className="md">
      <ReactMarkdown remarkPlugins={remarkPlugins} components={components} urlTransform={safeUrl}>
        {text}
      </ReactMarkdown>
    </div>
  );
});

export default MarkdownView;
