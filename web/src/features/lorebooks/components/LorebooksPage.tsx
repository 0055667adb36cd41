/**
 * The Lorebooks page: the user's standalone books — import (SillyTavern World Info, character_book
 * or a card), create, export, delete, attach to characters and groups — and one book's entries.
 */
import { useRef, useState, type ReactNode } from 'react';
import { useConfirm } from '../../../components/Confirm.js';
import { Icon } from '../../../components/Icon.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { Id } from '../../../lib/types.js';
import { lorebookExportUrl, useLorebook, useLorebookActions, useLorebooks, type LorebookSummary } from '../api/lorebooks.js';
import { LoreEntryEditor } from './LoreEntryEditor.js';
import { usePending } from './use-pending.js';

interface Named {
  id: Id;
  name: string;
}

export interface LorebooksPageProps {
  leading?: ReactNode;
  characters: Named[];
  groups: Named[];
  /** The book whose entries are open, or null for the list. */
  openId: string | null;
  onOpen: (id: Id | null) => void;
}

export function LorebooksPage({ leading, characters, groups, openId, onOpen }: LorebooksPageProps) {
  const { t } = useI18n();
  return (
    <section className="conversation" aria-label={t('lore.title')}>
      <header className="conv-head">
        {leading}
        {openId !== null ? (
          <button type="button" className="icon-btn" aria-label={t('lore.back')} title={t('lore.back')} onClick={() => onOpen(null)}>
            <Icon name="back" />
          </button>
        ) : null}
        <h1 className="conv-title ellipsis">{t('lore.title')}</h1>
      </header>
      <div className="lore-page">{openId !== null ? <BookDetail id={openId} /> : <BookList characters={characters} groups={groups} onOpen={onOpen} />}</div>
    </section>
  );
}

function BookList({ characters, groups, onOpen }: { characters: Named[]; groups: Named[]; onOpen: (id: Id) => void }) {
  const { t, errorText } = useI18n();
  const toast = useToast();
  const books = useLorebooks();
  const actions = useLorebookActions();
  const file = useRef<HTMLInputElement>(null);
  const [q, setQ] = useState('');
  const [newName, setNewName] = useState<string | null>(null);
  const needle = q.trim().toLowerCase();
  const list = (books.data ?? []).filter((b) => !needle || b.name.toLowerCase().includes(needle));

  const onFile = async (f: File | undefined) => {
    if (!f) return;
    try {
      const content = await f.text();
      const name = f.name.replace(/\.json$/i, '').slice(0, 100).trim() || undefined;
      const b = await actions.import.mutateAsync({ content, name });
      toast.success(t('lore.imported', { name: b.name, count: b.entryCount }));
    } catch (e) {
      toast.error(e);
    } finally {
      if (file.current) file.current.value = '';
    }
  };

  return (
    <>
      <div className="lore-toolbar">
        <input type="search" aria-label={t('lore.searchBooks')} placeholder={t('lore.searchBooks')} value={q} onChange={(e) => setQ(e.target.value)} />
        <button type="button" className="btn btn-sm" onClick={() => file.current?.click()} title={t('lore.importHint')} disabled={actions.import.isPending}>
          <Icon name="import" size={16} /> {t('lore.import')}
        </button>
        <input ref={file} type="file" accept="application/json,.json" hidden aria-label={t('lore.import')} data-testid="lore-import" onChange={(e) => void onFile(e.target.files?.[0])} />
        <button type="button" className="btn btn-primary btn-sm" onClick={() => setNewName('')}>
          <Icon name="plus" size={16} /> {t('lore.new')}
        </button>
      </div>
      <p className="muted small">{t('lore.importHint')}</p>
      {newName !== null ? (
        <form
          className="lore-toolbar"
          onSubmit={(e) => {
            e.preventDefault();
            if (newName.trim()) actions.create.mutate(newName.trim(), { onSuccess: (b) => { setNewName(null); onOpen(b.id); }, onError: (err) => toast.error(err) });
          }}
        >
          <input aria-label={t('lore.newName')} placeholder={t('lore.newName')} value={newName} maxLength={100} autoFocus onChange={(e) => setNewName(e.target.value)} />
          <button type="button" className="btn btn-sm" onClick={() => setNewName(null)}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary btn-sm" disabled={!newName.trim() || actions.create.isPending}>
            {t('common.create')}
          </button>
        </form>
      ) : null}
      {books.error ? (
        <p className="error-text small" role="alert">
          {errorText(books.error)}
        </p>
      ) : null}
      {books.isPending ? <p className="muted">{t('app.loading')}</p> : null}
      {books.data && books.data.length === 0 ? <p className="muted">{t('lore.empty')}</p> : null}
      <ul className="lore-list" aria-label={t('lore.title')}>
        {list.map((b) => (
          <BookCard key={String(b.id)} book={b} characters={characters} groups={groups} onOpen={() => onOpen(b.id)} />
        ))}
      </ul>
    </>
  );
}

function BookCard({ book, characters, groups, onOpen }: { book: LorebookSummary; characters: Named[]; groups: Named[]; onOpen: () => void }) {
  const { t } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  const actions = useLorebookActions();
  const pending = usePending();
  const toggle = (kind: 'characters' | 'groups', targetId: Id, on: boolean) =>
    pending.run(`${kind}:${targetId}`, on, (value, settled) => actions.attach.mutate({ id: book.id, kind, targetId, on: value }, { onError: (e) => toast.error(e), onSettled: settled }));
  const has = (kind: 'characters' | 'groups', ids: Id[], id: Id) => pending.value(`${kind}:${id}`, ids.some((x) => String(x) === String(id)));
  return (
    <li className="lore-card" data-book={String(book.id)}>
      <div className="lore-card-head">
        <div className="grow">
          <strong className="ellipsis">{book.name}</strong>
          <div className="muted small">
            {t(`lore.format.${book.format}`)} · {t('lore.entries', { count: book.entryCount })}
          </div>
        </div>
        <button type="button" className="btn btn-sm" onClick={onOpen}>
          <Icon name="edit" size={14} /> {t('lore.open')}
        </button>
        <a className="icon-btn" href={lorebookExportUrl(book.id)} download aria-label={`${t('lore.export')}: ${book.name}`} title={t('lore.export')}>
          <Icon name="download" size={16} />
        </a>
        <button
          type="button"
          className="icon-btn danger"
          aria-label={`${t('lore.delete')}: ${book.name}`}
          title={t('lore.delete')}
          onClick={async () => {
            if (await confirm(t('lore.confirmDelete', { name: book.name }), { danger: true, confirmLabel: t('common.delete') })) actions.remove.mutate(book.id, { onError: (e) => toast.error(e) });
          }}
        >
          <Icon name="trash" size={16} />
        </button>
      </div>
      <details>
        <summary className="small">
          {t('lore.usedBy')} ({book.characterIds.length + book.groupIds.length})
        </summary>
        <AttachList legend={t('lore.characters')} items={characters} checked={(id) => has('characters', book.characterIds, id)} onToggle={(id, on) => toggle('characters', id, on)} />
        <AttachList legend={t('lore.groups')} items={groups} checked={(id) => has('groups', book.groupIds, id)} onToggle={(id, on) => toggle('groups', id, on)} />
      </details>
    </li>
  );
}

function AttachList({ legend, items, checked, onToggle }: { legend: string; items: Named[]; checked: (id: Id) => boolean; onToggle: (id: Id, on: boolean) => void }) {
  if (!items.length) return null;
  return (
    <fieldset className="attach-list">
      <legend className="muted small">{legend}</legend>
      {items.map((x) => (
        <label key={String(x.id)}>
          <input type="checkbox" checked={checked(x.id)} onChange={(e) => onToggle(x.id, e.target.checked)} /> {x.name}
        </label>
      ))}
    </fieldset>
  );
}

function BookDetail({ id }: { id: string }) {
  const { t, errorText } = useI18n();
  const toast = useToast();
  const book = useLorebook(id);
  const actions = useLorebookActions();
  const [name, setName] = useState<string | null>(null);
  if (book.isPending) return <p className="muted">{t('app.loading')}</p>;
  if (book.error) return <p className="error-text" role="alert">{errorText(book.error)}</p>;
  const b = book.data;
  return (
    <>
      <div className="lore-card-head">
        {name !== null ? (
          <form
            className="lore-toolbar grow"
            onSubmit={(e) => {
              e.preventDefault();
              if (name.trim()) actions.rename.mutate({ id: b.id, name: name.trim() }, { onSuccess: () => setName(null), onError: (err) => toast.error(err) });
            }}
          >
            <input aria-label={t('lore.rename')} value={name} maxLength={100} autoFocus onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setName(null)} />
            <button type="submit" className="icon-btn" aria-label={t('common.save')}>
              <Icon name="check" />
            </button>
          </form>
        ) : (
          <h2 className="grow ellipsis">
            {b.name}{' '}
            <button type="button" className="icon-btn" aria-label={t('lore.rename')} title={t('lore.rename')} onClick={() => setName(b.name)}>
              <Icon name="edit" size={15} />
            </button>
          </h2>
        )}
        <span className="muted small">
          {t(`lore.format.${b.format}`)} · {t('lore.entries', { count: b.entryCount })}
        </span>
        <a className="btn btn-sm" href={lorebookExportUrl(b.id)} download>
          <Icon name="download" size={14} /> {t('lore.export')}
        </a>
      </div>
      <LoreEntryEditor bookRef={{ kind: 'standalone', id: b.id }} entries={b.entries} />
    </>
  );
}
