import type { MouseEvent } from 'react';

/**
 * In-app navigation for a plain click on an `<a href>`; a click with a modifier (new tab, new
 * window) or another button is left to the browser.
 */
export function followLink(e: MouseEvent<HTMLAnchorElement>, go: () => void): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  go();
}
