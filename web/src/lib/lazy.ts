/**
 * Code split into chunks, loaded when needed.
 *
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

/**
 * A chunk loaded once, for code that must not suspend: `load()` starts it (again after a failure,
 * e.g. offline), `loaded` is the module once it is in, so a component can render it synchronously.
 *
 * @example
 *   const shell = chunk(() => import('./Shell.js'));
 *   if (shell.loaded) return <shell.loaded.Shell />;
 */
export function chunk<M>(importer: () => Promise<M>) {
  let loaded: M | undefined;
  let loading: Promise<M> | undefined;
  return {
    load: (): Promise<M> =>
      (loading ??= importer().then(
        (m) => (loaded = m),
        (e: unknown) => {
          loading = undefined; // a failed chunk may be asked for again
          throw e;
        },
      )),
    get loaded(): M | undefined {
      return loaded;
    },
    /** A load is under way or done. */
    get started(): boolean {
      return loading !== undefined;
    },
  };
}
