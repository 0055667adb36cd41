/** Link and image targets allowed in rendered Markdown. */
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
