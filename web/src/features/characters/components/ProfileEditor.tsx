import { LIMITS } from '../../../../../src/shared/limits.js';
import { useState } from 'react';
import { Modal } from '../../../components/Modal.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { CardFields, Character } from '../../../lib/types.js';
import { Icon } from '../../../components/Icon.js';
import { useUpdateProfile } from '../api/update-character.js';
import { applyEdits, fieldToText, label, SECTIONS } from '../profile-sections.js';

/** The nine sections as forms, one tab per section; list fields take one item per line. */
export function ProfileEditor({ character, onClose }: { character: Character; onClose: () => void }) {
  const { t, locale } = useI18n();
  const toast = useToast();
  const save = useUpdateProfile(character.id);
  // An imported card opens on its own fields (greetings, prompts), the rest on the first section.
  const [tab, setTab] = useState(character.source === 'card' ? CARD_TAB : SECTIONS[0].key);
  const initialCard: CardFields = character.card ?? { systemPrompt: '', postHistoryInstructions: '', alternateGreetings: [] };
  const [card, setCard] = useState<CardFields>(initialCard);
  const cardChanged = JSON.stringify(card) !== JSON.stringify(initialCard);
  const [bio, setBio] = useState(character.biography ?? '');
  const [edits, setEdits] = useState<Record<string, Record<string, string>>>(() =>
    Object.fromEntries(
      SECTIONS.map((s) => [s.key, Object.fromEntries(s.fields.map((f) => [f.key, fieldToText((character.profile?.[s.key] as Record<string, unknown> | undefined)?.[f.key], f.list)]))]),
    ),
  );
  const section = SECTIONS.find((s) => s.key === tab) ?? SECTIONS[0];
  const edit = (sectionKey: string, fieldKey: string) => ({
    value: edits[sectionKey]?.[fieldKey] ?? '',
    onChange: (e: { target: { value: string } }) => setEdits((x) => ({ ...x, [sectionKey]: { ...x[sectionKey], [fieldKey]: e.target.value } })),
  });
  const fieldLabel = (sectionKey: string, fieldKey: string) => {
    const f = SECTIONS.find((s) => s.key === sectionKey)?.fields.find((x) => x.key === fieldKey);
    return f ? label(f, locale) : fieldKey;
  };

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
                { profile: applyEdits(character.profile ?? {}, edits), biography: bio !== (character.biography ?? '') ? bio : undefined, card: cardChanged ? card : undefined },
                {
                  onSuccess: () => {
                    toast.success((tr) => tr('common.saved'));
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
          <button type="button" role="tab" aria-selected={tab === CARD_TAB} className={`tab ${tab === CARD_TAB ? 'active' : ''}`} onClick={() => setTab(CARD_TAB)}>
            {t('profile.card')}
          </button>
        </div>
        {tab === CARD_TAB ? (
          <div className="stack" role="tabpanel" aria-label={t('profile.card')}>
            <p className="muted small">{t('profile.cardHint')}</p>
            <label className="field">
              <span>{fieldLabel('dialogue', 'greeting')} · first_mes</span>
              <textarea rows={4} {...edit('dialogue', 'greeting')} />
            </label>
            <fieldset className="field greeting-list">
              <legend>
                {t('profile.alternateGreetings')} · alternate_greetings <span className="muted small field-hint">{t('profile.alternateHint')}</span>
              </legend>
              {card.alternateGreetings.map((g, i) => (
                <div key={i} className="greeting-item">
                  <textarea rows={3} aria-label={`${t('profile.alternateGreetings')} ${i + 1}`} value={g} onChange={(e) => setCard((c) => ({ ...c, alternateGreetings: c.alternateGreetings.map((x, j) => (j === i ? e.target.value : x)) }))} />
                  <button type="button" className="icon-btn" aria-label={`${t('profile.removeGreeting')} ${i + 1}`} title={t('profile.removeGreeting')} onClick={() => setCard((c) => ({ ...c, alternateGreetings: c.alternateGreetings.filter((_, j) => j !== i) }))}>
                    <Icon name="trash" size={16} />
                  </button>
                </div>
              ))}
              <div>
                <button type="button" className="btn btn-sm" onClick={() => setCard((c) => ({ ...c, alternateGreetings: [...c.alternateGreetings, ''] }))}>
                  <Icon name="plus" size={14} /> {t('profile.addGreeting')}
                </button>
              </div>
            </fieldset>
            <label className="field">
              <span>
                {fieldLabel('dialogue', 'exampleDialogue')} · mes_example <span className="muted small field-hint">{t('profile.exampleHint')}</span>
              </span>
              <textarea rows={5} {...edit('dialogue', 'exampleDialogue')} />
            </label>
            <label className="field">
              <span>
                {fieldLabel('world', 'worldview')} · scenario <span className="muted small field-hint">{t('profile.scenarioHint')}</span>
              </span>
              <textarea rows={3} {...edit('world', 'worldview')} />
            </label>
            <label className="field">
              <span>
                {fieldLabel('personality', 'traits')} · personality <span className="muted small field-hint">{t('profile.personalityHint')}</span>
              </span>
              <textarea rows={3} {...edit('personality', 'traits')} />
            </label>
            <label className="field">
              <span>
                {t('profile.systemPrompt')} · system_prompt <span className="muted small field-hint">{t('profile.systemPromptHint')}</span>
              </span>
              <textarea rows={4} value={card.systemPrompt} onChange={(e) => setCard((c) => ({ ...c, systemPrompt: e.target.value }))} />
            </label>
            <label className="field">
              <span>
                {t('profile.postHistory')} · post_history_instructions <span className="muted small field-hint">{t('profile.postHistoryHint')}</span>
              </span>
              <textarea rows={3} value={card.postHistoryInstructions} onChange={(e) => setCard((c) => ({ ...c, postHistoryInstructions: e.target.value }))} />
            </label>
          </div>
        ) : (
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
        )}
      </div>
    </Modal>
  );
}

/** The tab of the card's own fields (beside the nine sections). */
const CARD_TAB = 'card';
