/**
 * Providers & models: connect an OpenAI-compatible provider (presets for the usual vendors), test
 * it, choose which of its models users may pick (names, context, prices, capabilities), and the
 * model of each purpose. The environment's provider is shown read-only. Keys go in, never out.
 */
import { useState } from 'react';
import { useConfirm } from '../../../components/Confirm.js';
import { Modal } from '../../../components/Modal.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n, type MessageKey } from '../../../i18n/index.js';
import {
  useLlmDefaults,
  useProviderMutations,
  useProviders,
  type AdminModel,
  type AdminProvider,
  type JsonMode,
  type Preset,
  type ProbeError,
  type ProbeResult,
  type ProviderInput,
  type Purpose,
} from '../api/providers.js';

const PURPOSE_KEYS: Record<Purpose, MessageKey> = {
  chat: 'providers.purpose.chat',
  structure: 'providers.purpose.structure',
  memory: 'providers.purpose.memory',
  moderator: 'providers.purpose.moderator',
  evaluation: 'providers.purpose.evaluation',
};
const PROBE_KEYS: Record<ProbeError['kind'], MessageKey> = {
  auth: 'providers.error.auth',
  http: 'providers.error.http',
  dns: 'providers.error.dns',
  tls: 'providers.error.tls',
  refused: 'providers.error.refused',
  timeout: 'providers.error.timeout',
  network: 'providers.error.network',
  bad_response: 'providers.error.bad_response',
};

export function ProvidersPanel() {
  const { t, errorText } = useI18n();
  const q = useProviders();
  const [editing, setEditing] = useState<AdminProvider | 'new' | null>(null);
  return (
    <div className="stack">
      <div className="row between">
        <p className="muted small">{t('providers.intro')}</p>
        <button type="button" className="btn btn-primary btn-sm" onClick={() => setEditing('new')}>
          {t('providers.add')}
        </button>
      </div>
      {q.error ? <p className="error-text">{errorText(q.error)}</p> : null}
      {q.data?.items.map((p) => <ProviderCard key={String(p.id)} p={p} onEdit={() => setEditing(p)} />)}
      {q.data ? <DefaultsSection providers={q.data.items} /> : null}
      {editing && q.data ? <ProviderForm presets={q.data.presets} existing={editing === 'new' ? undefined : editing} onClose={() => setEditing(null)} /> : null}
    </div>
  );
}

function ProviderCard({ p, onEdit }: { p: AdminProvider; onEdit: () => void }) {
  const { t } = useI18n();
  const confirm = useConfirm();
  const m = useProviderMutations();
  const [result, setResult] = useState<ProbeResult | null>(null);
  const [newModel, setNewModel] = useState('');
  const id = typeof p.id === 'number' ? p.id : null;
  const test = () => id !== null && m.test.mutate({ id }, { onSuccess: setResult });
  const added = new Set(p.models.map((x) => x.name));
  return (
    <section className="settings-sec provider" aria-label={p.name} data-provider={p.name}>
      <div className="row between" style={{ flexWrap: 'wrap', gap: 8 }}>
        <h3 style={{ margin: 0 }}>
          {p.name} <span className="badge">{p.kind}</span> {p.readOnly ? <span className="badge">{t('providers.fromEnv')}</span> : null}{' '}
          {!p.enabled ? <span className="badge">{t('providers.disabled')}</span> : null}
        </h3>
        {id !== null ? (
          <div className="row" style={{ gap: 6 }}>
            <button type="button" className="btn btn-sm" disabled={m.test.isPending} onClick={test}>
              {m.test.isPending && m.test.variables?.id === id ? t('providers.testing') : t('providers.test')}
            </button>
            <button type="button" className="btn btn-sm" onClick={onEdit}>
              {t('common.edit')}
            </button>
            <button
              type="button"
              className="btn btn-sm btn-ghost"
              onClick={async () => {
                if (await confirm(t('providers.confirmDelete'), { title: p.name, danger: true, confirmLabel: t('common.delete') })) m.remove.mutate(id);
              }}
            >
              {t('common.delete')}
            </button>
          </div>
        ) : null}
      </div>
      <p className="muted small break-all">
        {p.baseUrl ?? t('providers.builtIn')}
        {p.readOnly ? ` · ${t('providers.readOnlyHint')}` : ` · ${p.hasKey ? t('providers.keyHint', { hint: p.apiKeyHint ?? '' }) : t('providers.noKey')}`}
        {p.headerNames.length ? ` · ${t('providers.headersList', { names: p.headerNames.join(', ') })}` : ''}
        {p.userKeys ? ` · ${t('providers.userKeysOn')}` : ''}
      </p>
      {result ? <TestResult r={result} onAdd={(name) => id !== null && m.addModel.mutate({ providerId: id, name })} added={added} /> : null}
      {p.models.length ? (
        <div style={{ overflowX: 'auto' }}>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('providers.model')}</th>
                <th scope="col">{t('providers.displayName')}</th>
                <th scope="col">{t('providers.offered')}</th>
                <th scope="col">{t('providers.context')}</th>
                <th scope="col">{t('providers.priceIn')}</th>
                <th scope="col">{t('providers.priceOut')}</th>
                <th scope="col">{t('providers.jsonMode')}</th>
                <th scope="col">{t('providers.streamUsage')}</th>
                {p.readOnly ? null : <th scope="col" />}
              </tr>
            </thead>
            <tbody>
              {p.models.map((model) => (p.readOnly ? <EnvModelRow key={model.key} model={model} /> : <ModelRow key={model.id} model={model} />))}
            </tbody>
          </table>
        </div>
      ) : (
        <p className="muted small">{t('providers.noModels')}</p>
      )}
      {id !== null ? (
        <form
          className="row"
          style={{ gap: 6 }}
          onSubmit={(e) => {
            e.preventDefault();
            if (newModel.trim()) m.addModel.mutate({ providerId: id, name: newModel.trim() }, { onSuccess: () => setNewModel('') });
          }}
        >
          <input aria-label={t('providers.modelName')} placeholder={t('providers.modelName')} value={newModel} maxLength={200} onChange={(e) => setNewModel(e.target.value)} />
          <button type="submit" className="btn btn-sm" disabled={!newModel.trim() || m.addModel.isPending}>
            {t('providers.addModel')}
          </button>
        </form>
      ) : null}
    </section>
  );
}

function TestResult({ r, onAdd, added }: { r: ProbeResult; onAdd: (name: string) => void; added: Set<string> }) {
  const { t } = useI18n();
  const line = (ok: boolean, label: string, latencyMs: number, error?: ProbeError) => (
    <li className={ok ? '' : 'error-text'}>
      {ok ? '✓' : '✗'} {label}: {ok ? t('providers.latency', { ms: latencyMs }) : `${t(PROBE_KEYS[error!.kind])} — ${error!.message}`}
    </li>
  );
  return (
    <div className={r.ok ? '' : 'error-box'} style={r.ok ? OK_BOX : undefined} role="status" data-testid="probe-result">
      <strong>{r.ok ? t('providers.testOk') : t('providers.testFailed')}</strong>
      <ul style={{ margin: '4px 0', paddingLeft: 18 }}>
        {line(r.models.ok, t('providers.testModels'), r.models.latencyMs, r.models.error)}
        {line(r.completion.ok, t('providers.testCompletion', { model: r.completion.model ?? '—' }), r.completion.latencyMs, r.completion.error)}
      </ul>
      {r.models.ids.length ? (
        <div className="chips">
          {r.models.ids.slice(0, 60).map((name) => (
            <button key={name} type="button" className="chip" disabled={added.has(name)} onClick={() => onAdd(name)} title={t('providers.addModel')}>
              {added.has(name) ? '✓ ' : '+ '}
              {name}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}

const OK_BOX = { border: '1px solid var(--success)', borderRadius: 'var(--radius-sm)', padding: '8px 10px' } as const;

const numOrNull = (v: string) => (v.trim() === '' ? null : Number(v));

function ModelRow({ model }: { model: AdminModel }) {
  const { t } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  const m = useProviderMutations();
  const [f, setF] = useState({
    displayName: model.displayName,
    offered: model.offered,
    contextLength: model.contextLength?.toString() ?? '',
    inputPerMillion: model.inputPerMillion?.toString() ?? '',
    outputPerMillion: model.outputPerMillion?.toString() ?? '',
    jsonMode: model.capabilities.jsonMode,
    streamUsage: model.capabilities.streamUsage,
  });
  const save = () =>
    m.updateModel.mutate(
      {
        id: model.id,
        displayName: f.displayName,
        offered: f.offered,
        contextLength: numOrNull(f.contextLength),
        inputPerMillion: numOrNull(f.inputPerMillion),
        outputPerMillion: numOrNull(f.outputPerMillion),
        capabilities: { jsonMode: f.jsonMode, streamUsage: f.streamUsage },
      },
      { onSuccess: () => toast.success((tr) => tr('common.saved')) },
    );
  const label = (k: MessageKey) => `${model.name}: ${t(k)}`;
  return (
    <tr data-model={model.name}>
      <td data-label={t('providers.model')} className="break-all">{model.name}</td>
      <td data-label={t('providers.displayName')}>
        <input aria-label={label('providers.displayName')} value={f.displayName} maxLength={120} onChange={(e) => setF({ ...f, displayName: e.target.value })} />
      </td>
      <td data-label={t('providers.offered')}>
        <input type="checkbox" aria-label={label('providers.offered')} checked={f.offered} onChange={(e) => setF({ ...f, offered: e.target.checked })} />
      </td>
      <td data-label={t('providers.context')}>
        <input type="number" aria-label={label('providers.context')} min={256} style={{ width: 90 }} value={f.contextLength} onChange={(e) => setF({ ...f, contextLength: e.target.value })} />
      </td>
      <td data-label={t('providers.priceIn')}>
        <input type="number" aria-label={label('providers.priceIn')} min={0} step="0.01" style={{ width: 70 }} value={f.inputPerMillion} onChange={(e) => setF({ ...f, inputPerMillion: e.target.value })} />
      </td>
      <td data-label={t('providers.priceOut')}>
        <input type="number" aria-label={label('providers.priceOut')} min={0} step="0.01" style={{ width: 70 }} value={f.outputPerMillion} onChange={(e) => setF({ ...f, outputPerMillion: e.target.value })} />
      </td>
      <td data-label={t('providers.jsonMode')}>
        <select aria-label={label('providers.jsonMode')} value={f.jsonMode} onChange={(e) => setF({ ...f, jsonMode: e.target.value as JsonMode })}>
          <option value="json_schema">json_schema</option>
          <option value="json_object">json_object</option>
          <option value="none">{t('providers.jsonNone')}</option>
        </select>
      </td>
      <td data-label={t('providers.streamUsage')}>
        <input type="checkbox" aria-label={label('providers.streamUsage')} checked={f.streamUsage} onChange={(e) => setF({ ...f, streamUsage: e.target.checked })} />
      </td>
      <td>
        <div className="row" style={{ gap: 4 }}>
          <button type="button" className="btn btn-sm" onClick={save} disabled={m.updateModel.isPending}>
            {t('common.save')}
          </button>
          <button
            type="button"
            className="btn btn-sm btn-ghost"
            onClick={async () => {
              if (await confirm(t('providers.confirmDeleteModel'), { title: model.name, danger: true, confirmLabel: t('common.delete') })) m.removeModel.mutate(model.id);
            }}
          >
            {t('common.delete')}
          </button>
        </div>
      </td>
    </tr>
  );
}

function EnvModelRow({ model }: { model: AdminModel }) {
  const { t } = useI18n();
  return (
    <tr>
      <td data-label={t('providers.model')} className="break-all">{model.name}</td>
      <td data-label={t('providers.displayName')}>{model.displayName}</td>
      <td data-label={t('providers.offered')}>✓</td>
      <td data-label={t('providers.context')}>—</td>
      <td data-label={t('providers.priceIn')}>—</td>
      <td data-label={t('providers.priceOut')}>—</td>
      <td data-label={t('providers.jsonMode')}>{model.capabilities.jsonMode}</td>
      <td data-label={t('providers.streamUsage')}>{model.capabilities.streamUsage ? '✓' : '—'}</td>
    </tr>
  );
}

/** "Name: value" per line, as headers are usually written. */
function parseHeaders(text: string): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const i = line.indexOf(':');
    if (i <= 0) return line;
    out[line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

function ProviderForm({ presets, existing, onClose }: { presets: Preset[]; existing?: AdminProvider; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const toast = useToast();
  const m = useProviderMutations();
  const [f, setF] = useState({
    kind: existing?.kind ?? 'openrouter',
    name: existing?.name ?? 'OpenRouter',
    baseUrl: existing?.baseUrl ?? presets.find((p) => p.kind === 'openrouter')?.baseUrl ?? '',
    apiKey: '',
    removeKey: false,
    headers: '',
    connectTimeoutMs: existing?.connectTimeoutMs ?? 10_000,
    timeoutMs: existing?.timeoutMs ?? 300_000,
    concurrency: existing?.concurrency ?? 16,
    enabled: existing?.enabled ?? true,
    userKeys: existing?.userKeys ?? false,
  });
  const [badHeader, setBadHeader] = useState<string | null>(null);
  const preset = presets.find((p) => p.kind === f.kind);
  const pending = m.create.isPending || m.update.isPending;
  const error = m.create.error ?? m.update.error;

  const choosePreset = (kind: string) => {
    const p = presets.find((x) => x.kind === kind);
    const wasPresetName = presets.some((x) => x.label === f.name) || !f.name;
    setF({ ...f, kind, baseUrl: p?.baseUrl || f.baseUrl, name: wasPresetName && p ? p.label : f.name });
  };

  const submit = () => {
    const headers = f.headers.trim() ? parseHeaders(f.headers) : undefined;
    if (typeof headers === 'string') return setBadHeader(headers);
    setBadHeader(null);
    const body: ProviderInput = {
      name: f.name.trim(),
      // The kinds offered come from the server's presets.
      kind: f.kind as ProviderInput['kind'],
      baseUrl: f.baseUrl.trim(),
      connectTimeoutMs: f.connectTimeoutMs,
      timeoutMs: f.timeoutMs,
      concurrency: f.concurrency,
      enabled: f.enabled,
      userKeys: f.userKeys,
      ...(f.removeKey ? { apiKey: null } : f.apiKey.trim() ? { apiKey: f.apiKey.trim() } : {}),
      ...(headers ? { headers } : {}),
    };
    const done = { onSuccess: () => (toast.success((tr) => tr('common.saved')), onClose()) };
    if (existing && typeof existing.id === 'number') m.update.mutate({ ...body, id: existing.id }, done);
    else m.create.mutate(body, done);
  };

  return (
    <Modal
      title={existing ? t('providers.edit', { name: existing.name }) : t('providers.add')}
      onClose={onClose}
      dismissable={false}
      variant="wide"
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button type="submit" form="provider-form" className="btn btn-primary" disabled={pending || !f.name.trim() || !f.baseUrl.trim()}>
            {t('common.save')}
          </button>
        </>
      }
    >
      <form
        id="provider-form"
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <div className="grid2">
          <label className="field">
            <span>{t('providers.kind')}</span>
            <select name="kind" value={f.kind} onChange={(e) => choosePreset(e.target.value)}>
              {presets.map((p) => (
                <option key={p.kind} value={p.kind}>
                  {p.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>{t('providers.name')}</span>
            <input name="name" required maxLength={80} value={f.name} onChange={(e) => setF({ ...f, name: e.target.value })} />
          </label>
        </div>
        <label className="field">
          <span>{t('providers.baseUrl')}</span>
          <input name="baseUrl" type="url" required inputMode="url" placeholder="https://api.example.com/v1" value={f.baseUrl} onChange={(e) => setF({ ...f, baseUrl: e.target.value })} />
        </label>
        <label className="field">
          <span>
            {t('providers.apiKey')} {preset && !preset.needsKey ? <span className="muted small">{t('providers.keyOptional')}</span> : null}
          </span>
          <input
            name="apiKey"
            type="password"
            autoComplete="off"
            disabled={f.removeKey}
            placeholder={existing?.hasKey ? t('providers.keepKey', { hint: existing.apiKeyHint ?? '' }) : ''}
            value={f.apiKey}
            onChange={(e) => setF({ ...f, apiKey: e.target.value })}
          />
        </label>
        {existing?.hasKey ? (
          <label className="row" style={{ gap: 6 }}>
            <input type="checkbox" checked={f.removeKey} onChange={(e) => setF({ ...f, removeKey: e.target.checked })} /> {t('providers.removeKey')}
          </label>
        ) : null}
        <label className="field">
          <span>
            {t('providers.headers')}{' '}
            <span className="muted small">{existing?.headerNames.length ? t('providers.headersKeep', { names: existing.headerNames.join(', ') }) : t('providers.headersHint')}</span>
          </span>
          <textarea name="headers" rows={2} value={f.headers} placeholder="X-Title: FastNPC" onChange={(e) => setF({ ...f, headers: e.target.value })} />
          {badHeader !== null ? <span className="field-error">{t('providers.badHeader', { line: badHeader })}</span> : null}
        </label>
        <div className="grid3">
          <label className="field">
            <span>{t('providers.connectTimeout')}</span>
            <input type="number" name="connectTimeoutMs" min={100} max={60_000} value={f.connectTimeoutMs} onChange={(e) => setF({ ...f, connectTimeoutMs: Number(e.target.value) })} />
          </label>
          <label className="field">
            <span>{t('providers.timeout')}</span>
            <input type="number" name="timeoutMs" min={1000} max={600_000} value={f.timeoutMs} onChange={(e) => setF({ ...f, timeoutMs: Number(e.target.value) })} />
          </label>
          <label className="field">
            <span>{t('providers.concurrency')}</span>
            <input type="number" name="concurrency" min={1} max={1000} value={f.concurrency} onChange={(e) => setF({ ...f, concurrency: Number(e.target.value) })} />
          </label>
        </div>
        <label className="row" style={{ gap: 6 }}>
          <input type="checkbox" name="enabled" checked={f.enabled} onChange={(e) => setF({ ...f, enabled: e.target.checked })} /> {t('providers.enabled')}
        </label>
        <label className="row" style={{ gap: 6 }}>
          <input type="checkbox" name="userKeys" checked={f.userKeys} onChange={(e) => setF({ ...f, userKeys: e.target.checked })} /> {t('providers.allowUserKeys')}
        </label>
        {error ? (
          <p className="error-text" role="alert">
            {errorText(error)}
          </p>
        ) : null}
      </form>
    </Modal>
  );
}

function DefaultsSection({ providers }: { providers: AdminProvider[] }) {
  const { t, errorText } = useI18n();
  const toast = useToast();
  const q = useLlmDefaults();
  const m = useProviderMutations();
  const all = providers.filter((p) => p.enabled).flatMap((p) => p.models.map((x) => ({ key: x.key, label: `${p.name} · ${x.displayName}` })));
  const labelOf = (key: string) => all.find((x) => x.key === key)?.label ?? key;
  return (
    <section className="settings-sec">
      <h3>{t('providers.defaults')}</h3>
      <p className="muted small">{t('providers.defaultsHint')}</p>
      {q.error ? <p className="error-text">{errorText(q.error)}</p> : null}
      <div className="grid2">
        {q.data?.items.map((d) => (
          <label key={d.purpose} className="field">
            <span>{t(PURPOSE_KEYS[d.purpose])}</span>
            <select
              name={`default-${d.purpose}`}
              value={d.model ?? ''}
              onChange={(e) => m.putDefaults.mutate({ [d.purpose]: e.target.value || null }, { onSuccess: () => toast.success((tr) => tr('common.saved')) })}
            >
              <option value="">{d.model ? t('providers.envDefault') : `${t('providers.envDefault')} (${labelOf(d.effective)})`}</option>
              {all.map((x) => (
                <option key={x.key} value={x.key}>
                  {x.label}
                </option>
              ))}
            </select>
          </label>
        ))}
      </div>
    </section>
  );
}
