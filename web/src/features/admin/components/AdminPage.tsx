import { useState, type ReactNode } from 'react';
import { useI18n } from '../../../i18n/index.js';
import { useAdminUsers } from '../api/get-users.js';

const PAGE = 20;

/** Users, paginated. On narrow screens the table becomes cards (CSS). */
export function AdminPage({ leading }: { leading?: ReactNode }) {
  const { t, errorText, formatDate } = useI18n();
  const [offset, setOffset] = useState(0);
  const q = useAdminUsers(PAGE, offset);
  const total = q.data?.total ?? 0;
  return (
    <section className="conversation admin" aria-label={t('admin.title')}>
      <header className="conv-head">
        {leading}
        <h1 className="conv-title">{t('admin.title')}</h1>
      </header>
      <div className="admin-body">
        {q.error ? (
          <p className="error-text" role="alert">
            {errorText(q.error)}
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
                </tr>
              </thead>
              <tbody>
                {q.data.items.map((u) => (
                  <tr key={u.id}>
                    <td data-label={t('admin.id')}>{u.id}</td>
                    <td data-label={t('admin.username')}>{u.username}</td>
                    <td data-label={t('admin.role')}>{u.isAdmin ? <span className="badge">{t('admin.admin')}</span> : t('admin.user')}</td>
                    <td data-label={t('admin.characters')}>{u.characterCount}</td>
                    <td data-label={t('admin.createdAt')}>{formatDate(u.createdAt, true)}</td>
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
      </div>
    </section>
  );
}
