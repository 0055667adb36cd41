import { useI18n, type MessageKey } from '../../../i18n/index.js';
import { useToast } from '../../../components/Toast.js';
import { useActivateVersion, useComparison, usePromptVersions } from '../api/evaluations.js';
import { runLabel } from './RunReport.js';

const fmt = (n: number | null) => (n === null ? '—' : String(n));
function Delta({ value }: { value: number | null }) {
  if (value === null) return <span className="muted">—</span>;
  return <span className={value > 0 ? 'delta-up' : value < 0 ? 'delta-down' : 'muted'}>{value > 0 ? `+${value}` : value}</span>;
}

/** Two runs side by side: per-dimension means with deltas (B − A), then every case. */
export function RunCompare({ a, b }: { a: number; b: number }) {
  const { t, errorText } = useI18n();
  const cmp = useComparison(a, b);
  const toast = useToast();
  const activate = useActivateVersion();
  const versions = usePromptVersions(cmp.data?.a.run.promptVersion?.key);
  const activeId = versions.data?.versions.find((v) => v.active)?.id;
  if (cmp.error) return <p className="error-text">{errorText(cmp.error)}</p>;
  const c = cmp.data;
  if (!c) return <p className="muted">{t('app.loading')}</p>;
  return (
    <section aria-label={t('evals.compare')}>
      <div className="table-wrap">
        <table className="table" aria-label={t('evals.dimension')}>
          <thead>
            <tr>
              <th scope="col">{t('evals.dimension')}</th>
              <th scope="col">A {runLabel(c.a.run)}</th>
              <th scope="col">B {runLabel(c.b.run)}</th>
              <th scope="col">{t('evals.delta')}</th>
            </tr>
          </thead>
          <tbody>
            {c.dimensions.map((d) => (
              <tr key={d.key}>
                <td data-label={t('evals.dimension')}>
                  {d.label} <span className="muted small">{d.key}</span>
                </td>
                <td data-label="A">{fmt(d.a)}</td>
                <td data-label="B">{fmt(d.b)}</td>
                <td data-label={t('evals.delta')}>
                  <Delta value={d.delta} />
                </td>
              </tr>
            ))}
            <tr>
              <th scope="row">{t('evals.average')}</th>
              <td data-label="A">{fmt(c.a.summary.averageScore)}</td>
              <td data-label="B">{fmt(c.b.summary.averageScore)}</td>
              <td data-label={t('evals.delta')}>
                <Delta value={c.averageDelta} />
              </td>
            </tr>
          </tbody>
        </table>
      </div>
      <div className="row" style={{ gap: 8, flexWrap: 'wrap', margin: '8px 0' }}>
        {[c.a.run, c.b.run].map((run, i) =>
          run.promptVersion ? (
            run.promptVersion.id === activeId ? (
              <span key={i} className="badge">
                {i ? 'B' : 'A'} v{run.promptVersion.version} {t('evals.activeMark')}
              </span>
            ) : (
              <button key={i} type="button" className="btn btn-sm" disabled={activate.isPending} onClick={() => activate.mutate(run.promptVersion!.id, { onSuccess: () => toast.success(t('evals.activated', { version: run.promptVersion!.version })), onError: toast.error })}>
                {t('evals.activateVersion', { side: i ? 'B' : 'A', version: run.promptVersion.version })}
              </button>
            )
          ) : null,
        )}
      </div>
      <h3>{t('evals.cases')}</h3>
      <div className="table-wrap">
        <table className="table" aria-label={t('evals.cases')}>
          <thead>
            <tr>
              <th scope="col">{t('evals.case')}</th>
              <th scope="col">A</th>
              <th scope="col">B</th>
              <th scope="col">{t('evals.delta')}</th>
            </tr>
          </thead>
          <tbody>
            {c.cases.map((row) => (
              <tr key={row.testCaseId}>
                <td data-label={t('evals.case')}>{row.name ?? `#${row.testCaseId}`}</td>
                {[row.a, row.b].map((side, i) => (
                  <td key={i} data-label={i ? 'B' : 'A'}>{side ? `${fmt(side.score)} · ${t(`evals.status.${side.status}` as MessageKey)}` : '—'}</td>
                ))}
                <td data-label={t('evals.delta')}>
                  <Delta value={row.delta} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
