/**
 * A character's lorebooks, from its profile: its own book (the card's character_book) to edit, and
 * which standalone books it uses. Also the group's lorebooks section of the group panel.
 */
import { useState } from 'react';
import { Icon } from '../../../components/Icon.js';
import { Modal } from '../../../components/Modal.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { Id } from '../../../lib/types.js';
import { useLorebookActions, useLorebooks, useOwnLorebook } from '../api/lorebooks.js';
import { LoreEntryEditor } from './LoreEntryEditor.js';
import { usePending } from './use-pending.js';

/** The button in the character's info panel and the dialog it opens. */
export function CharacterLorebookButton({ character, onOpenPage }: { character: { id: Id; name: string }; onOpenPage: (bookId?: Id) => void }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="icon-btn" aria-label={t('lore.own', { name: character.name })} title={t('lore.own', { name: character.name })} onClick={() => setOpen(true)}>
        <Icon name="book" size={16} />
      </button>
      {open ? (
        <Modal title={t('lore.own', { name: character.name })} onClose={() => setOpen(false)} variant="wide">
          <CharacterLorebooks
            characterId={character.id}
            onOpenPage={(bookId) => {
              setOpen(false);
              onOpenPage(bookId);
            }}
          />
        </Modal>
      ) : null}
    </>
  );
}

function CharacterLorebooks({ characterId, onOpenPage }: { characterId: Id; onOpenPage: (bookId?: Id) => void }) {
  const { t, errorText } = useI18n();
  const own = useOwnLorebook(characterId);
  return (
    <div className="lore-page">
      <p className="muted small">{t('lore.ownHint')}</p>
      {own.error ? <p className="error-text" role="alert">{errorText(own.error)}</p> : null}
      {own.data ? <LoreEntryEditor bookRef={{ kind: 'character', id: characterId }} entries={own.data.entries} /> : <p className="muted">{t('app.loading')}</p>}
      <AttachedBooks kind="characters" targetId={characterId} onOpenPage={onOpenPage} />
    </div>
  );
}

/** Which standalone books a character or group uses, as checkboxes. */
export function AttachedBooks({ kind, targetId, onOpenPage }: { kind: 'characters' | 'groups'; targetId: Id; onOpenPage: (bookId?: Id) => void }) {
  const { t } = useI18n();
  const toast = useToast();
  const books = useLorebooks();
  const actions = useLorebookActions();
  const pending = usePending();
  const list = books.data ?? [];
  const on = (ids: Id[]) => ids.some((x) => String(x) === String(targetId));
  return (
    <section className="info-sec">
      <h3>{t('lore.attached')}</h3>
      {books.data && list.length === 0 ? <p className="muted small">{t('lore.attachedNone')}</p> : null}
      <div className="attach-list">
        {list.map((b) => (
          <label key={String(b.id)}>
            <input
              type="checkbox"
              checked={pending.value(String(b.id), on(kind === 'characters' ? b.characterIds : b.groupIds))}
              onChange={(e) => pending.run(String(b.id), e.target.checked, (value, settled) => actions.attach.mutate({ id: b.id, kind, targetId, on: value }, { onError: (err) => toast.error(err), onSettled: settled }))}
            />{' '}
            {b.name} <span className="muted small">({t('lore.entries', { count: b.entryCount })})</span>
            <button type="button" className="icon-btn" aria-label={`${t('lore.open')}: ${b.name}`} title={t('lore.open')} onClick={() => onOpenPage(b.id)}>
              <Icon name="edit" size={14} />
            </button>
          </label>
        ))}
      </div>
      <button type="button" className="btn btn-ghost btn-sm" onClick={() => onOpenPage()}>
        <Icon name="book" size={14} /> {t('lore.openPage')}
      </button>
    </section>
  );
}
