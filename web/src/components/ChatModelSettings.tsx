/**
 * A character's or a group's own model, temperature, reply length and context size. Empty fields
 * follow the user's settings; the server checks the bounds again.
 */
import { useEffect, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api.js';
import type { Settings } from '../lib/types.js';
import { useI18n } from '../i18n/index.js';
import { CHAT_LLM_BOUNDS, useChatLlm, useSaveChatLlm, type ChatLlmSettings } from '../lib/models.js';
import { ModelSelect } from './ModelSelect.js';
import { useToast } from './Toast.js';

type NumberField = 'temperature' | 'maxTokens' | 'contextTokens';

export function ChatModelSettings({ path }: { path: string }) {
  const { t, errorText } = useI18n();
  // The user's own default model, to show what "your default" is (same key as the settings feature's query).
  const settings = useQuery({ queryKey: ['settings'], queryFn: () => api.get<Settings>('/api/me/settings') });
  const userDefault = settings.data?.chatModel;
  const toast = useToast();
  const q = useChatLlm(path);
  const save = useSaveChatLlm(path);
  const [form, setForm] = useState<ChatLlmSettings | null>(null);
  useEffect(() => {
    if (q.data) setForm(q.data);
  }, [q.data]);
  if (q.error) return <p className="error-text small">{errorText(q.error)}</p>;
  if (!form) return null;

  const num = (key: NumberField, label: string, step: number) => {
    const b = CHAT_LLM_BOUNDS[key];
    return (
      <label className="field">
        <span>
          {label} <span className="muted small">({t('settings.range', { min: b.min, max: b.max })})</span>
        </span>
        <input
          type="number"
          name={key}
          min={b.min}
          max={b.max}
          step={step}
          placeholder={t('models.followDefault')}
          value={form[key] ?? ''}
          onChange={(e) => setForm({ ...form, [key]: e.target.value === '' ? null : Number(e.target.value) })}
        />
      </label>
    );
  };

  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(form, { onSuccess: () => toast.success((tr) => tr('common.saved')) });
      }}
    >
      <ModelSelect name="model" label={t('models.model')} defaultLabel={t('models.yourDefault')} defaultKey={userDefault ?? undefined} value={form.model} onChange={(model) => setForm({ ...form, model })} />
      <div className="grid3">
        {num('temperature', t('models.temperature'), 0.1)}
        {num('maxTokens', t('models.maxTokens'), 1)}
        {num('contextTokens', t('models.contextTokens'), 100)}
      </div>
      {save.error ? (
        <p className="error-text small" role="alert">
          {errorText(save.error)}
        </p>
      ) : null}
      <div className="row end">
        <button type="submit" className="btn btn-sm btn-primary" disabled={save.isPending}>
          {t('common.save')}
        </button>
      </div>
    </form>
  );
}
