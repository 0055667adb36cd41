import { LIMITS } from '../../../../../src/shared/limits.js';
import { useState } from 'react';
import { Modal } from '../../../components/Modal.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { Character } from '../../../lib/types.js';
import { useUpdateProfile } from '../api/update-character.js';
import { applyEdits, fieldToText, label, SECTIONS } from '../profile-sections.js';

/** The nine sections as forms, one tab per section; list fields take one item per line. */
export function ProfileEditor({ character, onClose }: { character: Character; onClose: () => void }) {
  const { t, locale } = useI18n();
  const toast = useToast();
  const save = useUpdateProfile(character.id);
  const [tab, setTab] = useState(SECTIONS[0].key);
  const [bio, setBio] = useState(character.biography ?? '');
  const [edits, setEdits] = useState<Record<string, Record<string, string>>>(() =>
    Object.fromEntries(
      SECTIONS.map((s) => [s.key, Object.fromEntries(s.fields.map((f) => [f.key, fieldToText((character.profile?.[s.key] as Record<string, unknown> | undefined)?.[f.key], f.list)]))]),
    ),
  );
  const section = SECTIONS.find((s) => s.key === tab) ?? SECTIONS[0];

  return (
    <Modal
      title={`${t('profile.title')} · ${character.name}`}
      onClose={onClose}
      dismissable={false}
      variant="wide"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={save.isPending}
            onClick={() =>
              save.mutate(
                { profile: applyEdits(character.profile ?? {}, edits), biography: bio !== (character.biography ?? '') ? bio : undefined },
                {
                  onSuccess: () => {
                    toast.success(t('common.saved'));
                    onClose();
                  },
                },
              )
            }
          >
            {t('common.save')}
          </button>
        </>
      }
    >
      <div className="profile-editor">
        <div className="section-tabs" role="tablist" aria-label={t('info.profile')}>
          {SECTIONS.map((s) => (
            <button key={s.key} type="button" role="tab" aria-selected={s.key === tab} className={`tab ${s.key === tab ? 'active' : ''}`} onClick={() => setTab(s.key)}>
              {label(s, locale)}
            </button>
          ))}
        </div>
        <div className="stack" role="tabpanel" aria-label={label(section, locale)}>
          {section.key === 'identity' ? (
            <label className="field">
              <span>{t('profile.biography')}</span>
              <textarea rows={3} maxLength={LIMITS.biography.max} value={bio} onChange={(e) => setBio(e.target.value)} />
            </label>
          ) : null}
          {section.fields.map((f) => (
            <label key={f.key} className="field">
              <span>
                {label(f, locale)}
                {f.list ? <span className="muted small"> · {t('profile.listHint')}</span> : null}
              </span>
              <textarea
                rows={f.list ? 4 : 2}
                value={edits[section.key][f.key]}
                onChange={(e) => setEdits((x) => ({ ...x, [section.key]: { ...x[section.key], [f.key]: e.target.value } }))}
              />
            </label>
          ))}
        </div>
      </div>
    </Modal>
  );
}
