/**
 * Toasts: short messages in a corner, errors included. Errors stay until dismissed or for 8 s;
 * other messages go after 3.5 s. The region is an ARIA live region so screen readers hear them.
 *
 * @example
 *   const toast = useToast();
 *   mutation.mutate(x, { onError: toast.error });
 */
import { createContext, useCallback, useContext, useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/index.js';
import { Icon } from './Icon.js';

interface ToastItem {
  id: number;
  kind: 'error' | 'success' | 'info';
  text: string;
}

interface ToastApi {
  error: (e: unknown) => void;
  success: (text: string) => void;
  info: (text: string) => void;
}

const ToastContext = createContext<ToastApi | null>(null);

export function ToastProvider({ children }: { children: ReactNode }) {
  const [items, setItems] = useState<ToastItem[]>([]);
  const next = useRef(1);
  const { errorText, t } = useI18n();
  const region = useRef<HTMLDivElement>(null);

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
    (kind: ToastItem['kind'], text: string) => {
      const id = next.current++;
      // The same text twice in a row (e.g. a retried request) shows once.
      setItems((xs) => (xs.some((x) => x.text === text) ? xs : [...xs.slice(-3), { id, kind, text }]));
      setTimeout(() => remove(id), kind === 'error' ? 8000 : 3500);
    },
    [remove],
  );
  const value = useMemo<ToastApi>(
    () => ({
      error: (e) => push('error', errorText(e)),
      success: (text) => push('success', text),
      info: (text) => push('info', text),
    }),
    [push, errorText],
  );

  return (
    <ToastContext.Provider value={value}>
      {children}
      <div ref={region} className="toasts" role="status" aria-live="polite" popover="manual">
        {items.map((x) => (
          <div key={x.id} className={`toast toast-${x.kind}`} role={x.kind === 'error' ? 'alert' : undefined}>
            <span>{x.text}</span>
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
