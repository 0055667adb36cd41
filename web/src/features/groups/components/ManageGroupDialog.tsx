import { LIMITS } from '../../../../../src/shared/limits.js';
import { useState } from 'react';
import { Avatar } from '../../../components/Avatar.js';
import { useConfirm } from '../../../components/Confirm.js';
import { Icon } from '../../../components/Icon.js';
import { Modal } from '../../../components/Modal.js';
import { PersonaSelect } from '../../../components/PersonaSelect.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { CharacterSummary, Group, GroupMode, Persona } from '../../../lib/types.js';
import { useDeleteGroup, useGroupMember, useUpdateGroup } from '../api/groups.js';
import { ModeFields } from './GroupForm.js';

export function ManageGroupDialog({ group, characters, personas = [], onClose, onDeleted }: { group: Group; characters: CharacterSummary[]; personas?: Persona[]; onClose: () => void; onDeleted: () => void }) {
  const { t } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  const [name, setName] = useState(group.name);
  const [mode, setMode] = useState<GroupMode>(group.mode);
  const [maxRounds, setMaxRounds] = useState(group.maxRounds);
  const [adding, setAdding] = useState('');
  const update = useUpdateGroup(group.id);
  const members = useGroupMember(group.id);
  const del = useDeleteGroup();
  const memberIds = new Set(group.members.map((m) => String(m.characterId)));
  const others = characters.filter((c) => !memberIds.has(String(c.id)));
  const dirty = name.trim() !== group.name || mode !== group.mode || maxRounds !== group.maxRounds;

  return (
    <Modal
      title={t('group.manage')}
      onClose={onClose}
      footer={
        <>
          <button
            type="button"
            className="btn btn-danger push-left"
            onClick={async () => {
              if (await confirm(t('group.confirmDelete', { name: group.name }), { title: t('group.delete'), danger: true, confirmLabel: t('common.delete') }))
                del.mutate(group.id, {
                  onSuccess: () => {
                    onDeleted();
                    onClose();
                  },
                });
            }}
          >
            {t('group.delete')}
          </button>
          <button type="button" className="btn" onClick={onClose}>
            {t('common.close')}
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={!dirty || !name.trim() || update.isPending}
            onClick={() => update.mutate({ name: name.trim(), mode, maxRounds }, { onSuccess: () => toast.success((tr) => tr('common.saved')) })}
          >
            {t('common.save')}
          </button>
        </>
      }
    >
      <div className="stack">
        <label className="field">
          <span>{t('group.name')}</span>
          <input value={name} onChange={(e) => setName(e.target.value)} maxLength={LIMITS.groupName.max} />
        </label>
        <ModeFields mode={mode} maxRounds={maxRounds} onMode={setMode} onRounds={setMaxRounds} />
        {personas.length ? (
          <label className="field">
            <span>{t('persona.label')}</span>
            {/* Saved on change, like the member list below. */}
            <PersonaSelect personas={personas} value={group.personaId} disabled={update.isPending} onChange={(personaId) => update.mutate({ personaId }, { onSuccess: () => toast.success((tr) => tr('common.saved')) })} />
          </label>
        ) : null}
        <fieldset className="field">
          <legend>
            {t('group.members')} <span className="muted small">{group.members.length}/12</span>
          </legend>
          <ul className="member-list">
            {group.members.map((m) => (
              <li key={m.characterId} className="row">
                <Avatar name={m.name} url={m.avatarUrl} size={28} />
                <span className="grow ellipsis">{m.name}</span>
                <button
                  type="button"
                  className="icon-btn danger"
                  aria-label={t('group.removeMember', { name: m.name })}
                  title={group.members.length <= 2 ? t('group.minMembers') : t('group.removeMember', { name: m.name })}
                  disabled={group.members.length <= 2 || members.remove.isPending}
                  onClick={() => members.remove.mutate(m.characterId)}
                >
                  <Icon name="close" size={16} />
                </button>
              </li>
            ))}
          </ul>
          {others.length > 0 && group.members.length < 12 ? (
            <form
              className="row"
              onSubmit={(e) => {
                e.preventDefault();
                const c = others.find((o) => String(o.id) === adding);
                if (c) members.add.mutate(c.id, { onSuccess: () => setAdding('') });
              }}
            >
              <select aria-label={t('group.addMember')} value={adding} onChange={(e) => setAdding(e.target.value)} className="grow">
                <option value="">{t('group.addMember')}…</option>
                {others.map((c) => (
                  <option key={c.id} value={String(c.id)}>
                    {c.name}
                  </option>
                ))}
              </select>
              <button type="submit" className="btn" disabled={!adding || members.add.isPending}>
                <Icon name="plus" size={16} /> {t('group.addMember')}
              </button>
            </form>
          ) : null}
        </fieldset>
      </div>
    </Modal>
  );
}
