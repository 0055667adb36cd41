import { useState, type ReactNode } from 'react';
import { useConfirm } from './Confirm.js';
import { Icon } from './Icon.js';
import { useToast } from './Toast.js';
import { useI18n } from '../i18n/index.js';

export interface ConversationToolsProps {
  /** Download link of the conversation in a format. */
  exportUrl: (format: 'md' | 'json') => string;
  /** Named in the confirmation before clearing. */
  name: string;
  canClear: boolean;
  /** Clears on the server; the caller then resets its list. */
  onClear: () => Promise<void>;
  trailing?: ReactNode;
}

/** The header tools every conversation shares: export menu, clear (with confirmation), shell slot. */
export function ConversationTools({ exportUrl, name, canClear, onClear, trailing }: ConversationToolsProps) {
  const { t } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  // The links are made once the menu is first opened: their URLs carry the time zone, and the
  // first Intl call loads time zone data (25–30 ms in the task that opened the chat, on a fast machine).
  const [opened, setOpened] = useState(false);
  return (
    <div className="conv-tools">
      <details className="menu">
        <summary className="icon-btn" aria-label={t('chat.export')} title={t('chat.export')} onClick={() => setOpened(true)}>
          <Icon name="download" />
        </summary>
        <div className="menu-pop" role="menu">
          {opened ? (
            <>
              <a role="menuitem" href={exportUrl('md')} download>
                {t('chat.exportMd')}
              </a>
              <a role="menuitem" href={exportUrl('json')} download>
                {t('chat.exportJson')}
              </a>
            </>
          ) : null}
        </div>
      </details>
      <button
        type="button"
        className="icon-btn"
        aria-label={t('chat.clear')}
        title={t('chat.clear')}
        disabled={!canClear}
        onClick={async () => {
          if (!(await confirm(t('chat.confirmClear', { name }), { title: t('chat.clear'), danger: true, confirmLabel: t('chat.clear') }))) return;
          try {
            await onClear();
          } catch (e) {
            toast.error(e);
          }
        }}
      >
        <Icon name="trash" />
      </button>
      {trailing}
    </div>
  );
}

/** Shown when a conversation's history could not be loaded, with a retry. */
export function LoadErrorBanner({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const { t, errorText } = useI18n();
  if (!error) return null;
  return (
    <div className="banner banner-error" role="alert">
      {errorText(error)}{' '}
      <button type="button" className="btn btn-sm" onClick={onRetry}>
        {t('common.retry')}
      </button>
    </div>
  );
}
