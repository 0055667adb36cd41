/** A model picker over the offered models, grouped by provider; '' means "the default". */
import { useI18n } from '../i18n/index.js';
import { modelLabel, useModelChoices } from '../lib/models.js';

export interface ModelSelectProps {
  value: string | null;
  onChange: (key: string | null) => void;
  label: string;
  /** What '' stands for, e.g. "Your default" or "Server default". */
  defaultLabel: string;
  /** Shown after defaultLabel: the model the default resolves to. */
  defaultKey?: string;
  name?: string;
}

export function ModelSelect({ value, onChange, label, defaultLabel, defaultKey, name }: ModelSelectProps) {
  const { t } = useI18n();
  const q = useModelChoices();
  const items = q.data?.items ?? [];
  const providers = [...new Set(items.map((c) => c.provider))];
  const known = value === null || items.some((c) => c.key === value);
  const resolved = defaultKey ?? q.data?.chatDefault;
  return (
    <label className="field">
      <span>{label}</span>
      <select name={name} value={value ?? ''} onChange={(e) => onChange(e.target.value || null)}>
        <option value="">{resolved ? `${defaultLabel} (${modelLabel(items, resolved)})` : defaultLabel}</option>
        {providers.map((p) => (
          <optgroup key={p} label={p}>
            {items
              .filter((c) => c.provider === p)
              .map((c) => (
                <option key={c.key} value={c.key}>
                  {c.displayName}
                  {c.contextLength ? ` · ${Math.round(c.contextLength / 1000)}k` : ''}
                </option>
              ))}
          </optgroup>
        ))}
        {!known ? <option value={value!}>{t('models.unavailable', { name: value! })}</option> : null}
      </select>
    </label>
  );
}
