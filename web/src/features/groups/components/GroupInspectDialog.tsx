/** Why a member spoke, the moderator's call that chose it, and what was really sent for the reply. */
import { useQuery } from '@tanstack/react-query';
import { Modal } from '../../../components/Modal.js';
import { useI18n } from '../../../i18n/index.js';
import type { Id } from '../../../lib/types.js';
import { inspectMessage } from '../api/group-messages.js';

export function GroupInspectDialog({ messageId, title, reasonText, onClose }: { messageId: Id; title: string; reasonText: string; onClose: () => void }) {
  const { t, errorText } = useI18n();
  const q = useQuery({ queryKey: ['groups', 'inspect', String(messageId)], queryFn: () => inspectMessage(messageId) });
  const v = q.data;
  return (
    <Modal title={title} onClose={onClose} variant="wide">
      <div className="lore-page inspect">
        <p>{reasonText}</p>
        {q.isPending ? <p className="muted">{t('app.loading')}</p> : null}
        {q.error ? <p className="error-text" role="alert">{errorText(q.error)}</p> : null}
        {v?.moderator ? (
          <section className="info-sec">
            <h3>{t('group.inspect.moderator')}</h3>
            <dl className="kv">
              <div>
                <dt>{t('group.inspect.outcome')}</dt>
                <dd>{v.moderator.error ? `${v.moderator.outcome} (${v.moderator.error})` : v.moderator.outcome}</dd>
              </div>
              <div>
                <dt>{t('group.inspect.candidates')}</dt>
                <dd>{v.moderator.candidates.join('、')}</dd>
              </div>
              <div>
                <dt>{t('group.inspect.model')}</dt>
                <dd>
                  {v.moderator.model} · {v.moderator.latencyMs} ms
                </dd>
              </div>
            </dl>
            <h4 className="small">{t('group.inspect.answer')}</h4>
            {v.moderator.raw.length ? v.moderator.raw.map((text, i) => <pre key={i} className="inspect-pre">{text}</pre>) : <pre className="inspect-pre">{v.moderator.answer === null ? '—' : JSON.stringify(v.moderator.answer, null, 2)}</pre>}
            <details>
              <summary className="small">{t('group.inspect.prompt')}</summary>
              <pre className="inspect-pre">{v.moderator.prompt}</pre>
            </details>
          </section>
        ) : null}
        {v?.recorded ? (
          <section className="info-sec">
            <h3>{t('group.inspect.sent')}</h3>
            <p className="muted small">
              {v.model} · {t('group.inspect.tokens', { in: v.usage?.promptTokens ?? 0, out: v.usage?.completionTokens ?? 0 })} · {v.latencyMs} ms
            </p>
            {(v.messages ?? []).map((m, i) => (
              <details key={i}>
                <summary className="small">
                  {m.role} · {m.content.length}
                </summary>
                <pre className="inspect-pre">{m.content}</pre>
              </details>
            ))}
          </section>
        ) : v ? (
          <p className="muted small">{t('group.inspect.notRecorded')}</p>
        ) : null}
      </div>
    </Modal>
  );
}
