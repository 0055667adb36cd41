import { useState } from 'react';
import { LIMITS } from '../../../../../src/shared/limits.js';
import { useConfirm } from '../../../components/Confirm.js';
import { Icon } from '../../../components/Icon.js';
import { Modal } from '../../../components/Modal.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { ChatSummary, Id } from '../../../lib/types.js';
import { chatLabel, type useChatMutations } from '../api/chats.js';

export interface ChatsDialogProps {
  characterName: string;
  chats: ChatSummary[];
  activeId: Id | null;
  /** A reply is streaming: the open chat cannot be deleted now. */
  busy: boolean;
  mutations: ReturnType<typeof useChatMutations>;
  dateOf: (ms: number) => string;
  onOpen: (chatId: Id) => void;
  onDeleted: (chatId: Id) => void;
  onClose: () => void;
}

/** A character's chats: open one, start a new one, rename, delete (with confirmation), import a file. */
export function ChatsDialog({ characterName, chats, activeId, busy, mutations, dateOf, onOpen, onDeleted, onClose }: ChatsDialogProps) {
  const { t } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  const [renaming, setRenaming] = useState<{ id: Id; title: string } | null>(null);
  const isActive = (c: ChatSummary) => activeId !== null && String(c.id) === String(activeId);

  return (
    <Modal title={t('chats.title', { name: characterName })} onClose={onClose}>
      <div className="chats-dialog stack">
        <div className="row wrap">
          <button
            type="button"
            className="btn btn-primary btn-sm"
            disabled={mutations.create.isPending}
            onClick={() =>
              mutations.create.mutate(
                {},
                {
                  onSuccess: (c) => {
                    toast.success(t('chats.started'));
                    onOpen(c.id);
                  },
                },
              )
            }
          >
            <Icon name="plus" size={14} /> {t('chats.new')}
          </button>
          <label className="btn btn-sm file-btn" title={t('chats.importHint')}>
            <Icon name="import" size={14} /> {t('chats.import')}
            <input
              type="file"
              accept=".jsonl,.json,application/json,application/x-ndjson"
              className="visually-hidden"
              onChange={(e) => {
                const file = e.target.files?.[0];
                e.target.value = '';
                if (!file) return;
                mutations.import.mutate(file, {
                  onSuccess: (c) => {
                    toast.success(t('chats.imported', { count: c.messageCount }));
                    onOpen(c.id);
                  },
                });
              }}
            />
          </label>
        </div>
        <p className="muted small">{t('chats.importHint')}</p>
        <ul className="chat-list" aria-label={t('chats.open')}>
          {chats.map((c) => (
            <li key={String(c.id)} className={`chat-row ${isActive(c) ? 'active' : ''}`}>
              {renaming && String(renaming.id) === String(c.id) ? (
                <form
                  className="row grow"
                  onSubmit={(e) => {
                    e.preventDefault();
                    mutations.update.mutate({ chatId: c.id, title: renaming.title.trim() || null }, { onSuccess: () => setRenaming(null) });
                  }}
                >
                  <input
                    className="grow"
                    aria-label={t('chats.renameLabel')}
                    placeholder={t('chats.renamePlaceholder')}
                    maxLength={LIMITS.chatTitle.max}
                    value={renaming.title}
                    autoFocus
                    onChange={(e) => setRenaming({ id: c.id, title: e.target.value })}
                    onKeyDown={(e) => e.key === 'Escape' && (e.stopPropagation(), setRenaming(null))}
                  />
                  <button type="submit" className="btn btn-primary btn-sm" disabled={mutations.update.isPending}>
                    {t('common.save')}
                  </button>
                </form>
              ) : (
                <>
                  <button type="button" className="chat-open grow" aria-current={isActive(c) ? 'true' : undefined} onClick={() => onOpen(c.id)}>
                    <span className="chat-name ellipsis">{chatLabel(c, dateOf)}</span>
                    <span className="muted small">
                      {t('chats.messageCount', { count: c.messageCount })} · {dateOf(c.lastMessageAt ?? c.createdAt)}
                      {isActive(c) ? <span className="badge">{t('chats.current')}</span> : null}
                    </span>
                  </button>
                  <button type="button" className="icon-btn" aria-label={`${t('chats.rename')} · ${chatLabel(c, dateOf)}`} title={t('chats.rename')} onClick={() => setRenaming({ id: c.id, title: c.title ?? '' })}>
                    <Icon name="edit" size={16} />
                  </button>
                  <button
                    type="button"
                    className="icon-btn"
                    aria-label={`${t('chats.delete')} · ${chatLabel(c, dateOf)}`}
                    title={t('chats.delete')}
                    disabled={busy && isActive(c)}
                    onClick={async () => {
                      if (!(await confirm(t('chats.confirmDelete', { title: chatLabel(c, dateOf) }), { title: t('chats.delete'), danger: true, confirmLabel: t('common.delete') }))) return;
                      mutations.remove.mutate(c.id, { onSuccess: () => onDeleted(c.id) });
                    }}
                  >
                    <Icon name="trash" size={16} />
                  </button>
                </>
              )}
            </li>
          ))}
        </ul>
      </div>
    </Modal>
  );
}
