import { useState, type FormEvent } from 'react';
import { useI18n } from '../../../i18n/index.js';
import type { MessageKey } from '../../../i18n/index.js';
import { ModelSelect } from './ModelSelect.js';
import { EVAL_KINDS, useTargets, type CaseMessage, type EvalKind, type KindInfo, type TestCase, type TestCaseBody } from '../api/evaluations.js';

const SECTIONS = ['identity', 'personality', 'background', 'knowledge', 'dialogue', 'tasks', 'world', 'system'];
const USER = /^(user|用户|我)\s*[:：]\s*/i;

/** "user: …" → the user; "Name: …" → that character; a line without a name → the user. */
export function parseMessages(text: string): CaseMessage[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line): CaseMessage => {
      if (USER.test(line)) return { role: 'user', content: line.replace(USER, '') };
      const m = /^([^:：]{1,40})[:：]\s*(.+)$/.exec(line);
      return m ? { role: 'assistant', speaker: m[1].trim(), content: m[2] } : { role: 'user', content: line };
    });
}
export const formatMessages = (ms: CaseMessage[] = []) => ms.map((m) => `${m.role === 'user' ? 'user' : (m.speaker ?? 'assistant')}: ${m.content}`).join('\n');
/** One <option> per kind of test case, in the console's language. */
export function KindOptions() {
  const { t } = useI18n();
  return (
    <>
      {EVAL_KINDS.map((k) => (
        <option key={k} value={k}>
          {t(`evals.kind.${k}` as MessageKey)}
        </option>
      ))}
    </>
  );
}

const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);
const num = (v: string) => (v.trim() === '' ? undefined : Number(v));

/** Create or edit a test case; the fields shown follow the kind. Server 400s are shown as they come. */
export function TestCaseForm({ kinds, initial, busy, error, onSave, onCancel }: { kinds: KindInfo[]; initial?: TestCase; busy: boolean; error: string | null; onSave: (b: TestCaseBody) => void; onCancel: () => void }) {
  const { t } = useI18n();
  const targets = useTargets();
  const [kind, setKind] = useState<EvalKind>(initial?.kind ?? 'chat');
  const [name, setName] = useState(initial?.name ?? '');
  const [characterId, setCharacterId] = useState(initial?.characterId ? String(initial.characterId) : '');
  const [groupId, setGroupId] = useState(initial?.groupId ? String(initial.groupId) : '');
  const [speakerId, setSpeakerId] = useState(initial?.input.speakerId ? String(initial.input.speakerId) : '');
  const [messages, setMessages] = useState(formatMessages(initial?.input.messages));
  const [longTerm, setLongTerm] = useState((initial?.input.longTerm ?? []).join('\n'));
  const [shortTerm, setShortTerm] = useState((initial?.input.shortTerm ?? []).join('\n'));
  const [section, setSection] = useState(initial?.input.section ?? 'identity');
  const [sourceText, setSourceText] = useState(initial?.input.sourceText ?? '');
  const [personaName, setPersonaName] = useState(initial?.input.personaName ?? '');
  const [expected, setExpected] = useState(initial?.expected ?? '');
  const c = initial?.config ?? {};
  const [model, setModel] = useState(c.model ?? '');
  const [temperature, setTemperature] = useState(c.temperature === undefined ? '' : String(c.temperature));
  const [maxTokens, setMaxTokens] = useState(c.maxTokens === undefined ? '' : String(c.maxTokens));
  const [session, setSession] = useState(c.budgets?.session === undefined ? '' : String(c.budgets.session));
  const [stBudget, setStBudget] = useState(c.budgets?.shortTerm === undefined ? '' : String(c.budgets.shortTerm));
  const [ltBudget, setLtBudget] = useState(c.budgets?.longTerm === undefined ? '' : String(c.budgets.longTerm));

  const info = kinds.find((k) => k.kind === kind);
  const target = info?.target ?? 'none';
  const uses = {
    messages: ['chat', 'group_chat', 'memory_summarize', 'moderator'].includes(kind),
    memories: kind === 'chat' || kind === 'group_chat' || kind === 'memory_integrate',
    structure: kind === 'structure',
    persona: ['structure', 'biography', 'memory_summarize', 'memory_integrate'].includes(kind),
    chatConfig: kind === 'chat' || kind === 'group_chat',
  };

  function submit(e: FormEvent) {
    e.preventDefault();
    const budgets = { session: num(session), shortTerm: num(stBudget), longTerm: num(ltBudget) };
    const input = {
      ...(uses.messages ? { messages: parseMessages(messages) } : {}),
      ...(uses.memories && lines(longTerm).length ? { longTerm: lines(longTerm) } : {}),
      ...(uses.memories && lines(shortTerm).length ? { shortTerm: lines(shortTerm) } : {}),
      ...(kind === 'group_chat' && speakerId ? { speakerId: Number(speakerId) } : {}),
      ...(uses.structure ? { section, sourceText } : {}),
      ...(uses.persona && personaName.trim() ? { personaName: personaName.trim() } : {}),
    };
    const config = {
      ...(model ? { model } : {}),
      ...(num(temperature) !== undefined ? { temperature: num(temperature) } : {}),
      ...(num(maxTokens) !== undefined ? { maxTokens: num(maxTokens) } : {}),
      ...(uses.chatConfig && Object.values(budgets).some((v) => v !== undefined) ? { budgets: JSON.parse(JSON.stringify(budgets)) as typeof budgets } : {}),
    };
    const needsCharacter = target === 'character' || (target === 'none' && characterId !== '');
    onSave({ name: name.trim(), kind, characterId: needsCharacter && characterId ? Number(characterId) : null, groupId: target === 'group' && groupId ? Number(groupId) : null, input, expected, config });
  }

  return (
    <form className="eval-form" onSubmit={submit} aria-label={initial ? t('evals.editCase') : t('evals.newCase')}>
      <h3 className="wide" style={{ margin: 0 }}>
        {initial ? t('evals.editCase') : t('evals.newCase')}
      </h3>
      <label className="field">
        <span>{t('evals.name')}</span>
        <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        <span>{t('evals.kind')}</span>
        <select value={kind} onChange={(e) => setKind(e.target.value as EvalKind)}>
          <KindOptions />
        </select>
      </label>
      {target === 'character' || target === 'none' ? (
        <label className="field">
          <span>{t('evals.character')}</span>
          <input list="eval-characters" inputMode="numeric" pattern="[0-9]*" required={target === 'character'} value={characterId} onChange={(e) => setCharacterId(e.target.value)} />
          <datalist id="eval-characters">
            {targets.data?.characters.map((ch) => (
              <option key={ch.id} value={ch.id}>
                {ch.name}
              </option>
            ))}
          </datalist>
          <small className="muted">{t('evals.targetHint')}</small>
        </label>
      ) : (
        <label className="field">
          <span>{t('evals.group')}</span>
          <input list="eval-groups" inputMode="numeric" pattern="[0-9]*" required value={groupId} onChange={(e) => setGroupId(e.target.value)} />
          <datalist id="eval-groups">
            {targets.data?.groups.map((g) => (
              <option key={g.id} value={g.id}>
                {g.name}
              </option>
            ))}
          </datalist>
          <small className="muted">{t('evals.targetHint')}</small>
        </label>
      )}
      {kind === 'group_chat' ? (
        <label className="field">
          <span>{t('evals.speaker')}</span>
          <input inputMode="numeric" pattern="[0-9]*" value={speakerId} onChange={(e) => setSpeakerId(e.target.value)} />
        </label>
      ) : null}
      {uses.persona ? (
        <label className="field">
          <span>{t('evals.personaName')}</span>
          <input maxLength={100} value={personaName} onChange={(e) => setPersonaName(e.target.value)} />
        </label>
      ) : null}
      {uses.messages ? (
        <label className="field wide">
          <span>{t('evals.messages')}</span>
          <textarea rows={5} value={messages} onChange={(e) => setMessages(e.target.value)} placeholder={'user: 你好\n李白: 幸会！\nuser: 你最喜欢哪首诗？'} />
          <small className="muted">{t('evals.messagesHint')}</small>
        </label>
      ) : null}
      {uses.memories ? (
        <>
          <label className="field">
            <span>{t('evals.shortTerm')}</span>
            <textarea rows={3} value={shortTerm} onChange={(e) => setShortTerm(e.target.value)} />
          </label>
          <label className="field">
            <span>{t('evals.longTerm')}</span>
            <textarea rows={3} value={longTerm} onChange={(e) => setLongTerm(e.target.value)} />
          </label>
        </>
      ) : null}
      {uses.structure ? (
        <>
          <label className="field">
            <span>{t('evals.section')}</span>
            <select value={section} onChange={(e) => setSection(e.target.value)}>
              {SECTIONS.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label className="field wide">
            <span>{t('evals.sourceText')}</span>
            <textarea rows={6} required value={sourceText} onChange={(e) => setSourceText(e.target.value)} />
          </label>
        </>
      ) : null}
      <label className="field wide">
        <span>{t('evals.expected')}</span>
        <textarea rows={2} maxLength={4000} value={expected} onChange={(e) => setExpected(e.target.value)} />
      </label>
      <fieldset className="field wide" style={{ border: 0, padding: 0, margin: 0 }}>
        <legend>{t('evals.config')}</legend>
        <div className="row" style={{ gap: 10, flexWrap: 'wrap' }}>
          <ModelSelect value={model} onChange={setModel} />
          <label className="field">
            <span>{t('evals.temperature')}</span>
            <input type="number" min={0} max={2} step={0.1} value={temperature} onChange={(e) => setTemperature(e.target.value)} style={{ width: 90 }} />
          </label>
          <label className="field">
            <span>{t('evals.maxTokens')}</span>
            <input type="number" min={16} max={8192} value={maxTokens} onChange={(e) => setMaxTokens(e.target.value)} style={{ width: 100 }} />
          </label>
          {uses.chatConfig ? (
            <>
              <label className="field">
                <span>{t('evals.budgetSession')}</span>
                <input type="number" min={200} max={32000} value={session} onChange={(e) => setSession(e.target.value)} style={{ width: 100 }} />
              </label>
              <label className="field">
                <span>{t('evals.budgetShortTerm')}</span>
                <input type="number" min={100} max={16000} value={stBudget} onChange={(e) => setStBudget(e.target.value)} style={{ width: 100 }} />
              </label>
              <label className="field">
                <span>{t('evals.budgetLongTerm')}</span>
                <input type="number" min={100} max={16000} value={ltBudget} onChange={(e) => setLtBudget(e.target.value)} style={{ width: 100 }} />
              </label>
            </>
          ) : null}
        </div>
      </fieldset>
      {error ? (
        <p className="error-text wide" role="alert">
          {error}
        </p>
      ) : null}
      <div className="row wide" style={{ gap: 8 }}>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t('common.save')}
        </button>
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
      </div>
    </form>
  );
}
