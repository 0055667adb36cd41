/**
 * A modal dialog on the native <dialog> element: focus is trapped and Escape closes it for free.
 * `variant="sheet"` docks it to the bottom of the screen (the info panel on phones).
 *
 * Focus: opens on the first field of the body (so a name can be typed and Enter pressed at once),
 * else on the first footer button (Cancel in a confirmation), never on Close, the browser's pick.
 * `autoFocus` cannot do this: React runs it while the <dialog> is still closed and unrendered.
 * On close focus goes back to the element that opened the dialog (the dialog is removed from the
 * DOM rather than closed, so the browser's own restore never runs).
 */
import { useLayoutEffect, useId, useRef, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/index.js';
import { Icon } from './Icon.js';

const FIELD = ':is(input, select, textarea):not([disabled]):not([type="hidden"])';
const FOCUSABLE = ':is(input, select, textarea, button, a[href], [tabindex="0"]):not([disabled]):not([type="hidden"])';

export interface ModalProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  /** Close when the backdrop is clicked (off for forms that would lose input). */
  dismissable?: boolean;
  variant?: 'dialog' | 'sheet' | 'wide';
}

export function Modal({ title, onClose, children, footer, dismissable = true, variant = 'dialog' }: ModalProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const { t } = useI18n();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  // Read during the first render: the opener still has focus then.
  const [opener] = useState(() => (typeof document === 'undefined' ? null : (document.activeElement as HTMLElement | null)));

  useLayoutEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (!d.open) d.showModal();
    (d.querySelector<HTMLElement>(`.modal-body ${FIELD}`) ?? d.querySelector<HTMLElement>('.modal-foot button:not([disabled])'))?.focus();
    const cancel = (e: Event) => {
      e.preventDefault();
      onCloseRef.current();
    };
    d.addEventListener('cancel', cancel);
    return () => {
      d.removeEventListener('cancel', cancel);
      if (d.open) d.close();
      const lost = !document.activeElement || document.activeElement === document.body || d.contains(document.activeElement);
      if (lost && opener?.isConnected && opener !== document.body) opener.focus();
    };
  }, []);

  // A step that replaces the focused control (the create dialog's form → candidates → progress)
  // would drop focus on <body>: keep it in the dialog, on the first control of the new content.
  useLayoutEffect(() => {
    const d = ref.current;
    if (!d?.open) return;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    const target =
      d.querySelector<HTMLElement>(`.modal-body ${FOCUSABLE}`) ?? d.querySelector<HTMLElement>('.modal-foot .btn-primary:not([disabled])') ?? d.querySelector<HTMLElement>(`.modal-foot ${FOCUSABLE}`) ?? d.querySelector<HTMLElement>(FOCUSABLE);
    target?.focus();
  });

  return (
    <dialog
      ref={ref}
      className={`modal modal-${variant}`}
      aria-labelledby={titleId}
      onClick={(e) => {
        if (dismissable && e.target === ref.current) onClose();
      }}
    >
      <div className="modal-box">
        <header className="modal-head">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-btn" aria-label={t('common.close')} onClick={onClose}>
            <Icon name="close" />
          </button>
        </header>
        <div className="modal-body">{children}</div>
        {footer ? <footer className="modal-foot">{footer}</footer> : null}
      </div>
    </dialog>
  );
}
