/**
 * Whether a media query matches, following changes (a rotated phone, a resized window).
 *
 * @example
 *   const narrow = useMediaQuery(PHONE_QUERY); // the layout of app.css's phone breakpoint
 */
import { useCallback, useSyncExternalStore } from 'react';

/** app.css lays the app out for phones at this width and below (drawer, info sheet). */
export const PHONE_QUERY = '(max-width: 768px)';

export function useMediaQuery(query: string): boolean {
  const subscribe = useCallback(
    (onChange: () => void) => {
      if (typeof matchMedia !== 'function') return () => undefined;
      const m = matchMedia(query);
      m.addEventListener('change', onChange);
      return () => m.removeEventListener('change', onChange);
    },
    [query],
  );
  return useSyncExternalStore(
    subscribe,
    () => typeof matchMedia === 'function' && matchMedia(query).matches,
    () => false,
  );
}
