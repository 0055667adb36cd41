import { useState } from 'react';
import { useI18n } from '../../../i18n/index.js';
import { api, seg } from '../../../lib/api.js';
import type { AdminUser } from '../../../lib/types.js';
import { useAdminUsers } from '../api/get-users.js';
import { useAccountActions } from '../api/console.js';
import { ReviewConversation } from './ReviewConversation.js';

const PAGE = 20;

interface Review {
  characters: { id: number; name: string }[];
  groups: { id: number; name: string }[];
  conversations: { id: number; kind: string; title: string; messageCount: number }[];
}

/** Users, paginated, with account actions and a read-only (audited) look at what they own. On narrow screens the table becomes cards (CSS). */
export function UsersPanel() {
  const { t, errorText } = useI18n();
  const [offset, setOffset] = useState(0);
  const q = useAdminUsers(PAGE, offset);
  const act = useAccountActions();
  const [review, setReview] = useState<{ username: string; data: Review } | null>(null);
  const [conversation, setConversation] = useState<number | null>(null);
  const total = q.data?.total ?? 0;
  const error = q.error ?? act.disable.error ?? act.role.error ?? act.remove.error;
  return (
    <>
      {error ? (
        <p className="error-text" role="alert">
          {errorText(error)}
        </p>
      ) : null}
      {q.data ? (
        <>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('admin.id')}</th>
                <th scope="col">{t('admin.username')}</th>
                <th scope="col">{t('admin.role')}</th>
                <th scope="col">{t('admin.characters')}</th>
                <th scope="col">{t('admin.createdAt')}</th>
                <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {q.data.items.map((u: AdminUser & { disabled?: boolean }) => (
                <tr key={u.id}>
                  <td data-label={t('admin.id')}>{u.id}</td>
                  <td data-label={t('admin.username')}>
                    {u.username} {u.disabled ? <span className="badge">{t('console.disabled')}</span> : null}
                  </td>
                  <td data-label={t('admin.role')}>{u.isAdmin ? <span className="badge">{t('admin.admin')}</span> : t('admin.user')}</td>
                  <td data-label={t('admin.characters')}>{u.characterCount}</td>
                  <td data-label={t('admin.createdAt')}>{new Date(u.createdAt).toLocaleString()}</td>
                  <td className="row" style={{ gap: 4, flexWrap: 'wrap' }}>
                    <button type="button" className="btn btn-sm" onClick={() => void api.get<Review>(`/api/admin/users/${seg(u.id)}/review`).then((data) => setReview({ username: u.username, data }))}>
                      {t('console.review')}
                    </button>
                    <button type="button" className="btn btn-sm" onClick={() => act.disable.mutate({ id: Number(u.id), disabled: !u.disabled })}>
                      {u.disabled ? t('console.enable') : t('console.disable')}
                    </button>
                    <button type="button" className="btn btn-sm" onClick={() => act.role.mutate({ id: Number(u.id), isAdmin: !u.isAdmin })}>
                      {u.isAdmin ? t('console.demote') : t('console.promote')}
                    </button>
                    <button type="button" className="btn btn-sm btn-danger" onClick={() => window.confirm(t('console.deleteConfirm', { name: u.username })) && act.remove.mutate(Number(u.id))}>
                      {t('common.delete')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <nav className="row between pager" aria-label="pagination">
            <button type="button" className="btn btn-sm" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
              {t('admin.prev')}
            </button>
            <span className="muted small">{t('admin.page', { from: total ? offset + 1 : 0, to: Math.min(offset + PAGE, total), total })}</span>
            <button type="button" className="btn btn-sm" disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
              {t('admin.next')}
            </button>
          </nav>
        </>
      ) : (
        !q.error && <p className="muted">{t('app.loading')}</p>
      )}
      {review ? (
        <section aria-label={t('console.review')}>
          <h3>
            {t('console.review')}: {review.username} <span className="muted small">({t('console.audited')})</span>
          </h3>
          <p>
            {t('admin.characters')}: {review.data.characters.map((c) => c.name).join('、') || '—'}
          </p>
          <p>
            {t('nav.groups')}: {review.data.groups.map((g) => g.name).join('、') || '—'}
          </p>
          <ul>
            {review.data.conversations.map((c) => (
              <li key={c.id}>
                <button type="button" className="btn btn-sm btn-ghost" aria-expanded={conversation === c.id} onClick={() => setConversation(conversation === c.id ? null : c.id)}>
                  {c.kind} · {c.title} · {c.messageCount}
                </button>
                {conversation === c.id ? <ReviewConversation id={c.id} username={review.username} /> : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}
