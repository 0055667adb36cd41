/**
 * `React.lazy` for a named export, so a dialog or a page becomes its own chunk without giving its
 * module a default export. Render it inside <Suspense> (the shell has one around its dialogs).
 *
 * @example
 *   const SettingsDialog = lazyNamed(() => import('./SettingsDialog.js'), 'SettingsDialog');
 */
import { lazy, type ComponentType } from 'react';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any props: the component's own type is kept by M[K]
export function lazyNamed<M extends Record<K, ComponentType<any>>, K extends keyof M & string>(load: () => Promise<M>, name: K): M[K] {
  return lazy(() => load().then((m) => ({ default: m[name] }))) as unknown as M[K];
}
