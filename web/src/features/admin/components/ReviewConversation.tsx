import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { InspectDialog } from '../../../components/InspectDialog.js';
import { useI18n } from '../../../i18n/index.js';
import { api, seg } from '../../../lib/api.js';

interface ReviewedConversation {
  id: number;
  kind: string;
  messages: { id: number; role: string; speaker: string | null; content: string; status: string; createdAt: number }[];
}

/** Any user's conversation, read-only (each read is audited), with "what was sent" on every reply. */
export function ReviewConversation({ id, username }: { id: number; username: string }) {
  const { t, errorText } = useI18n();
  const q = useQuery({ queryKey: ['admin', 'review', 'conversation', id], queryFn: () => api.get<ReviewedConversation>(`/api/admin/conversations/${seg(id)}`) });
  const [inspecting, setInspecting] = useState<number | null>(null);
  if (q.error) return <p className="error-text">{errorText(q.error)}</p>;
  if (!q.data) return <p className="muted">{t('app.loading')}</p>;
  return (
    <div className="review-conversation" aria-label={t('console.conversation')}>
      {q.data.messages.map((m) => (
        <div key={m.id} className="eval-case">
          <div className="row" style={{ gap: 8 }}>
            <strong className="small">{m.role === 'user' ? username : (m.speaker ?? '—')}</strong>
            <span className="muted small">{new Date(m.createdAt).toLocaleString()}</span>
            <span className="grow" />
            {m.role === 'assistant' ? (
              <button type="button" className="btn btn-sm btn-ghost" onClick={() => setInspecting(m.id)}>
                {t('inspect.action')}
              </button>
            ) : null}
          </div>
          <pre>{m.content}</pre>
        </div>
      ))}
      {inspecting !== null ? <InspectDialog messageId={inspecting} asAdmin onClose={() => setInspecting(null)} /> : null}
    </div>
  );
}
