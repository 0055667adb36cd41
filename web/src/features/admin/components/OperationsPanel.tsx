import { Fragment } from 'react';
import { useI18n } from '../../../i18n/index.js';
import { useToast } from '../../../components/Toast.js';
import { useAudit, useOperations, useRetryJob } from '../api/console.js';

/** Cache hit rate, DB pool, queues, failed jobs, breakers; and the audit log of admin actions. */
export function OperationsPanel() {
  const { t, errorText } = useI18n();
  const ops = useOperations();
  const audit = useAudit();
  const retry = useRetryJob();
  const toast = useToast();
  const o = ops.data;
  return (
    <div>
      {ops.error ? <p className="error-text">{errorText(ops.error)}</p> : null}
      {o ? (
        <dl className="ops" style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '4px 16px' }}>
          <dt>{t('console.cacheHitRate')}</dt>
          <dd>{o.cache.hitRate === null ? '—' : `${(o.cache.hitRate * 100).toFixed(1)}% (${o.cache.hits}/${o.cache.hits + o.cache.misses})`}</dd>
          <dt>{t('console.dbPool')}</dt>
          <dd>{t('console.dbPoolValue', { inUse: o.dbPool.total - o.dbPool.idle, total: o.dbPool.total, waiting: o.dbPool.waiting })}</dd>
          {o.queues.map((q) => (
            <Fragment key={q.name}>
              <dt>
                {t('console.queue')} {q.name}
              </dt>
              <dd>{t('console.queueValue', { waiting: q.waiting, running: q.running })}</dd>
            </Fragment>
          ))}
          <dt>{t('console.breakers')}</dt>
          <dd>{o.breakers.length ? o.breakers.map((b) => `${b.model}: ${b.state}`).join(', ') : t('console.breakersQuiet')}</dd>
          <dt>{t('console.failedJobs')}</dt>
          <dd>{o.failedJobs.length}</dd>
        </dl>
      ) : null}
      {o ? (
        <>
          <h3>{t('console.failedJobs')}</h3>
          {o.failedJobs.length ? (
            <div className="table-wrap">
              <table className="table" aria-label={t('console.failedJobs')}>
                <thead>
                  <tr>
                    <th scope="col">{t('console.job')}</th>
                    <th scope="col">{t('console.error')}</th>
                    <th scope="col">{t('console.time')}</th>
                    <th scope="col" />
                  </tr>
                </thead>
                <tbody>
                  {o.failedJobs.map((j) => (
                    <tr key={j.id}>
                      <td data-label={t('console.job')}>
                        {j.kind} <span className="muted small">{j.id.slice(0, 8)}</span>
                      </td>
                      <td className="small" data-label={t('console.error')}>
                        {j.errorCode ?? ''} {j.errorMessage ?? ''}
                      </td>
                      <td className="small muted" data-label={t('console.time')}>
                        {new Date(j.updatedAt).toLocaleString()}
                      </td>
                      <td>
                        {j.retryable ? (
                          <button type="button" className="btn btn-sm" disabled={retry.isPending} onClick={() => retry.mutate(j.id, { onSuccess: () => toast.success(t('console.retried')), onError: toast.error })}>
                            {t('console.retry')}
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="muted">{t('console.noFailedJobs')}</p>
          )}
        </>
      ) : null}
      <h3>{t('console.audit')}</h3>
      <table className="table">
        <tbody>
          {audit.data?.items.map((a) => (
            <tr key={a.id}>
              <td>{new Date(a.createdAt).toLocaleString()}</td>
              <td>{a.actorName ?? '—'}</td>
              <td>{a.action}</td>
              <td>{a.subject}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
