import { useState } from 'react';
import { LIMITS } from '../../../../../src/shared/limits.js';
import { Avatar } from '../../../components/Avatar.js';
import { useConfirm } from '../../../components/Confirm.js';
import { useFieldErrors } from '../../../components/FieldErrors.js';
import { Icon } from '../../../components/Icon.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { Persona } from '../../../lib/types.js';
import { usePersonaMutations, usePersonas } from '../api/personas.js';

/** Settings → Personas: who the user plays (list, add, edit, default, avatar, delete). */
export function PersonasSection() {
  const { t, errorText } = useI18n();
  const q = usePersonas();
  const [adding, setAdding] = useState(false);
  const list = q.data ?? [];
  return (
    <section className="settings-sec personas" aria-labelledby="personas-title">
      <div className="row between">
        <h3 id="personas-title">{t('personas.title')}</h3>
        {!adding ? (
          <button type="button" className="btn btn-sm" onClick={() => setAdding(true)}>
            <Icon name="plus" size={14} /> {t('personas.add')}
          </button>
        ) : null}
      </div>
      <p className="muted small">{t('personas.hint')}</p>
      {q.error ? <p className="error-text">{errorText(q.error)}</p> : null}
      {q.data && list.length === 0 && !adding ? <p className="muted small">{t('personas.empty')}</p> : null}
      <ul className="persona-list">
        {list.map((p) => (
          <PersonaRow key={String(p.id)} p={p} />
        ))}
      </ul>
      {adding ? <PersonaForm onDone={() => setAdding(false)} /> : null}
    </section>
  );
}

function PersonaRow({ p }: { p: Persona }) {
  const { t } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  const m = usePersonaMutations();
  const [editing, setEditing] = useState(false);
  if (editing) {
    return (
      <li className="persona-row editing">
        <PersonaForm persona={p} onDone={() => setEditing(false)} />
      </li>
    );
  }
  return (
    <li className="persona-row">
      <label className="persona-avatar" title={t('personas.uploadAvatar')}>
        <Avatar name={p.name} url={p.avatarUrl} size={40} />
        <input
          type="file"
          accept="image/png,image/jpeg,image/webp,image/gif"
          className="visually-hidden"
          aria-label={`${t('personas.uploadAvatar')} · ${p.name}`}
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = '';
            if (file) m.avatar.mutate({ id: p.id, file }, { onSuccess: () => toast.success(t('personas.avatarDone')) });
          }}
        />
      </label>
      <div className="persona-text">
        <div className="persona-name">
          <strong>{p.name}</strong> {p.isDefault ? <span className="badge">{t('personas.default')}</span> : null}
        </div>
        {p.description ? <p className="muted small persona-desc">{p.description}</p> : null}
      </div>
      <div className="persona-actions">
        {!p.isDefault ? (
          <button type="button" className="btn btn-sm btn-ghost" onClick={() => m.update.mutate({ id: p.id, isDefault: true }, { onError: (e) => toast.error(e) })}>
            {t('personas.makeDefault')}
          </button>
        ) : null}
        {p.avatarUrl ? (
          <button type="button" className="icon-btn" aria-label={`${t('personas.removeAvatar')} · ${p.name}`} title={t('personas.removeAvatar')} onClick={() => m.removeAvatar.mutate(p.id)}>
            <Icon name="close" size={16} />
          </button>
        ) : null}
        <button type="button" className="icon-btn" aria-label={`${t('common.edit')} · ${p.name}`} title={t('common.edit')} onClick={() => setEditing(true)}>
          <Icon name="edit" size={16} />
        </button>
        <button
          type="button"
          className="icon-btn"
          aria-label={`${t('common.delete')} · ${p.name}`}
          title={t('common.delete')}
          onClick={async () => {
            if (await confirm(t('personas.confirmDelete', { name: p.name }), { danger: true, confirmLabel: t('common.delete') })) m.remove.mutate(p.id);
          }}
        >
          <Icon name="trash" size={16} />
        </button>
      </div>
    </li>
  );
}

function PersonaForm({ persona, onDone }: { persona?: Persona; onDone: () => void }) {
  const { t } = useI18n();
  const m = usePersonaMutations();
  const [name, setName] = useState(persona?.name ?? '');
  const [description, setDescription] = useState(persona?.description ?? '');
  const mutation = persona ? m.update : m.create;
  const errs = useFieldErrors(mutation.error, ['name', 'description'], `persona-${persona?.id ?? 'new'}`);
  return (
    <form
      className="persona-form stack"
      onSubmit={(e) => {
        e.preventDefault();
        if (!name.trim()) return;
        const body = { name: name.trim(), description: description.trim() };
        if (persona) m.update.mutate({ id: persona.id, ...body }, { onSuccess: onDone });
        else m.create.mutate(body, { onSuccess: onDone });
      }}
    >
      <label className="field">
        <span>{t('personas.name')}</span>
        <input name="personaName" value={name} maxLength={LIMITS.personaName.max} required autoFocus onChange={(e) => setName(e.target.value)} aria-invalid={errs.invalid('name')} aria-describedby={errs.id('name')} />
        {errs.at('name')}
      </label>
      <label className="field">
        <span>{t('personas.description')}</span>
        <textarea name="personaDescription" rows={3} value={description} maxLength={LIMITS.personaDescription.max} onChange={(e) => setDescription(e.target.value)} aria-invalid={errs.invalid('description')} aria-describedby={errs.id('description')} />
        {errs.at('description')}
      </label>
      {errs.rest}
      <div className="row end">
        <button type="button" className="btn btn-sm" onClick={onDone}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="btn btn-primary btn-sm" disabled={mutation.isPending || !name.trim()}>
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
