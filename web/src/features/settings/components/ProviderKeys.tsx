/** Your own keys, for providers whose admin allows them: only your calls use them. Hidden when none allows it. */
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import { api } from '../../../lib/api.js';

interface ProviderKey {
  providerId: number;
  name: string;
  hasKey: boolean;
  apiKeyHint: string | null;
}

const key = ['me', 'provider-keys'] as const;

export function ProviderKeys() {
  const { t } = useI18n();
  const q = useQuery({ queryKey: key, queryFn: () => api.get<{ items: ProviderKey[] }>('/api/me/provider-keys') });
  if (!q.data?.items.length) return null;
  return (
    <section className="settings-sec">
      <h3>{t('providerKeys.title')}</h3>
      <p className="muted small">{t('providerKeys.hint')}</p>
      {q.data.items.map((p) => (
        <KeyRow key={p.providerId} p={p} />
      ))}
    </section>
  );
}

function KeyRow({ p }: { p: ProviderKey }) {
  const { t } = useI18n();
  const toast = useToast();
  const qc = useQueryClient();
  const [value, setValue] = useState('');
  const put = useMutation({
    mutationFn: (apiKey: string | null) => api.put('/api/me/provider-keys', { providerId: p.providerId, apiKey }),
    onSuccess: () => {
      setValue('');
      toast.success((tr) => tr('common.saved'));
      return qc.invalidateQueries({ queryKey: key });
    },
  });
  return (
    <form
      className="row"
      style={{ gap: 6, flexWrap: 'wrap', marginBottom: 6 }}
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) put.mutate(value.trim());
      }}
    >
      <strong style={{ minWidth: 100 }}>{p.name}</strong>
      <input
        type="password"
        autoComplete="off"
        aria-label={t('providerKeys.key', { name: p.name })}
        placeholder={p.hasKey ? t('providers.keepKey', { hint: p.apiKeyHint ?? '' }) : t('providerKeys.placeholder')}
        value={value}
        onChange={(e) => setValue(e.target.value)}
      />
      <button type="submit" className="btn btn-sm" disabled={!value.trim() || put.isPending}>
        {t('common.save')}
      </button>
      {p.hasKey ? (
        <button type="button" className="btn btn-sm btn-ghost" disabled={put.isPending} onClick={() => put.mutate(null)}>
          {t('providerKeys.remove')}
        </button>
      ) : null}
    </form>
  );
}
