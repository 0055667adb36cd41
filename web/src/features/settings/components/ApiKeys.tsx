import { useRef, useState } from 'react';
import { useConfirm } from '../../../components/Confirm.js';
import { useFieldErrors } from '../../../components/FieldErrors.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import { useApiKeys, useCreateApiKey, useKeyTargets, useRevokeApiKey, type ApiKey, type KeyTargets } from '../api/api-keys.js';

const EXPIRY_DAYS = [0, 30, 90, 365] as const;

/**
 * API keys for the OpenAI-compatible endpoint (chat apps such as LobeChat, Open WebUI or
 * SillyTavern talk to your characters with one). A new key is shown once, with a copy button.
 */
export function ApiKeys() {
  const { t, errorText } = useI18n();
  const q = useApiKeys();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);
  const targets = useKeyTargets(creating || !!q.data?.items.some((k) => k.scope));
  const baseUrl = `${window.location.origin}/v1`;

  return (
    <section className="settings-sec api-keys" aria-labelledby="api-keys-title">
      <h3 id="api-keys-title">{t('apiKeys.title')}</h3>
      <p className="muted small">{t('apiKeys.hint')}</p>
      <p className="small">
        {t('apiKeys.baseUrl')} <code className="api-key-code">{baseUrl}</code>
      </p>
      {created ? <NewKey {...created} onDone={() => setCreated(null)} /> : null}
      {q.error ? <p className="error-text">{errorText(q.error)}</p> : null}
      {q.data && q.data.items.length === 0 && !creating ? <p className="muted small">{t('apiKeys.none')}</p> : null}
      {q.data?.items.length ? (
        <ul className="api-key-list">
          {q.data.items.map((k) => (
            <KeyRow key={k.id} k={k} targets={targets.data} />
          ))}
        </ul>
      ) : null}
      {creating ? (
        <CreateKey
          targets={targets.data}
          onCancel={() => setCreating(false)}
          onCreated={(name, token) => {
            setCreating(false);
            setCreated({ name, token });
          }}
        />
      ) : (
        <div className="row end">
          <button type="button" className="btn" onClick={() => setCreating(true)}>
            {t('apiKeys.create')}
          </button>
        </div>
      )}
    </section>
  );
}

function NewKey({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const { t } = useI18n();
  const toast = useToast();
  const input = useRef<HTMLInputElement>(null);
  return (
    <div className="notice api-key-new" role="status">
      <strong>{t('apiKeys.createdTitle', { name })}</strong>
      <span className="small">{t('apiKeys.copyOnce')}</span>
      <div className="row api-key-token">
        <input ref={input} readOnly value={token} aria-label={t('apiKeys.token')} onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          className="btn btn-primary"
          onClick={() =>
            navigator.clipboard?.writeText(token).then(
              () => toast.success(t('apiKeys.copied')),
              // No clipboard (plain HTTP on a LAN address): select it for the user to copy.
              () => input.current?.select(),
            )
          }
        >
          {t('common.copy')}
        </button>
        <button type="button" className="btn" onClick={onDone}>
          {t('apiKeys.done')}
        </button>
      </div>
    </div>
  );
}

function KeyRow({ k, targets }: { k: ApiKey; targets: KeyTargets | undefined }) {
  const { t, formatDate } = useI18n();
  const confirm = useConfirm();
  const revoke = useRevokeApiKey();
  const when = (ms: number | null, never: string) => (ms === null ? never : formatDate(new Date(ms).toISOString(), true));
  const expired = k.expiresAt !== null && k.expiresAt <= Date.now();
  const names = (ids: number[] | undefined, list: { id: number; name: string }[] | undefined) => (ids ?? []).map((id) => list?.find((x) => x.id === id)?.name ?? `#${id}`);
  const scope = k.scope ? [...names(k.scope.characterIds, targets?.characters), ...names(k.scope.groupIds, targets?.groups)] : null;
  return (
    <li className="api-key-row">
      <div className="api-key-main">
        <div>
          <strong>{k.name}</strong> <code className="api-key-code">{k.prefix}…</code> {expired ? <span className="badge badge-danger">{t('apiKeys.expired')}</span> : null}
        </div>
        <div className="muted small">
          {t('apiKeys.created', { when: when(k.createdAt, '') })} · {t('apiKeys.lastUsed', { when: when(k.lastUsedAt, t('apiKeys.never')) })} · {t('apiKeys.expires', { when: when(k.expiresAt, t('apiKeys.never')) })}
        </div>
        <div className="muted small">{scope ? t('apiKeys.onlyThese', { names: scope.length ? scope.join('、') : t('apiKeys.nothing') }) : t('apiKeys.everything')}</div>
      </div>
      <button
        type="button"
        className="btn btn-sm btn-danger"
        disabled={revoke.isPending}
        onClick={async () => {
          if (await confirm(t('apiKeys.revokeConfirm'), { danger: true, title: t('apiKeys.revokeTitle', { name: k.name }), confirmLabel: t('apiKeys.revoke') })) revoke.mutate(k.id);
        }}
      >
        {t('apiKeys.revoke')}
      </button>
    </li>
  );
}

function CreateKey({ targets, onCancel, onCreated }: { targets: KeyTargets | undefined; onCancel: () => void; onCreated: (name: string, token: string) => void }) {
  const { t } = useI18n();
  const create = useCreateApiKey();
  const [name, setName] = useState('');
  const [days, setDays] = useState<number>(0);
  const [limited, setLimited] = useState(false);
  const [characterIds, setCharacterIds] = useState<number[]>([]);
  const [groupIds, setGroupIds] = useState<number[]>([]);
  const errs = useFieldErrors(create.error, ['name'], 'api-key-err');
  const toggle = (list: number[], set: (v: number[]) => void, id: number) => set(list.includes(id) ? list.filter((x) => x !== id) : [...list, id]);
  const choices = (items: { id: number; name: string }[], chosen: number[], set: (v: number[]) => void) =>
    items.map((c) => (
      <label key={c.id} className="check">
        <input type="checkbox" checked={chosen.includes(c.id)} onChange={() => toggle(chosen, set, c.id)} /> {c.name}
      </label>
    ));
  return (
    <form
      className="api-key-form"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate(
          { name: name.trim(), expiresInDays: days || null, ...(limited ? { characterIds, groupIds } : {}) },
          { onSuccess: (r) => onCreated(r.key.name, r.token) },
        );
      }}
    >
      <div className="grid2">
        <label className="field">
          <span>{t('apiKeys.name')}</span>
          <input name="apiKeyName" required maxLength={60} placeholder={t('apiKeys.namePlaceholder')} aria-invalid={errs.invalid('name')} aria-describedby={errs.id('name')} value={name} onChange={(e) => setName(e.target.value)} />
          {errs.at('name')}
        </label>
        <label className="field">
          <span>{t('apiKeys.expiry')}</span>
          <select name="apiKeyExpiry" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {EXPIRY_DAYS.map((d) => (
              <option key={d} value={d}>
                {d ? t('apiKeys.days', { days: d }) : t('apiKeys.never')}
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="check">
        <input type="checkbox" checked={limited} onChange={(e) => setLimited(e.target.checked)} /> {t('apiKeys.limit')}
      </label>
      {limited ? (
        <fieldset className="field api-key-scope">
          <legend className="small muted">{t('apiKeys.limitHint')}</legend>
          {targets ? (
            <>
              {choices(targets.characters, characterIds, setCharacterIds)}
              {choices(targets.groups, groupIds, setGroupIds)}
            </>
          ) : (
            <p className="muted small">{t('app.loading')}</p>
          )}
        </fieldset>
      ) : null}
      {errs.rest}
      <div className="row end">
        <button type="button" className="btn" onClick={onCancel}>
          {t('common.cancel')}
        </button>
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()}>
          {t('apiKeys.create')}
        </button>
      </div>
    </form>
  );
}
