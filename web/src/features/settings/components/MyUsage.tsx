import { useQuery } from '@tanstack/react-query';
import { useI18n } from '../../../i18n/index.js';
import { api, qs } from '../../../lib/api.js';

interface Report {
  byModel: { model: string; requests: number; tokensIn: number; tokensOut: number; cost: number | null }[];
}

/** The signed-in user's own token usage, per model (shown in settings). */
export function MyUsage() {
  const { t, errorText } = useI18n();
  const q = useQuery({ queryKey: ['me', 'usage'], queryFn: () => api.get<Report>(`/api/me/usage${qs({ limit: 1 })}`) });
  return (
    <section className="settings-sec">
      <h3>{t('console.myUsage')}</h3>
      {q.error ? <p className="error-text">{errorText(q.error)}</p> : null}
      {q.data && q.data.byModel.length === 0 ? <p className="muted small">{t('console.empty')}</p> : null}
      {q.data?.byModel.map((m) => (
        <p key={m.model} className="small">
          {t('console.myUsageLine', { model: m.model, requests: m.requests, tokens: m.tokensIn + m.tokensOut })}
          {m.cost !== null ? ` · $${m.cost.toFixed(4)}` : ''}
        </p>
      ))}
    </section>
  );
}
