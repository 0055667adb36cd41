import { useState } from 'react';
import { useConfirm } from '../../../components/Confirm.js';
import { useI18n, type MessageKey } from '../../../i18n/index.js';
import { useCaseMutations, usePromptVersions, useRunMutations, useTestCases, type KindInfo, type Run, type TestCase } from '../api/evaluations.js';
import { KindOptions, TestCaseForm } from './TestCaseForm.js';
import { ModelSelect } from './ModelSelect.js';

/** Test cases by kind: create, edit, delete; select some and start a run against chosen versions. */
export function TestCasesView({ kinds, onStarted }: { kinds: KindInfo[]; onStarted: (run: Run) => void }) {
  const { t, errorText } = useI18n();
  const confirm = useConfirm();
  const [kind, setKind] = useState('');
  const cases = useTestCases(kind);
  const m = useCaseMutations();
  const [editing, setEditing] = useState<TestCase | 'new' | null>(null);
  const [selected, setSelected] = useState<number[]>([]);
  const [running, setRunning] = useState(false);
  const chosen = (cases.data?.items ?? []).filter((c) => selected.includes(c.id));
  const chosenKinds = [...new Set(chosen.map((c) => c.kind))];
  const saveError = editing === 'new' ? m.create.error : m.update.error;

  const toggle = (id: number) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  return (
    <div>
      <div className="row" style={{ gap: 8, flexWrap: 'wrap', marginBottom: 12 }}>
        <label className="field inline">
          <span>{t('evals.kind')}</span>
          <select aria-label={t('evals.kind')} value={kind} onChange={(e) => setKind(e.target.value)}>
            <option value="">{t('evals.allKinds')}</option>
            <KindOptions />
          </select>
        </label>
        <button type="button" className="btn btn-primary btn-sm" onClick={() => setEditing('new')}>
          {t('evals.newCase')}
        </button>
        <span className="grow" />
        <span className="muted small">{t('evals.selected', { n: selected.length })}</span>
        <button type="button" className="btn btn-sm" disabled={!selected.length || chosenKinds.length !== 1} title={chosenKinds.length > 1 ? t('evals.oneKind') : undefined} onClick={() => setRunning(true)}>
          {t('evals.runSelected')}
        </button>
      </div>
      {chosenKinds.length > 1 ? <p className="muted small">{t('evals.oneKind')}</p> : null}
      {running && chosenKinds.length === 1 ? (
        <StartRun
          info={kinds.find((k) => k.kind === chosenKinds[0])}
          caseIds={chosen.map((c) => c.id)}
          onCancel={() => setRunning(false)}
          onStarted={(run) => {
            setRunning(false);
            setSelected([]);
            onStarted(run);
          }}
        />
      ) : null}
      {editing ? (
        <TestCaseForm
          key={editing === 'new' ? 'new' : editing.id}
          kinds={kinds}
          initial={editing === 'new' ? undefined : editing}
          busy={m.create.isPending || m.update.isPending}
          error={saveError ? errorText(saveError) : null}
          onCancel={() => setEditing(null)}
          onSave={(b) => (editing === 'new' ? m.create.mutate(b, { onSuccess: () => setEditing(null) }) : m.update.mutate({ ...b, id: editing.id }, { onSuccess: () => setEditing(null) }))}
        />
      ) : null}
      {cases.error ? <p className="error-text">{errorText(cases.error)}</p> : null}
      {m.remove.error ? <p className="error-text">{errorText(m.remove.error)}</p> : null}
      {cases.data && !cases.data.items.length ? <p className="muted">{t('evals.noCases')}</p> : null}
      <div className="table-wrap">
        <table className="table">
          <tbody>
            {cases.data?.items.map((c) => (
              <tr key={c.id}>
                <td>
                  <input type="checkbox" aria-label={c.name} checked={selected.includes(c.id)} onChange={() => toggle(c.id)} />
                </td>
                <td data-label={t('evals.name')}>
                  <strong>{c.name}</strong>
                  <div className="muted small clamp">{c.expected}</div>
                </td>
                <td data-label={t('evals.kind')}>
                  <span className="badge">{t(`evals.kind.${c.kind}` as MessageKey)}</span>
                </td>
                <td className="muted small" data-label={t('evals.target')}>{c.characterId ? `${t('evals.character')} ${c.characterId}` : c.groupId ? `${t('evals.group')} ${c.groupId}` : '—'}</td>
                <td className="row" style={{ gap: 4 }}>
                  <button type="button" className="btn btn-sm btn-ghost" onClick={() => setEditing(c)}>
                    {t('common.edit')}
                  </button>
                  <button
                    type="button"
                    className="btn btn-sm btn-ghost"
                    onClick={() => void confirm(t('evals.deleteCaseConfirm', { name: c.name }), { danger: true }).then((ok) => ok && m.remove.mutate(c.id))}
                  >
                    {t('common.delete')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** Versions of the prompt under test and of its judge (active preselected), a model, a note. */
function StartRun({ info, caseIds, onCancel, onStarted }: { info: KindInfo | undefined; caseIds: number[]; onCancel: () => void; onStarted: (run: Run) => void }) {
  const { t, errorText } = useI18n();
  const prompt = usePromptVersions(info?.promptKey);
  const judge = usePromptVersions(info?.judgeKey);
  const { start } = useRunMutations();
  const [promptVersionId, setPromptVersionId] = useState('');
  const [judgeVersionId, setJudgeVersionId] = useState('');
  const [model, setModel] = useState('');
  const [note, setNote] = useState('');
  const versionOptions = (d: typeof prompt.data) =>
    d?.versions.map((v) => (
      <option key={v.id} value={v.id}>
        v{v.version} {v.active ? t('evals.activeMark') : ''} {v.note ?? ''}
      </option>
    ));
  return (
    <form
      className="eval-form"
      aria-label={t('evals.newRun')}
      onSubmit={(e) => {
        e.preventDefault();
        start.mutate(
          { caseIds, promptVersionId: promptVersionId ? Number(promptVersionId) : undefined, judgeVersionId: judgeVersionId ? Number(judgeVersionId) : undefined, model: model || undefined, note: note.trim() || undefined },
          { onSuccess: onStarted },
        );
      }}
    >
      <h3 className="wide" style={{ margin: 0 }}>
        {t('evals.newRun')} · {info ? t(`evals.kind.${info.kind}` as MessageKey) : ''} · {t('evals.selected', { n: caseIds.length })}
      </h3>
      <label className="field">
        <span>
          {t('evals.promptVersion')} ({info?.promptKey})
        </span>
        <select aria-label={t('evals.promptVersion')} value={promptVersionId} onChange={(e) => setPromptVersionId(e.target.value)}>
          <option value="">{t('evals.activeMark')}</option>
          {versionOptions(prompt.data)}
        </select>
      </label>
      <label className="field">
        <span>
          {t('evals.judgeVersion')} ({info?.judgeKey})
        </span>
        <select aria-label={t('evals.judgeVersion')} value={judgeVersionId} onChange={(e) => setJudgeVersionId(e.target.value)}>
          <option value="">{t('evals.activeMark')}</option>
          {versionOptions(judge.data)}
        </select>
      </label>
      <ModelSelect value={model} onChange={setModel} />
      <label className="field">
        <span>{t('evals.note')}</span>
        <input aria-label={t('evals.note')} maxLength={500} value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      <p className="muted small wide" style={{ margin: 0 }}>
        {t('evals.runHint')}
      </p>
      {start.error ? (
        <p className="error-text wide" role="alert">
          {errorText(start.error)}
        </p>
      ) : null}
      <div className="row wide" style={{ gap: 8 }}>
        <button type="submit" className="btn btn-primary" disabled={start.isPending}>
          {t('evals.startRun')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
