import { useState } from 'react';
import { Avatar } from '../../../components/Avatar.js';
import { Modal } from '../../../components/Modal.js';
import { LIMITS } from '../../../../../src/shared/limits.js';
import { useI18n } from '../../../i18n/index.js';
import type { CharacterSummary, GroupMode, Id } from '../../../lib/types.js';
import { useCreateGroup } from '../api/groups.js';
import { ModeFields } from './GroupForm.js';

export function CreateGroupDialog({ characters, onClose, onCreated }: { characters: CharacterSummary[]; onClose: () => void; onCreated: (id: Id) => void }) {
  const { t, errorText } = useI18n();
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<Id[]>([]);
  const [mode, setMode] = useState<GroupMode>('natural');
  const [maxRounds, setMaxRounds] = useState(3);
  const create = useCreateGroup();
  const valid = name.trim() !== '' && picked.length >= 2 && picked.length <= 12;
  const toggle = (id: Id) => setPicked((xs) => (xs.includes(id) ? xs.filter((x) => x !== id) : [...xs, id]));

  return (
    <Modal
      title={t('group.createTitle')}
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" form="group-form" className="btn btn-primary" disabled={!valid || create.isPending}>
            {t('common.create')}
          </button>
        </>
      }
    >
      <form
        id="group-form"
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (valid) create.mutate({ name: name.trim(), memberIds: picked, mode, maxRounds }, { onSuccess: (g) => { onCreated(g.id); onClose(); } });
        }}
      >
        <label className="field">
          <span>{t('group.name')}</span>
          <input name="groupName" required value={name} onChange={(e) => setName(e.target.value)} autoFocus maxLength={LIMITS.groupName.max} />
        </label>
        <fieldset className="field">
          <legend>
            {t('group.members')} <span className="muted small">{picked.length}/12</span>
          </legend>
          {characters.length < 2 ? <p className="muted small">{t('group.noCharacters')}</p> : null}
          <div className="pick-list">
            {characters.map((c) => (
              <label key={c.id} className={`pick ${picked.includes(c.id) ? 'selected' : ''}`}>
                <input type="checkbox" checked={picked.includes(c.id)} onChange={() => toggle(c.id)} disabled={!picked.includes(c.id) && picked.length >= 12} />
                <Avatar name={c.name} url={c.avatarUrl} size={28} />
                <span className="ellipsis">{c.name}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <ModeFields mode={mode} maxRounds={maxRounds} onMode={setMode} onRounds={setMaxRounds} />
        {create.error ? (
          <p className="error-text" role="alert">
            {errorText(create.error)}
          </p>
        ) : null}
      </form>
    </Modal>
  );
}
