import { useState } from 'react';
import { useI18n } from '../../../i18n/index.js';
import { useFeedbackInbox, useFeedbackUpdate } from '../api/console.js';

export const FEEDBACK_STATUSES = ['new', 'in_progress', 'resolved', 'closed'] as const;

/** The feedback inbox: filter by status, reply, move along. */
export function FeedbackPanel() {
  const { t, errorText } = useI18n();
  const [status, setStatus] = useState<string>('new');
  const inbox = useFeedbackInbox(status);
  const update = useFeedbackUpdate();
  const [replies, setReplies] = useState<Record<number, string>>({});
  return (
    <div>
      <div role="tablist" className="tabs" aria-label={t('console.status')}>
        {FEEDBACK_STATUSES.map((s) => (
          <button key={s} type="button" role="tab" aria-selected={status === s} className={`tab ${status === s ? 'active' : ''}`} onClick={() => setStatus(s)}>
            {t(`feedback.status.${s}`)} ({inbox.data?.byStatus[s] ?? 0})
          </button>
        ))}
      </div>
      {inbox.error || update.error ? <p className="error-text">{errorText(inbox.error ?? update.error)}</p> : null}
      {inbox.data?.items.length === 0 ? <p className="muted">{t('console.empty')}</p> : null}
      {inbox.data?.items.map((f) => (
        <article key={f.id} className="card" style={{ margin: '12px 0', padding: 12 }}>
          <header className="row between">
            <strong>{f.title}</strong>
            <span className="muted small">
              {f.username} · {t(`feedback.category.${f.category}` as never)} · {new Date(f.createdAt).toLocaleString()}
              {f.characterId ? ` · #${f.characterId}` : ''}
              {f.messageId ? ` · msg ${f.messageId}` : ''}
            </span>
          </header>
          <p style={{ whiteSpace: 'pre-wrap' }}>{f.content}</p>
          {f.reply ? <p className="muted">↳ {f.reply}</p> : null}
          <div className="row" style={{ gap: 8 }}>
            <input aria-label={t('feedback.reply')} placeholder={t('feedback.reply')} value={replies[f.id] ?? ''} onChange={(e) => setReplies({ ...replies, [f.id]: e.target.value })} style={{ flex: 1 }} />
            <button type="button" className="btn btn-sm btn-primary" disabled={!replies[f.id]?.trim()} onClick={() => update.mutate({ id: f.id, reply: replies[f.id], status: f.status === 'new' ? 'in_progress' : undefined }, { onSuccess: () => setReplies({ ...replies, [f.id]: '' }) })}>
              {t('feedback.sendReply')}
            </button>
            <select aria-label={t('console.status')} value={f.status} onChange={(e) => update.mutate({ id: f.id, status: e.target.value })}>
              {FEEDBACK_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {t(`feedback.status.${s}`)}
                </option>
              ))}
            </select>
          </div>
        </article>
      ))}
    </div>
  );
}
