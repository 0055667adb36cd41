import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Icon } from '../../components/Icon.js';
import { Modal } from '../../components/Modal.js';
import { useI18n } from '../../i18n/index.js';
import { api, seg } from '../../lib/api.js';

const CATEGORIES = ['bug', 'suggestion', 'character', 'reply_quality', 'other'] as const;

interface MyFeedback {
  id: number;
  category: string;
  title: string;
  content: string;
  status: string;
  reply: string | null;
  unreadReply: boolean;
  createdAt: number;
}

const key = ['feedback', 'mine'] as const;

/** The sidebar's feedback button: a badge for unread replies; the dialog sends feedback and shows the history. */
export function FeedbackButton() {
  const { t, errorText } = useI18n();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const mine = useQuery({ queryKey: key, queryFn: () => api.get<{ items: MyFeedback[]; unread: number }>('/api/feedback'), refetchInterval: 60_000 });
  const [category, setCategory] = useState<string>('suggestion');
  const [content, setContent] = useState('');
  const send = useMutation({
    mutationFn: () => api.post('/api/feedback', { category, content }),
    onSuccess: () => {
      setContent('');
      void qc.invalidateQueries({ queryKey: key });
    },
  });
  const read = useMutation({ mutationFn: (id: number) => api.post(`/api/feedback/${seg(id)}/read`), onSuccess: () => void qc.invalidateQueries({ queryKey: key }) });
  const unread = mine.data?.unread ?? 0;
  return (
    <>
      <button type="button" className="icon-btn" aria-label={unread ? t('feedback.titleUnread', { n: unread }) : t('feedback.title')} title={t('feedback.title')} onClick={() => setOpen(true)}>
        <Icon name="chat" />
        {unread ? <span className="badge">{unread}</span> : null}
      </button>
      {open ? (
        <Modal title={t('feedback.title')} onClose={() => setOpen(false)}>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              if (content.trim()) send.mutate();
            }}
          >
            <label className="field">
              <span>{t('feedback.category')}</span>
              <select value={category} onChange={(e) => setCategory(e.target.value)}>
                {CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {t(`feedback.category.${c}`)}
                  </option>
                ))}
              </select>
            </label>
            <label className="field">
              <span>{t('feedback.content')}</span>
              <textarea value={content} onChange={(e) => setContent(e.target.value)} rows={4} maxLength={5000} />
            </label>
            {send.error ? <p className="error-text">{errorText(send.error)}</p> : null}
            {send.isSuccess ? <p className="muted small">{t('feedback.sent')}</p> : null}
            <button type="submit" className="btn btn-primary" disabled={!content.trim() || send.isPending}>
              {t('feedback.send')}
            </button>
          </form>
          <h3>{t('feedback.history')}</h3>
          {mine.data?.items.length === 0 ? <p className="muted">{t('console.empty')}</p> : null}
          {mine.data?.items.map((f) => (
            <article key={f.id} className="card" style={{ margin: '8px 0', padding: 8 }}>
              <div className="row between small">
                <strong>{f.title}</strong>
                <span className="muted">{t(`feedback.status.${f.status}` as never)}</span>
              </div>
              {f.reply ? (
                <p>
                  ↳ {f.reply}{' '}
                  {f.unreadReply ? (
                    <button type="button" className="btn btn-sm" onClick={() => read.mutate(f.id)}>
                      {t('feedback.markRead')}
                    </button>
                  ) : null}
                </p>
              ) : null}
            </article>
          ))}
        </Modal>
      ) : null}
    </>
  );
}
