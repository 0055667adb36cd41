/**
 * An in-app confirm dialog instead of `window.confirm` (which blocks the page and cannot be styled).
 *
 * @example
 *   const confirm = useConfirm();
 *   if (await confirm(t('chat.confirmClear', { name }), { danger: true })) clear();
 */
import { createContext, useCallback, useContext, useState, type ReactNode } from 'react';
import { useI18n } from '../i18n/index.js';
import { Modal } from './Modal.js';

/** `title` says what is confirmed ("Delete 李白?") and the message the consequences; without a title the message is the title. */
type ConfirmFn = (message: string, opts?: { danger?: boolean; confirmLabel?: string; title?: string }) => Promise<boolean>;
const ConfirmContext = createContext<ConfirmFn | null>(null);

interface Pending {
  message: string;
  danger: boolean;
  confirmLabel?: string;
  title?: string;
  resolve: (ok: boolean) => void;
}

export function ConfirmProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null);
  const { t } = useI18n();
  const confirm = useCallback<ConfirmFn>(
    (message, opts) => new Promise<boolean>((resolve) => setPending({ message, danger: !!opts?.danger, confirmLabel: opts?.confirmLabel, title: opts?.title, resolve })),
    [],
  );
  const finish = (ok: boolean) => {
    pending?.resolve(ok);
    setPending(null);
  };
  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      {pending ? (
        <Modal
          title={pending.title ?? pending.message}
          onClose={() => finish(false)}
          footer={
            <>
              <button type="button" className="btn" onClick={() => finish(false)}>
                {t('common.cancel')}
              </button>
              <button type="button" className={`btn ${pending.danger ? 'btn-danger' : 'btn-primary'}`} onClick={() => finish(true)}>
                {pending.confirmLabel ?? t('common.confirm')}
              </button>
            </>
          }
        >
          {pending.title ? <p>{pending.message}</p> : null}
        </Modal>
      ) : null}
    </ConfirmContext.Provider>
  );
}

export function useConfirm(): ConfirmFn {
  const v = useContext(ConfirmContext);
  if (!v) throw new Error('useConfirm outside ConfirmProvider');
  return v;
}
