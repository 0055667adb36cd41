/**
 * What was really sent to the model for one reply: messages, prompt versions, model, parameters,
 * tokens, latency, fired lore. The owner reads `/api/messages/{id}/inspect` (the chat); an
 * administrator `/api/admin/messages/{id}/inspect` (audited; the console's review).
 */
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { useI18n } from '../i18n/index.js';
import { api, seg } from '../lib/api.js';
import type { Id } from '../lib/types.js';
import { Modal } from './Modal.js';

export interface Inspection {
  messageId: number;
  recorded: boolean;
  model?: string;
  params?: { temperature: number | null; maxTokens: number | null };
  usage?: { promptTokens: number; completionTokens: number };
  latencyMs?: number;
  promptVersions?: { key: string; versionId: number; version: number }[];
  messages?: { role: string; hash: string; content: string }[];
  lore?: { key: string; comment: string; position: string; tokens: number }[];
}

export function InspectDialog({ messageId, asAdmin = false, onClose }: { messageId: Id; asAdmin?: boolean; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const path = `/api${asAdmin ? '/admin' : ''}/messages/${seg(messageId)}/inspect`;
  const q = useQuery({ queryKey: ['inspect', path], queryFn: () => api.get<Inspection>(path), staleTime: Infinity });
  const [copied, setCopied] = useState(false);
  const d = q.data;
  const footer = (
    <>
      {d?.recorded ? (
        <button type="button" className="btn" onClick={() => void navigator.clipboard?.writeText(JSON.stringify(d, null, 2)).then(() => setCopied(true))}>
          {copied ? t('inspect.copied') : t('inspect.copy')}
        </button>
      ) : null}
      <button type="button" className="btn btn-primary" onClick={onClose}>
        {t('common.close')}
      </button>
    </>
  );
  const p = d?.params;
  return (
    <Modal title={t('inspect.title')} onClose={onClose} variant="wide" footer={footer}>
      {q.error ? <p className="error-text">{errorText(q.error)}</p> : null}
      {!d && !q.error ? <p className="muted">{t('app.loading')}</p> : null}
      {d && !d.recorded ? <p className="muted">{t('inspect.notRecorded')}</p> : null}
      {d?.recorded ? (
        <>
          <dl className="kv">
            <div>
              <dt>{t('inspect.model')}</dt>
              <dd>{d.model}</dd>
            </div>
            <div>
              <dt>{t('inspect.params')}</dt>
              <dd>{t('inspect.paramsValue', { temperature: p?.temperature ?? t('inspect.default'), maxTokens: p?.maxTokens ?? t('inspect.default') })}</dd>
            </div>
            <div>
              <dt>{t('inspect.tokens')}</dt>
              <dd>{t('inspect.tokensValue', { prompt: d.usage?.promptTokens ?? 0, completion: d.usage?.completionTokens ?? 0 })}</dd>
            </div>
            <div>
              <dt>{t('inspect.latency')}</dt>
              <dd>{d.latencyMs ?? 0} ms</dd>
            </div>
            <div>
              <dt>{t('inspect.promptVersions')}</dt>
              <dd className="chips">
                {(d.promptVersions ?? []).map((v) => (
                  <span key={v.key} className="chip">
                    {v.key} v{v.version}
                  </span>
                ))}
              </dd>
            </div>
            <div>
              <dt>{t('inspect.lore')}</dt>
              <dd>{d.lore?.length ? d.lore.map((e) => `${e.comment || e.key} (${e.key}, ${e.position}, ${e.tokens})`).join('；') : t('inspect.noLore')}</dd>
            </div>
          </dl>
          <h3>{t('inspect.messages', { n: d.messages?.length ?? 0 })}</h3>
          {(d.messages ?? []).map((m, i) => (
            <div key={`${m.hash}-${i}`} className="inspect-part">
              <span className="badge">{m.role}</span>
              <pre>{m.content}</pre>
            </div>
          ))}
        </>
      ) : null}
    </Modal>
  );
}
