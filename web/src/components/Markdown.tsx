/**
 * Markdown for chat bubbles and biographies, GitHub-flavoured (tables, strikethrough, task lists,
 * autolinks). react-markdown builds React elements and does not render raw HTML, so model output
 * and crawled text cannot inject markup (the original's stored-XSS fault, spec admin-and-web.md
 * §7.16, is not possible here). Links keep only http(s) and mailto targets and open in a new tab.
 */
import { memo } from 'react';
import ReactMarkdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';

const SAFE_PROTOCOL = /^(https?:|mailto:)/i;

/**
 * Keeps a link or image target only when it is http(s), mailto, or relative without a scheme;
 * anything else (`javascript:`, `data:`, `vbscript:`…) becomes empty and the link is dropped.
 * @example safeUrl('javascript:alert(1)') // ''
 */
export function safeUrl(url: string): string {
  // Browsers ignore control characters and whitespace inside a scheme ("java\nscript:").
  const compact = url.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
  const colon = compact.indexOf(':');
  if (colon === -1) return url;
  const firstSep = compact.search(/[/?#]/);
  if (firstSep !== -1 && firstSep < colon) return url; // a relative path whose later part has a colon
  return SAFE_PROTOCOL.test(compact) ? url : '';
}

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

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div className="md">
      <ReactMarkdown remarkPlugins={remarkPlugins} components={components} urlTransform={safeUrl}>
        {text}
      </ReactMarkdown>
    </div>
  );
});
