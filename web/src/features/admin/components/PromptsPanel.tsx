import { useEffect, useState } from 'react';
import { useI18n } from '../../../i18n/index.js';
import { getDiff, usePromptMutations, usePrompt, usePrompts, type LineDiff, type PromptSummary } from '../api/console.js';

const when = (ms: number) => new Date(ms).toLocaleString();
const DIFF_COLOR = { '+': 'rgba(46,160,67,.18)', '-': 'rgba(248,81,73,.18)', '=': 'transparent' } as const;

/** Prompts by category → versions (activate, roll back, duplicate, diff) → edit as a new version. */
export function PromptsPanel() {
  const { t, errorText } = useI18n();
  const list = usePrompts();
  const [selected, setSelected] = useState<number | null>(null);
  const detail = usePrompt(selected);
  const m = usePromptMutations(selected);
  const [draft, setDraft] = useState('');
  const [note, setNote] = useState('');
  const [diff, setDiff] = useState<(LineDiff & { label: string }) | null>(null);
  const active = detail.data?.versions.find((v) => v.active);

  useEffect(() => {
    setDraft(active?.content ?? '');
    setDiff(null);
  }, [selected, active?.id]);

  const byCategory = new Map<string, PromptSummary[]>();
  for (const p of list.data?.items ?? []) byCategory.set(p.category, [...(byCategory.get(p.category) ?? []), p]);
  const error = list.error ?? detail.error ?? m.save.error ?? m.activate.error ?? m.validate.error ?? m.duplicate.error;

  return (
    <div className="admin-prompts" style={{ display: 'grid', gridTemplateColumns: 'minmax(180px, 1fr) 3fr', gap: 16 }}>
      <nav aria-label={t('console.prompts')}>
        {[...byCategory].map(([category, items]) => (
          <div key={category}>
            <h3 className="small muted">{category}</h3>
            {items.map((p) => (
              <button key={p.id} type="button" className={`btn btn-sm btn-block ${selected === p.id ? 'btn-primary' : 'btn-ghost'}`} onClick={() => setSelected(p.id)} title={p.description}>
                {p.key} <span className="muted small">v{p.activeVersion}</span>
              </button>
            ))}
          </div>
        ))}
      </nav>
      <section>
        {error ? (
          <p className="error-text" role="alert">
            {errorText(error)}
          </p>
        ) : null}
        {!detail.data ? (
          <p className="muted">{t('console.pickPrompt')}</p>
        ) : (
          <>
            <h2>{detail.data.key}</h2>
            <p className="muted small">
              {detail.data.description} · {t('console.variables')}: {detail.data.variables.map((v) => `{${v}}`).join(' ') || '—'}
            </p>
            <label className="field">
              <span>{t('console.editText')}</span>
              <textarea aria-label={t('console.editText')} value={draft} onChange={(e) => setDraft(e.target.value)} rows={14} style={{ width: '100%', fontFamily: 'monospace' }} />
            </label>
            <label className="field">
              <span>{t('console.note')}</span>
              <input aria-label={t('console.note')} value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} />
            </label>
            <div className="row" style={{ gap: 8 }}>
              <button type="button" className="btn" disabled={m.validate.isPending} onClick={() => m.validate.mutate(draft)}>
                {t('console.validate')}
              </button>
              <button type="button" className="btn btn-primary" disabled={m.save.isPending || draft === active?.content} onClick={() => m.save.mutate({ content: draft, note }, { onSuccess: () => setNote('') })}>
                {t('console.saveVersion')}
              </button>
              {m.validate.isSuccess ? <span className="muted small">{t('console.valid')}</span> : null}
            </div>
            <table className="table" style={{ marginTop: 16 }}>
              <thead>
                <tr>
                  <th scope="col">{t('console.version')}</th>
                  <th scope="col">{t('console.author')}</th>
                  <th scope="col">{t('console.time')}</th>
                  <th scope="col">{t('console.note')}</th>
                  <th scope="col">{t('console.tests')}</th>
                  <th scope="col">
                  <span className="visually-hidden">{t('common.actions')}</span>
                </th>
                </tr>
              </thead>
              <tbody>
                {detail.data.versions.map((v) => (
                  <tr key={v.id}>
                    <td>
                      v{v.version} {v.active ? <span className="badge">{t('console.active')}</span> : null}
                    </td>
                    <td>{v.authorName ?? t('console.system')}</td>
                    <td>{when(v.createdAt)}</td>
                    <td>{v.note ?? ''}</td>
                    <td>{v.stats.runs ? `${v.stats.passed}/${v.stats.runs} · ${v.stats.averageScore ?? '—'}` : '—'}</td>
                    <td className="row" style={{ gap: 4 }}>
                      {!v.active ? (
                        <button type="button" className="btn btn-sm" onClick={() => m.activate.mutate(v.id)}>
                          {active && v.version < active.version ? t('console.rollback') : t('console.activate')}
                        </button>
                      ) : null}
                      <button type="button" className="btn btn-sm btn-ghost" onClick={() => m.duplicate.mutate(v.id)}>
                        {t('console.duplicate')}
                      </button>
                      {active && !v.active ? (
                        <button type="button" className="btn btn-sm btn-ghost" onClick={() => void getDiff(active.id, v.id).then((d) => setDiff({ ...d, label: `v${active.version} → v${v.version}` }))}>
                          {t('console.diff')}
                        </button>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {diff ? (
              <figure aria-label={t('console.diff')}>
                <figcaption className="small">
                  {diff.label}: +{diff.added} −{diff.removed} ={diff.unchanged}
                </figcaption>
                <pre style={{ whiteSpace: 'pre-wrap', fontSize: 13 }}>
                  {diff.lines.map((l, i) => (
                    <div key={i} style={{ background: DIFF_COLOR[l.op] }}>
                      {l.op === '=' ? ' ' : l.op} {l.text}
                    </div>
                  ))}
                </pre>
              </figure>
            ) : null}
          </>
        )}
      </section>
    </div>
  );
}
