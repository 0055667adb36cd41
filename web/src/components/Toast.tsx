/**
 * Toasts: short messages in a corner, errors included. Errors stay until dismissed or for 8 s;
 * other messages go after 3.5 s. The region is an ARIA live region so screen readers hear them.
 * A toast is worded when shown, in the language of the moment: one up while the language is
 * switched reads in the new one (an error, or a message given as `(t) => t(key)`); a message given
 * as a finished string cannot be, and is dropped then.
 *
 * @example
 *   const toast = useToast();
 *   mutation.mutate(x, { onError: toast.error, onSuccess: () => toast.success((t) => t('common.saved')) });
 */
import { createContext, useCallback, useContext, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useI18n, type Translate } from '../i18n/index.js';
import { Icon } from './Icon.js';

/** A finished string, or the way to word it in whatever language is current. */
export type ToastText = string | ((t: Translate) => string);

interface ToastItem {
  id: number;
  kind: 'error' | 'success' | 'info';
  word: (i: { t: Translate; errorText: (e: unknown) => string }) => string;
  /** Worded once by the caller, in the language of that moment. */
  fixed: boolean;
  /** Its wording when pushed: the same toast twice in a row shows once. */
  same: string;
}

interface ToastApi {
  error: (e: unknown) => void;
  success: (text: ToastText) => void;
  info: (text: ToastText) => void;
}

const ToastContext = createContext<ToastApi | null>(null);

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const next = useRef(1);
  const { errorText, t, locale } = useI18n();
  const region = useRef<HTMLDivElement>(null);

  // Another language: finished strings are in the old one.
  const shownIn = useRef(locale);
  useLayoutEffect(() => {
    if (shownIn.current === locale) return;
    shownIn.current = locale;
    setItems((xs) => (xs.some((x) => x.fixed) ? xs.filter((x) => !x.fixed) : xs));
  }, [locale]);

  // Open modals live in the browser's top layer, above any z-index. The toast region is a manual
  // popover, and re-showing it puts it at the top of that layer, above the newest dialog.
  useLayoutEffect(() => {
    const el = region.current;
    if (!el || typeof el.showPopover !== 'function') return;
    try {
      if (el.matches(':popover-open')) el.hidePopover();
      if (items.length > 0) el.showPopover();
    } catch {
      // popover unsupported: the region stays a fixed element
    }
  }, [items]);

  const remove = useCallback((id: number) => setItems((xs) => xs.filter((x) => x.id !== id)), []);
  const push = useCallback(
    (kind: ToastItem['kind'], word: ToastItem['word'], fixed: boolean, text: string) => {
      const id = next.current++;
      // The same text twice in a row (e.g. a retried request) shows once.
      setItems((xs) => (xs.some((x) => x.same === text) ? xs : [...xs.slice(-3), { id, kind, word, fixed, same: text }]));
      setTimeout(() => remove(id), kind === 'error' ? 8000 : 3500);
    },
    [remove],
  );
  const value = useMemo<ToastApi>(() => {
    const message = (kind: 'success' | 'info') => (text: ToastText) =>
      typeof text === 'string' ? push(kind, () => text, true, text) : push(kind, (i) => text(i.t), false, text(t));
    return {
      error: (e) => push('error', (i) => i.errorText(e), false, errorText(e)),
      success: message('success'),
      info: message('info'),
    };
  }, [push, errorText, t]);

  return (
    <ToastContext.Provider value={value}>
      {children}
      <div ref={region} className="toasts" role="status" aria-live="polite" popover="manual">
        {items.map((x) => (
          <div key={x.id} className={`toast toast-${x.kind}`} role={x.kind === 'error' ? 'alert' : undefined}>
            <span>{x.word({ t, errorText })}</span>
            <button type="button" className="icon-btn" aria-label={t('common.dismiss')} onClick={() => remove(x.id)}>
              <Icon name="close" size={14} />
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): ToastApi {
  const v = useContext(ToastContext);
  if (!v) throw new Error('useToast outside ToastProvider');
  return v;
}
