/**
 * Markdown for chat bubbles and biographies. react-markdown builds React elements and does not
 * render raw HTML, so model output and crawled text cannot inject markup (the original's stored-XSS
 * fault, spec admin-and-web.md §7.16, is not possible here).
 */
import { memo } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  ),
  img: ({ alt }) => <span>{alt ? `[${alt}]` : ''}</span>,
};

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="md">
      <ReactMarkdown components={components}>{text}</ReactMarkdown>
    </div>
  );
});
