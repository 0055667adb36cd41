import { useEffect, useRef, useState } from 'react';
import { Modal } from '../../../components/Modal.js';
import { useI18n } from '../../../i18n/index.js';
import { isAbort, isApiError } from '../../../lib/api.js';
import type { Candidate, Id, Job, JobStep, SourceKind } from '../../../lib/types.js';
import { startCreation, type CreationRequest } from '../api/create-character.js';
import { getCandidates, isBundledCandidate } from '../api/get-candidates.js';
import { LIMITS } from '../../../../../src/shared/limits.js';
import { cancelJob, watchJob } from '../api/jobs.js';

/** The site could not be reached from the server: what happened, and what works offline. */
interface Unreachable {
  site: 'baike' | 'zhwiki';
  bundledNames: string[];
}

type Phase =
  | { kind: 'form'; error?: string; unreachable?: Unreachable }
  | { kind: 'searching' }
  | { kind: 'pick'; candidates: Candidate[] }
  | { kind: 'job'; job: Job | null; bundled?: string };

const isSourceDown = (code: string | undefined) => !!code && code.startsWith('source_unavailable');

const STEPS: JobStep[] = ['queued', 'fetching', 'structuring', 'writing_biography', 'saving', 'done'];

export interface CreateCharacterDialogProps {
  onClose: () => void;
  /** Called when the job is done: the app reloads the list and selects the character. */
  onCreated: (id: Id) => void;
}

/**
 * Name + source + detail → (same-name picker) → a creation job whose progress comes from its
 * event stream. Closing the dialog while a job runs does not cancel it; the Cancel button does.
 */
export function CreateCharacterDialog({ onClose, onCreated }: CreateCharacterDialogProps) {
  const { t, errorText } = useI18n();
  const [name, setName] = useState('');
  const [source, setSource] = useState<SourceKind>('baike');
  const [detail, setDetail] = useState<'concise' | 'detailed'>('concise');
  const [text, setText] = useState('');
  const [phase, setPhase] = useState<Phase>({ kind: 'form' });
  const [picked, setPicked] = useState<string>('');
  const ctrl = useRef<AbortController | null>(null);
  useEffect(() => () => ctrl.current?.abort(), []);

  const fail = (e: unknown) => {
    if (isAbort(e)) return;
    if (isApiError(e) && isSourceDown(e.code) && source !== 'text') {
      const names = Array.isArray(e.details.bundledNames) ? e.details.bundledNames.filter((n): n is string => typeof n === 'string') : [];
      const site = t(`create.source.${source}`);
      const error = e.code === 'source_unavailable:unreachable' ? t('create.unreachable', { site }) : errorText(e);
      setPhase({ kind: 'form', error, unreachable: { site: source, bundledNames: names } });
      return;
    }
    setPhase({ kind: 'form', error: errorText(e) });
  };

  const run = async (req: CreationRequest, bundled?: string) => {
    ctrl.current?.abort();
    const c = new AbortController();
    ctrl.current = c;
    try {
      setPhase({ kind: 'job', job: null, bundled });
      const job = await startCreation(req);
      setPhase({ kind: 'job', job, bundled });
      for await (const j of watchJob(job.id, c.signal)) {
        setPhase({ kind: 'job', job: j, bundled });
        if (j.state === 'done' && j.result) onCreated(j.result.characterId);
      }
    } catch (e) {
      if (isApiError(e) && e.code === 'ambiguous' && Array.isArray(e.details.candidates)) {
        setPicked('');
        setPhase({ kind: 'pick', candidates: e.details.candidates as Candidate[] });
        return;
      }
      fail(e);
    }
  };

  const submit = async () => {
    const n = name.trim();
    if (!n) return;
    if (source === 'text') {
      if (!text.trim()) return setPhase({ kind: 'form', error: t('create.needText') });
      return run({ name: n, source, text, detail });
    }
    setPhase({ kind: 'searching' });
    try {
      const { candidates, bundled } = await getCandidates(source, n);
      if (candidates.length === 0) return setPhase({ kind: 'form', error: t('create.noCandidates', { name: n }) });
      if (candidates.length === 1) return run({ name: n, source, detail, candidateId: candidates[0].id }, bundled || isBundledCandidate(candidates[0]) ? candidates[0].title : undefined);
      setPicked('');
      setPhase({ kind: 'pick', candidates });
    } catch (e) {
      fail(e);
    }
  };

  // A known code in the user's words; otherwise the server's own sentence, without a second prefix.
  const jobErrorText = (e: { code: string; message: string }) => {
    const text = errorText({ code: e.code, message: e.message, status: isSourceDown(e.code) ? 502 : undefined });
    return text === t('error.generic', { message: e.message }) ? e.message : text;
  };

  const job = phase.kind === 'job' ? phase.job : null;
  const running = phase.kind === 'job' && (!job || job.state === 'queued' || job.state === 'running');

  let body;
  if (phase.kind === 'pick') {
    body = (
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const c = phase.candidates.find((x) => x.id === picked);
          if (c) run({ name: name.trim(), source, detail, candidateId: c.id }, isBundledCandidate(c) ? c.title : undefined);
        }}
      >
        <p>{t('create.pickHint', { name: name.trim() })}</p>
        <fieldset className="candidates">
          <legend className="visually-hidden">{t('create.pickTitle')}</legend>
          {phase.candidates.map((c) => (
            <label key={c.id} className={`candidate ${picked === c.id ? 'selected' : ''}`}>
              <input type="radio" name="candidate" value={c.id} checked={picked === c.id} onChange={() => setPicked(c.id)} />
              <span>
                <strong>{c.title}</strong>
                {c.description ? <span className="muted small block">{c.description}</span> : null}
              </span>
            </label>
          ))}
        </fieldset>
        <div className="row end">
          <button type="button" className="btn" onClick={() => setPhase({ kind: 'form' })}>
            {t('common.cancel')}
          </button>
          <button type="submit" className="btn btn-primary" disabled={!picked}>
            {t('create.pick')}
          </button>
        </div>
      </form>
    );
  } else if (phase.kind === 'job') {
    const cur = job?.progress.step ?? 'queued';
    const curIdx = job?.state === 'done' ? STEPS.length : STEPS.indexOf(cur);
    const pct = job?.state === 'done' ? 100 : Math.round(((Math.max(curIdx, 0) + (cur === 'structuring' && job?.progress.total ? job.progress.done / job.progress.total : 0)) / (STEPS.length - 1)) * 100);
    body = (
      <div className="stack">
        {phase.bundled ? (
          <p className="notice" role="status">
            {t('create.bundledUsed', { title: phase.bundled, site: t(`create.source.${source === 'zhwiki' ? 'zhwiki' : 'baike'}`) })}
          </p>
        ) : null}
        <progress className="progress" max={100} value={pct} aria-label={t('create.progress')} />
        <ol className="steps" aria-live="polite">
          {STEPS.map((s, i) => {
            const state = i < curIdx ? 'done' : i === curIdx && running ? 'current' : i === curIdx ? 'done' : 'todo';
            const lbl =
              s === 'structuring'
                ? t('create.step.structuring', { done: cur === 'structuring' ? (job?.progress.done ?? 0) : i < curIdx ? 9 : 0, total: job?.progress.total || 9 })
                : t(`create.step.${s}`);
            return (
              <li key={s} className={`step step-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
                {lbl}
              </li>
            );
          })}
        </ol>
        {job?.state === 'failed' ? (
          <p className="error-text" role="alert">
            {t('create.failed', { message: job.error ? jobErrorText(job.error) : '' })}
          </p>
        ) : null}
        {job?.state === 'cancelled' ? <p className="muted">{t('create.cancelled')}</p> : null}
      </div>
    );
  } else {
    body = (
      <form
        id="create-form"
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <label className="field">
          <span>{t('create.name')}</span>
          <input name="name" required value={name} placeholder={t('create.namePlaceholder')} onChange={(e) => setName(e.target.value)} autoFocus maxLength={LIMITS.characterName.max} />
        </label>
        <label className="field">
          <span>{t('create.source')}</span>
          <select name="source" value={source} onChange={(e) => setSource(e.target.value as SourceKind)}>
            <option value="baike">{t('create.source.baike')}</option>
            <option value="zhwiki">{t('create.source.zhwiki')}</option>
            <option value="text">{t('create.source.text')}</option>
          </select>
        </label>
        {source === 'text' ? (
          <>
            <label className="field">
              <span>{t('create.text')}</span>
              <textarea name="text" rows={6} maxLength={LIMITS.sourceText.max} value={text} placeholder={t('create.textPlaceholder')} onChange={(e) => setText(e.target.value)} />
            </label>
            <label className="btn btn-sm file-btn">
              {t('create.loadFile')}
              <input
                type="file"
                accept=".txt,.md,text/plain,text/markdown"
                className="visually-hidden"
                onChange={async (e) => {
                  const f = e.target.files?.[0];
                  if (f) setText(await f.text());
                }}
              />
            </label>
          </>
        ) : null}
        <fieldset className="field">
          <legend>{t('create.detail')}</legend>
          <div className="segmented">
            {(['concise', 'detailed'] as const).map((d) => (
              <label key={d} className={detail === d ? 'active' : ''}>
                <input type="radio" name="detail" value={d} checked={detail === d} onChange={() => setDetail(d)} />
                {t(`create.detail.${d}`)}
              </label>
            ))}
          </div>
        </fieldset>
        {phase.kind === 'form' && phase.error ? (
          <div className="error-box" role="alert">
            <p className="error-text">{phase.error}</p>
            {phase.unreachable ? (
              <>
                <p className="small">{t('create.unreachableHint')}</p>
                {phase.unreachable.bundledNames.length ? (
                  <div className="small">
                    <span>{t('create.offlineNames')}</span>
                    <ul className="chips" aria-label={t('create.offlineNames')}>
                      {phase.unreachable.bundledNames.map((n) => (
                        <li key={n}>
                          <button
                            type="button"
                            className="chip"
                            onClick={() => {
                              setName(n);
                              setPhase({ kind: 'form' });
                            }}
                          >
                            {n}
                          </button>
                        </li>
                      ))}
                    </ul>
                  </div>
                ) : null}
                <button
                  type="button"
                  className="btn btn-sm"
                  onClick={() => {
                    setSource('text');
                    setPhase({ kind: 'form' });
                  }}
                >
                  {t('create.useText')}
                </button>
              </>
            ) : null}
          </div>
        ) : null}
        {phase.kind === 'searching' ? <p className="muted">{t('create.searching')}</p> : null}
      </form>
    );
  }

  let footer = null;
  if (phase.kind === 'form' || phase.kind === 'searching') {
    footer = (
      <>
        <button type="button" className="btn" onClick={onClose}>
          {t('common.cancel')}
        </button>
        <button type="submit" form="create-form" className="btn btn-primary" disabled={!name.trim() || phase.kind === 'searching'}>
          {t('create.start')}
        </button>
      </>
    );
  } else if (phase.kind === 'job') {
    footer = running ? (
      <button
        type="button"
        className="btn btn-danger"
        disabled={!job}
        onClick={() => {
          if (job) cancelJob(job.id).catch(fail);
        }}
      >
        {t('create.cancel')}
      </button>
    ) : job?.state === 'done' ? (
      // A key of its own: it replaces the Cancel button, and a reused button would not take autoFocus.
      <button key="open" type="button" className="btn btn-primary" onClick={onClose} autoFocus>
        {t('create.open')}
      </button>
    ) : (
      <>
        <button type="button" className="btn" onClick={onClose}>
          {t('common.close')}
        </button>
        {isSourceDown(job?.error?.code) && source !== 'text' ? (
          <button
            type="button"
            className="btn"
            onClick={() => {
              setSource('text');
              setPhase({ kind: 'form' });
            }}
          >
            {t('create.useText')}
          </button>
        ) : null}
        <button type="button" className="btn btn-primary" onClick={() => setPhase({ kind: 'form' })}>
          {t('common.retry')}
        </button>
      </>
    );
  }

  return (
    <Modal title={phase.kind === 'pick' ? t('create.pickTitle') : t('create.title')} onClose={onClose} dismissable={false} footer={footer}>
      {body}
    </Modal>
  );
}
