import { useI18n } from '../i18n/index.js';
import type { Id, Persona } from '../lib/types.js';

/** Who the user plays in a chat or group: one of their personas, or (empty value) the default one. */
export function PersonaSelect({ personas, value, onChange, disabled }: { personas: Persona[]; value: Id | null | undefined; onChange: (personaId: Id | null) => void; disabled?: boolean }) {
  const { t } = useI18n();
  const fallback = personas.find((p) => p.isDefault);
  return (
    <select aria-label={t('persona.label')} title={t('persona.label')} value={value == null ? '' : String(value)} disabled={disabled} onChange={(e) => onChange(personas.find((p) => String(p.id) === e.target.value)?.id ?? null)}>
      <option value="">{fallback ? t('persona.default', { name: fallback.name }) : t('persona.none')}</option>
      {personas.map((p) => (
        <option key={String(p.id)} value={String(p.id)}>
          {p.name}
        </option>
      ))}
    </select>
  );
}
