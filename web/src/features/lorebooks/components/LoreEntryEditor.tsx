/**
 * The entries of one lorebook (standalone, or a character's own): search, add, edit, enable or
 * disable, delete. Keys are typed comma-separated (either comma: 「长安，洛阳」 works too).
 */
import { useId, useState } from 'react';
import { useConfirm } from '../../../components/Confirm.js';
import { Icon } from '../../../components/Icon.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import { usePending } from './use-pending.js';
import { useBookEntries, type BookRef, type EntryPatch, type LoreEntry, type SelectiveLogic } from '../api/lorebooks.js';

const LOGICS: SelectiveLogic[] = ['and_any', 'not_all', 'not_any', 'and_all'];
const splitKeys = (s: string) => s.split(/[,，、]/u).map((k) => k.trim()).filter(Boolean);

const BLANK: Omit<LoreEntry, 'key'> = {
  keys: [],
  secondaryKeys: [],
  selective: false,
  selectiveLogic: 'and_any',
  content: '',
  comment: '',
  constant: false,
  enabled: true,
  order: 100,
  position: 'before',
  caseSensitive: false,
  wholeWords: false,
};

export function LoreEntryEditor({ bookRef, entries }: { bookRef: BookRef; entries: LoreEntry[] }) {
  const { t } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  const ops = useBookEntries(bookRef);
  const pending = usePending();
  const [q, setQ] = useState('');
  const [editing, setEditing] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const needle = q.trim().toLowerCase();
  const shown = needle ? entries.filter((e) => [e.comment, e.content, ...e.keys, ...e.secondaryKeys].some((s) => s.toLowerCase().includes(needle))) : entries;
  const title = (e: LoreEntry) => e.comment || e.keys.join(', ') || t('lore.entry.untitled');

  return (
    <div className="lore-entries">
      <div className="lore-toolbar">
        <input type="search" aria-label={t('lore.search')} placeholder={t('lore.search')} value={q} onChange={(e) => setQ(e.target.value)} />
        <button type="button" className="btn btn-primary btn-sm" onClick={() => setAdding(true)} disabled={adding}>
          <Icon name="plus" size={16} /> {t('lore.addEntry')}
        </button>
      </div>
      {adding ? (
        <div className="lore-card">
          <EntryForm
            initial={BLANK}
            busy={ops.add.isPending}
            onCancel={() => setAdding(false)}
            onSave={(patch) => ops.add.mutate(patch, { onSuccess: () => setAdding(false), onError: (e) => toast.error(e) })}
          />
        </div>
      ) : null}
      {entries.length === 0 && !adding ? <p className="muted small">{t('lore.noEntries')}</p> : null}
      {entries.length > 0 && shown.length === 0 ? <p className="muted small">{t('lore.noMatch')}</p> : null}
      <ul className="lore-list" aria-label={t('lore.title')}>
        {shown.map((e) => (
          <li key={e.key} className={`lore-card ${e.enabled ? '' : 'disabled'}`} data-entry={e.key}>
            <div className="lore-card-head">
              <input
                type="checkbox"
                checked={pending.value(e.key, e.enabled)}
                aria-label={t('lore.entry.enable', { name: title(e) })}
                title={t('lore.entry.enabled')}
                onChange={(ev) => pending.run(e.key, ev.target.checked, (on, settled) => ops.update.mutate({ key: e.key, patch: { enabled: on } }, { onError: (err) => toast.error(err), onSettled: settled }))}
              />
              <div className="grow">
                <strong className="ellipsis">{title(e)}</strong>{' '}
                {e.constant ? <span className="lore-key">{t('lore.entry.constantBadge')}</span> : null}{' '}
                {!e.enabled ? <span className="muted small">{t('lore.entry.disabledBadge')}</span> : null}
                <div className="lore-keys">
                  {e.keys.map((k) => (
                    <span key={k} className="lore-key">
                      {k}
                    </span>
                  ))}
                </div>
              </div>
              <button type="button" className="icon-btn" aria-label={`${t('lore.entry.edit')}: ${title(e)}`} title={t('lore.entry.edit')} onClick={() => setEditing(editing === e.key ? null : e.key)}>
                <Icon name="edit" size={16} />
              </button>
              <button
                type="button"
                className="icon-btn danger"
                aria-label={`${t('lore.entry.delete')}: ${title(e)}`}
                title={t('lore.entry.delete')}
                onClick={async () => {
                  if (await confirm(t('lore.entry.confirmDelete'), { danger: true, confirmLabel: t('common.delete') })) ops.remove.mutate(e.key, { onError: (err) => toast.error(err) });
                }}
              >
                <Icon name="trash" size={16} />
              </button>
            </div>
            {editing === e.key ? (
              <EntryForm
                initial={e}
                busy={ops.update.isPending}
                onCancel={() => setEditing(null)}
                onSave={(patch) => ops.update.mutate({ key: e.key, patch }, { onSuccess: () => setEditing(null), onError: (err) => toast.error(err) })}
              />
            ) : (
              <p className="muted small ellipsis">{e.content}</p>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function EntryForm({ initial, onSave, onCancel, busy }: { initial: Omit<LoreEntry, 'key'>; onSave: (patch: EntryPatch) => void; onCancel: () => void; busy: boolean }) {
  const { t } = useI18n();
  const id = useId();
  const [v, setV] = useState({ ...initial, keysText: initial.keys.join(', '), secondaryText: initial.secondaryKeys.join(', ') });
  const set = <K extends keyof typeof v>(k: K, value: (typeof v)[K]) => setV((old) => ({ ...old, [k]: value }));
  return (
    <form
      className="lore-form"
      onSubmit={(e) => {
        e.preventDefault();
        const { keysText, secondaryText, ...fields } = v;
        // The entry's address is not a field: the PATCH would be refused with it.
        const { key: _address, ...rest } = fields as typeof fields & { key?: string };
        onSave({ ...rest, keys: splitKeys(keysText), secondaryKeys: splitKeys(secondaryText) });
      }}
    >
      <label>
        {t('lore.entry.comment')}
        <input value={v.comment} maxLength={500} onChange={(e) => set('comment', e.target.value)} />
      </label>
      <label>
        {t('lore.entry.keys')}
        <input value={v.keysText} onChange={(e) => set('keysText', e.target.value)} autoFocus />
      </label>
      <label>
        {t('lore.entry.content')}
        <textarea value={v.content} maxLength={20_000} onChange={(e) => set('content', e.target.value)} />
      </label>
      <div className="row-2">
        <label className="check">
          <input type="checkbox" checked={v.selective} onChange={(e) => set('selective', e.target.checked)} /> {t('lore.entry.selective')}
        </label>
        <label>
          {t('lore.entry.logic')}
          <select value={v.selectiveLogic} disabled={!v.selective} onChange={(e) => set('selectiveLogic', e.target.value as SelectiveLogic)}>
            {LOGICS.map((l) => (
              <option key={l} value={l}>
                {t(`lore.logic.${l}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {v.selective ? (
        <label>
          {t('lore.entry.secondaryKeys')}
          <input value={v.secondaryText} onChange={(e) => set('secondaryText', e.target.value)} />
        </label>
      ) : null}
      <div className="row-2">
        <label>
          {t('lore.entry.order')}
          <input type="number" value={v.order} min={-100000} max={100000} step={1} onChange={(e) => set('order', Math.trunc(Number(e.target.value) || 0))} />
        </label>
        <label>
          {t('lore.entry.position')}
          <select value={v.position} onChange={(e) => set('position', e.target.value as 'before' | 'after')}>
            <option value="before">{t('lore.position.before')}</option>
            <option value="after">{t('lore.position.after')}</option>
          </select>
        </label>
      </div>
      <div className="row-2" role="group" aria-labelledby={`${id}-flags`}>
        <span id={`${id}-flags`} className="visually-hidden">
          {t('lore.entry.edit')}
        </span>
        <label className="check">
          <input type="checkbox" checked={v.constant} onChange={(e) => set('constant', e.target.checked)} /> {t('lore.entry.constant')}
        </label>
        <label className="check">
          <input type="checkbox" checked={v.enabled} onChange={(e) => set('enabled', e.target.checked)} /> {t('lore.entry.enabled')}
        </label>
        <label className="check">
          <input type="checkbox" checked={v.caseSensitive} onChange={(e) => set('caseSensitive', e.target.checked)} /> {t('lore.entry.caseSensitive')}
        </label>
        <label className="check">
          <input type="checkbox" checked={v.wholeWords} onChange={(e) => set('wholeWords', e.target.checked)} /> {t('lore.entry.wholeWords')}
        </label>
      </div>
      <div className="row end">
        <button type="button" className="btn btn-sm" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="btn btn-primary btn-sm" disabled={busy}>
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
