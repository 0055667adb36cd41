import { useI18n } from '../../../i18n/index.js';
import { useMeta } from '../../../lib/meta.js';

/** The server's models, with "default" (empty) first. */
export function ModelSelect({ value, onChange }: { value: string; onChange: (model: string) => void }) {
  const { t } = useI18n();
  const models = useMeta().data?.models ?? [];
  return (
    <label className="field">
      <span>{t('evals.model')}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{t('evals.defaultModel')}</option>
        {models.map((m) => (
          <option key={m} value={m}>
            {m}
          </option>
        ))}
      </select>
    </label>
  );
}
