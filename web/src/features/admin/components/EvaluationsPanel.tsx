import { useState } from 'react';
import { useI18n, type MessageKey } from '../../../i18n/index.js';
import { isFinished, useKinds, useRunMutations, useRuns } from '../api/evaluations.js';
import { TestCasesView } from './TestCasesView.js';
import { RunReport, runLabel, StateBadge } from './RunReport.js';
import { RunCompare } from './RunCompare.js';

type View = { name: 'cases' } | { name: 'runs' } | { name: 'report'; id: number } | { name: 'compare'; a: number; b: number };

/** Evaluations: test cases → runs (progress, cancel) → a run's report → two runs compared. */
export function EvaluationsPanel() {
  const { t, errorText } = useI18n();
  const kinds = useKinds();
  const [view, setView] = useState<View>({ name: 'cases' });
  const tab = view.name === 'cases' ? 'cases' : view.name === 'compare' ? 'compare' : 'runs';
  return (
    <div>
      <div role="tablist" aria-label={t('evals.tab')} className="tabs" style={{ marginBottom: 12 }}>
        {(['cases', 'runs', 'compare'] as const).map((id) => (
          <button
            key={id}
            type="button"
            role="tab"
            aria-selected={tab === id}
            className={`tab ${tab === id ? 'active' : ''}`}
            onClick={() => setView(id === 'compare' ? { name: 'compare', a: 0, b: 0 } : id === 'runs' ? { name: 'runs' } : { name: 'cases' })}
          >
            {t(`evals.${id}` as MessageKey)}
          </button>
        ))}
      </div>
      {kinds.error ? <p className="error-text">{errorText(kinds.error)}</p> : null}
      {view.name === 'cases' ? <TestCasesView kinds={kinds.data?.items ?? []} onStarted={(run) => setView({ name: 'report', id: run.id })} /> : null}
      {view.name === 'runs' ? <RunsList onOpen={(id) => setView({ name: 'report', id })} /> : null}
      {view.name === 'report' ? (
        <>
          <button type="button" className="btn btn-sm btn-ghost" onClick={() => setView({ name: 'runs' })}>
            ← {t('evals.back')}
          </button>
          <RunReport id={view.id} />
        </>
      ) : null}
      {view.name === 'compare' ? <ComparePicker a={view.a} b={view.b} onPick={(a, b) => setView({ name: 'compare', a, b })} /> : null}
    </div>
  );
}

function RunsList({ onOpen }: { onOpen: (id: number) => void }) {
  const { t, errorText } = useI18n();
  const runs = useRuns();
  const { cancel } = useRunMutations();
  if (runs.error) return <p className="error-text">{errorText(runs.error)}</p>;
  if (runs.data && !runs.data.items.length) return <p className="muted">{t('evals.noRuns')}</p>;
  return (
    <div className="table-wrap">
      <table className="table" aria-label={t('evals.runs')}>
        <tbody>
          {runs.data?.items.map((r) => (
            <tr key={r.id}>
              <td data-label={t('evals.runs')}>
                <strong>{runLabel(r)}</strong>
                <div className="muted small">
                  {t(`evals.kind.${r.kind}` as MessageKey)} · {r.promptVersion?.key} · {t('evals.judgeVersion')} v{r.judgeVersion?.version ?? '—'} · {r.model}
                </div>
              </td>
              <td data-label={t('console.status')}>
                <StateBadge state={r.state} />
                <div className="small muted">
                  {r.progress.done}/{r.progress.total}
                </div>
              </td>
              <td className="small muted" data-label={t('evals.created')}>
                {new Date(r.createdAt).toLocaleString()}
              </td>
              <td className="row" style={{ gap: 4 }}>
                <button type="button" className="btn btn-sm" onClick={() => onOpen(r.id)}>
                  {t('evals.open')}
                </button>
                {!isFinished(r) ? (
                  <button type="button" className="btn btn-sm btn-ghost" onClick={() => cancel.mutate(r.id)}>
                    {t('evals.cancelRun')}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ComparePicker({ a, b, onPick }: { a: number; b: number; onPick: (a: number, b: number) => void }) {
  const { t } = useI18n();
  const runs = useRuns();
  const items = runs.data?.items ?? [];
  const kindOfA = items.find((r) => r.id === a)?.kind;
  const select = (label: string, value: number, onChange: (v: number) => void, sameKindAs?: string) => (
    <label className="field">
      <span>{label}</span>
      <select aria-label={label} value={value || ''} onChange={(e) => onChange(Number(e.target.value))}>
        <option value="">—</option>
        {items
          .filter((r) => !sameKindAs || r.kind === sameKindAs)
          .map((r) => (
            <option key={r.id} value={r.id}>
              {runLabel(r)} · {t(`evals.kind.${r.kind}` as MessageKey)}
            </option>
          ))}
      </select>
    </label>
  );
  return (
    <div>
      <div className="row" style={{ gap: 12, flexWrap: 'wrap', alignItems: 'flex-end', marginBottom: 12 }}>
        {select(t('evals.runA'), a, (v) => onPick(v, b))}
        {select(t('evals.runB'), b, (v) => onPick(a, v), kindOfA)}
      </div>
      {a && b && a !== b ? <RunCompare a={a} b={b} /> : <p className="muted">{t('evals.pickTwo')}</p>}
    </div>
  );
}
