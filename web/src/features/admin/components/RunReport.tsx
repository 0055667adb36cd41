import { useI18n, type MessageKey } from '../../../i18n/index.js';
import { isFinished, useReport, useRunMutations, useRunProgress, type CaseResult, type Dimension, type Run } from '../api/evaluations.js';

export const runLabel = (r: Pick<Run, 'id' | 'note' | 'promptVersion'>) => `#${r.id}${r.promptVersion ? ` v${r.promptVersion.version}` : ''}${r.note ? ` · ${r.note}` : ''}`;

export function StateBadge({ state }: { state: Run['state'] }) {
  const { t } = useI18n();
  return <span className={`badge status-${state === 'done' ? 'passed' : state === 'failed' ? 'error' : ''}`}>{t(`evals.state.${state}` as MessageKey)}</span>;
}

/** One run: progress while it goes (over SSE), the summary, per-dimension means, and every case with its reply and verdict. */
export function RunReport({ id }: { id: number }) {
  const { t, errorText } = useI18n();
  const report = useReport(id);
  const { cancel } = useRunMutations();
  const r = report.data;
  useRunProgress(r?.run);
  if (report.error) return <p className="error-text">{errorText(report.error)}</p>;
  if (!r) return <p className="muted">{t('app.loading')}</p>;
  const s = r.summary;
  return (
    <section aria-label={runLabel(r.run)}>
      <h2 style={{ marginBottom: 4 }}>
        {runLabel(r.run)} <StateBadge state={r.run.state} />
      </h2>
      <p className="muted small">
        {t(`evals.kind.${r.run.kind}` as MessageKey)} · {t('evals.promptVersion')} {r.run.promptVersion ? `${r.run.promptVersion.key} v${r.run.promptVersion.version}` : '—'} · {t('evals.judgeVersion')} {r.run.judgeVersion ? `v${r.run.judgeVersion.version}` : '—'} · {t('evals.model')} {r.run.model}
      </p>
      {!isFinished(r.run) ? (
        <div className="row" style={{ gap: 8 }}>
          <progress className="progress" max={Math.max(1, r.run.progress.total)} value={r.run.progress.done} aria-label={`${r.run.progress.done}/${r.run.progress.total}`} />
          <span className="small">
            {r.run.progress.done}/{r.run.progress.total}
          </span>
          <button type="button" className="btn btn-sm" disabled={cancel.isPending} onClick={() => cancel.mutate(r.run.id)}>
            {t('evals.cancelRun')}
          </button>
        </div>
      ) : null}
      {r.run.error ? <p className="error-text">{r.run.error.message}</p> : null}
      <p>
        <strong>
          {t('evals.average')}: {s.averageScore === null ? '—' : `${s.averageScore}/100`}
        </strong>{' '}
        · {t('evals.summaryLine', { total: s.total, passed: s.passed, failed: s.failed, errors: s.errors, notJudged: s.notJudged })}
      </p>
      {s.notJudged ? <p className="notice small">{t('evals.offlineNote')}</p> : null}
      {Object.keys(s.dimensions).length ? <DimensionTable dimensions={r.dimensions} means={s.dimensions} /> : null}
      {r.results.map((res) => (
        <CaseCard key={res.id} result={res} dimensions={r.dimensions} />
      ))}
    </section>
  );
}

function DimensionTable({ dimensions, means }: { dimensions: Dimension[]; means: Record<string, number> }) {
  const { t } = useI18n();
  return (
    <div className="table-wrap">
      <table className="table" aria-label={t('evals.dimension')}>
        <thead>
          <tr>
            <th scope="col">{t('evals.dimension')}</th>
            <th scope="col">{t('evals.mean')}</th>
          </tr>
        </thead>
        <tbody>
          {dimensions.map((d) => (
            <tr key={d.key}>
              <td title={d.ask} data-label={t('evals.dimension')}>
                {d.group ? <span className="muted small">{d.group} · </span> : null}
                {d.label} <span className="muted small">{d.key}</span>
              </td>
              <td data-label={t('evals.mean')}>{means[d.key] ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function CaseCard({ result, dimensions }: { result: CaseResult; dimensions: Dimension[] }) {
  const { t } = useI18n();
  const v = result.verdict;
  const list = (title: string, items: string[]) =>
    items.length ? (
      <div>
        <strong className="small">{title}</strong>
        <ul className="small" style={{ margin: '2px 0' }}>
          {items.map((x, i) => (
            <li key={i}>{x}</li>
          ))}
        </ul>
      </div>
    ) : null;
  return (
    <article className="eval-case" aria-label={result.caseName ?? `#${result.testCaseId}`}>
      <div className="row" style={{ gap: 8, flexWrap: 'wrap' }}>
        <strong>{result.caseName ?? `#${result.testCaseId}`}</strong>
        <span className={`badge status-${result.status}`}>{t(`evals.status.${result.status}` as MessageKey)}</span>
        {result.score !== null ? (
          <span>
            {t('evals.score')}: <strong>{result.score}</strong>/100
          </span>
        ) : null}
        {result.latencyMs !== null ? <span className="muted small">{t('evals.latency', { ms: result.latencyMs })}</span> : null}
      </div>
      {result.expected ? (
        <p className="muted small" style={{ margin: '4px 0' }}>
          {t('evals.expected')}: {result.expected}
        </p>
      ) : null}
      {result.error ? <p className="error-text small">{result.error}</p> : null}
      {result.output !== null ? (
        <>
          <strong className="small">{t('evals.reply')}</strong>
          <pre>{result.output}</pre>
        </>
      ) : null}
      {v ? (
        <>
          <div className="scores">
            {dimensions.map((d) => (
              <span key={d.key} className="chip" title={d.ask}>
                {d.label} {v.scores[d.key] ?? '—'}
              </span>
            ))}
          </div>
          <strong className="small">{t('evals.reasoning')}</strong>
          <pre>{v.reasoning}</pre>
          {list(t('evals.strengths'), v.strengths)}
          {list(t('evals.weaknesses'), v.weaknesses)}
          {list(t('evals.suggestions'), v.suggestions)}
        </>
      ) : null}
    </article>
  );
}
