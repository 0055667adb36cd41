import { Suspense, useState, type ReactNode } from 'react';
import { Avatar } from '../../../components/Avatar.js';
import { useConfirm } from '../../../components/Confirm.js';
import { Icon } from '../../../components/Icon.js';
import { Markdown } from '../../../components/Markdown.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import { seg } from '../../../lib/api.js';
import type { Character, Id, Memory } from '../../../lib/types.js';
import { useCopyCharacter, useDeleteCharacter } from '../api/copy-delete-character.js';
import { useCharacter } from '../api/get-character.js';
import { useCompressMemories, useDeleteMemory, useMemories, useUpdateMemory } from '../api/memories.js';
import { useUpdateCharacter } from '../api/update-character.js';
import { LIMITS } from '../../../../../src/shared/limits.js';
import { useFieldErrors } from '../../../components/FieldErrors.js';
import { ChatModelSettings } from '../../../components/ChatModelSettings.js';
import { useGroups } from '../../groups/api/groups.js';
import { fieldToText, label, SECTIONS } from '../profile-sections.js';
import { expandMacros } from '../../../../../src/shared/macros.js';
import { SourceValue } from './SourceValue.js';
import { lazyNamed } from '../../../lib/lazy.js';

// Loaded when opened: the avatar dialog carries the image cropper.
const AvatarDialog = lazyNamed(() => import('./AvatarDialog.js'), 'AvatarDialog');
const ProfileEditor = lazyNamed(() => import('./ProfileEditor.js'), 'ProfileEditor');

export interface InfoPanelProps {
  characterId: Id;
  /** The open chat: its short-term memory is shown (the character's long-term memory is shared). */
  chatId?: Id;
  onDeleted: () => void;
  onSelect: (id: Id) => void;
  /** Fills `{{user}}` in an imported card's text when shown (the stored text keeps the macro). */
  username?: string;
  /** More buttons beside export/copy/delete (the lorebook editor). */
  actions?: ReactNode;
}

/** The right pane for a character: avatar, biography, profile (read-only + editor), memories. */
export function InfoPanel({ characterId, chatId, onDeleted, onSelect, username = 'User', actions }: InfoPanelProps) {
  const { t, errorText } = useI18n();
  const q = useCharacter(characterId);
  if (q.isPending) return <div className="pad muted">{t('app.loading')}</div>;
  if (q.error) return <div className="pad error-text" role="alert">{errorText(q.error)}</div>;
  return <CharacterInfo key={String(characterId)} c={q.data} chatId={chatId} onDeleted={onDeleted} onSelect={onSelect} username={username} actions={actions} />;
}

function CharacterInfo({ c, chatId, onDeleted, onSelect, username, actions }: { c: Character; chatId?: Id; onDeleted: () => void; onSelect: (id: Id) => void; username: string; actions?: ReactNode }) {
  const { t, locale } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  const [editing, setEditing] = useState(false);
  const [avatar, setAvatar] = useState(false);
  const [renaming, setRenaming] = useState<string | null>(null);
  const rename = useUpdateCharacter(c.id, { silent: true });
  const renameErrs = useFieldErrors(rename.error, ['name'], `rename-${c.id}`);
  const groups = useGroups();
  const inGroups = (groups.data ?? []).filter((g) => g.members.some((m) => String(m.characterId) === String(c.id)));
  const copy = useCopyCharacter();
  const del = useDeleteCharacter();
  const base = `/api/characters/${seg(c.id)}`;

  return (
    <div className="info">
      <div className="info-head">
        <button type="button" className="avatar-btn" onClick={() => setAvatar(true)} aria-label={t('info.uploadAvatar')} title={t('info.uploadAvatar')}>
          <Avatar name={c.name} url={c.avatarUrl} size={72} />
          <span className="avatar-edit" aria-hidden="true">
            <Icon name="upload" size={14} />
          </span>
        </button>
        {renaming !== null ? (
          <form
            className="rename-form"
            onSubmit={(e) => {
              e.preventDefault();
              if (renaming.trim()) rename.mutate({ name: renaming.trim() }, { onSuccess: () => setRenaming(null) });
            }}
          >
            <div className="row">
              <input
                aria-label={t('info.name')}
                value={renaming}
                autoFocus
                maxLength={LIMITS.characterName.max}
                aria-invalid={renameErrs.invalid('name')}
                aria-describedby={renameErrs.id('name')}
                onChange={(e) => setRenaming(e.target.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Escape') {
                    rename.reset();
                    setRenaming(null);
                  }
                }}
              />
              <button type="submit" className="icon-btn" aria-label={t('common.save')} disabled={rename.isPending}>
                <Icon name="check" />
              </button>
            </div>
            {renameErrs.at('name')}
            {renameErrs.rest}
          </form>
        ) : (
          <h2 className="info-name">
            {c.name}
            <button type="button" className="icon-btn" aria-label={t('info.rename')} title={t('info.rename')} onClick={() => setRenaming(c.name)}>
              <Icon name="edit" size={15} />
            </button>
          </h2>
        )}
        <div className="info-actions">
          <a className="icon-btn" href={`${base}/card?format=png`} download aria-label={t('info.exportPng')} title={t('info.exportPng')}>
            <Icon name="download" size={16} />
            <span className="tiny">PNG</span>
          </a>
          <a className="icon-btn" href={`${base}/card?format=json`} download aria-label={t('info.exportJson')} title={t('info.exportJson')}>
            <Icon name="download" size={16} />
            <span className="tiny">JSON</span>
          </a>
          <button
            type="button"
            className="icon-btn"
            aria-label={t('info.copy')}
            title={t('info.copy')}
            onClick={() =>
              copy.mutate(c.id, {
                onSuccess: (n) => {
                  toast.success(t('info.copied', { name: n.name }));
                  onSelect(n.id);
                },
              })
            }
          >
            <Icon name="copy" size={16} />
          </button>
          <button
            type="button"
            className="icon-btn danger"
            aria-label={t('info.delete')}
            title={t('info.delete')}
            onClick={async () => {
              const message = [t('info.confirmDeleteBody'), inGroups.length ? t('info.confirmDeleteGroups', { groups: inGroups.map((g) => `「${g.name}」`).join('、') }) : '']
                .filter(Boolean)
                .join('\n');
              if (await confirm(message, { title: t('info.confirmDelete', { name: c.name }), danger: true, confirmLabel: t('common.delete') })) del.mutate(c.id, { onSuccess: onDeleted });
            }}
          >
            <Icon name="trash" size={16} />
          </button>
          {actions}
        </div>
      </div>

      <section className="info-sec">
        <h3>{t('info.biography')}</h3>
        {c.biography ? <Markdown text={expandMacros(c.biography, { char: c.name, user: username })} /> : <p className="muted">{t('info.noBiography')}</p>}
      </section>

      <section className="info-sec">
        <div className="row between">
          <h3>{t('info.profile')}</h3>
          <button type="button" className="btn btn-sm" onClick={() => setEditing(true)}>
            <Icon name="edit" size={14} /> {t('info.editProfile')}
          </button>
        </div>
        {SECTIONS.map((s) => {
          const sec = (c.profile?.[s.key] as Record<string, unknown> | undefined) ?? {};
          const filled = s.fields.filter((f) => fieldToText(sec[f.key], f.list).trim() !== '');
          return (
            <details key={s.key} className="profile-sec">
              <summary>
                {label(s, locale)} <span className="muted small">{filled.length}/{s.fields.length}</span>
              </summary>
              {filled.length === 0 ? (
                <p className="muted small">{t('profile.empty')}</p>
              ) : (
                <dl>
                  {filled.map((f) => (
                    <div key={f.key}>
                      <dt>{label(f, locale)}</dt>
                      <dd>
                        {s.key === 'source' ? (
                          <SourceValue field={f.key} value={sec[f.key]} />
                        ) : f.list && Array.isArray(sec[f.key]) ? (
                          <ul>
                            {(sec[f.key] as unknown[]).map((x, i) => (
                              <li key={i}>{expandMacros(fieldToText(x), { char: c.name, user: username })}</li>
                            ))}
                          </ul>
                        ) : (
                          expandMacros(fieldToText(sec[f.key]), { char: c.name, user: username })
                        )}
                      </dd>
                    </div>
                  ))}
                </dl>
              )}
            </details>
          );
        })}
      </section>

      <section className="info-sec">
        <h3>{t('models.section')}</h3>
        <ChatModelSettings path={`${base}/llm`} />
      </section>

      <MemorySection characterId={c.id} chatId={chatId} />

      <Suspense fallback={null}>
        {editing ? <ProfileEditor character={c} onClose={() => setEditing(false)} /> : null}
        {avatar ? <AvatarDialog characterId={c.id} onClose={() => setAvatar(false)} /> : null}
      </Suspense>
    </div>
  );
}

function MemorySection({ characterId, chatId }: { characterId: Id; chatId?: Id }) {
  const { t, errorText } = useI18n();
  const toast = useToast();
  const q = useMemories(characterId, chatId);
  const compress = useCompressMemories(characterId, chatId);
  return (
    <section className="info-sec">
      <div className="row between">
        <h3>{t('info.memories')}</h3>
        <button type="button" className="btn btn-sm" disabled={compress.isPending} onClick={() => compress.mutate(undefined, { onSuccess: () => toast.info(t('info.compressQueued')) })}>
          <Icon name="compress" size={14} /> {t('info.compressNow')}
        </button>
      </div>
      {q.error ? <p className="error-text small">{errorText(q.error)}</p> : null}
      {q.data ? (
        <>
          <MemoryGroup title={t('info.shortTerm')} items={q.data.shortTerm} characterId={characterId} chatId={chatId} />
          <MemoryGroup title={t('info.longTerm')} items={q.data.longTerm} characterId={characterId} chatId={chatId} />
        </>
      ) : null}
    </section>
  );
}

function MemoryGroup({ title, items, characterId, chatId }: { title: string; items: Memory[]; characterId: Id; chatId?: Id }) {
  const { t } = useI18n();
  return (
    <div className="memory-group">
      <h4>
        {title} <span className="muted small">{items.length}</span>
      </h4>
      {items.length === 0 ? <p className="muted small">{t('info.noMemories')}</p> : null}
      <ul className="memories">
        {items.map((m) => (
          <MemoryItem key={m.id} m={m} characterId={characterId} chatId={chatId} />
        ))}
      </ul>
    </div>
  );
}

function MemoryItem({ m, characterId, chatId }: { m: Memory; characterId: Id; chatId?: Id }) {
  const { t } = useI18n();
  const confirm = useConfirm();
  const update = useUpdateMemory(characterId, chatId);
  const del = useDeleteMemory(characterId, chatId);
  const [edit, setEdit] = useState<string | null>(null);
  return (
    <li className={`memory ${m.pinned ? 'pinned' : ''}`}>
      {edit !== null ? (
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            update.mutate({ memoryId: m.id, content: edit.trim() }, { onSuccess: () => setEdit(null) });
          }}
        >
          <textarea aria-label={t('info.memoryContent')} rows={3} value={edit} autoFocus onChange={(e) => setEdit(e.target.value)} />
          <div className="row end">
            <button type="button" className="btn btn-sm" onClick={() => setEdit(null)}>
              {t('common.cancel')}
            </button>
            <button type="submit" className="btn btn-primary btn-sm" disabled={!edit.trim() || update.isPending}>
              {t('common.save')}
            </button>
          </div>
        </form>
      ) : (
        <>
          <p>
            {m.pinned ? <span className="badge">{t('info.pinned')}</span> : null} {m.content}
          </p>
          <div className="memory-actions">
            <button
              type="button"
              className={`icon-btn ${m.pinned ? 'on' : ''}`}
              aria-pressed={m.pinned}
              aria-label={m.pinned ? t('info.unpin') : t('info.pin')}
              title={m.pinned ? t('info.unpin') : t('info.pin')}
              onClick={() => update.mutate({ memoryId: m.id, pinned: !m.pinned })}
            >
              <Icon name="pin" size={15} />
            </button>
            <button type="button" className="icon-btn" aria-label={t('info.editMemory')} title={t('info.editMemory')} onClick={() => setEdit(m.content)}>
              <Icon name="edit" size={15} />
            </button>
            <button
              type="button"
              className="icon-btn danger"
              aria-label={t('info.deleteMemory')}
              title={t('info.deleteMemory')}
              onClick={async () => {
                if (await confirm(t('info.confirmDeleteMemory'), { danger: true, confirmLabel: t('common.delete') })) del.mutate(m.id);
              }}
            >
              <Icon name="trash" size={15} />
            </button>
          </div>
        </>
      )}
    </li>
  );
}
