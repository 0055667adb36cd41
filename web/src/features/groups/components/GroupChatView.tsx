import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Composer } from '../../../components/Composer.js';
import { useConfirm } from '../../../components/Confirm.js';
import { ConversationTools, LoadErrorBanner } from '../../../components/ConversationTools.js';
import { MessageList } from '../../../components/MessageList.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { ChatItem } from '../../../lib/conversation.js';
import { localKey } from '../../../lib/keys.js';
import type { Group, Id, SpeakerReason } from '../../../lib/types.js';
import { useConversation } from '../../../lib/use-conversation.js';
import {
  chooseGroupAlternative,
  clearGroupMessages,
  deleteGroupMessage,
  editGroupMessage,
  getGroupMessages,
  groupExportUrl,
  letMemberSpeak,
  regenerateGroupReply,
  sendGroupMessage,
} from '../api/group-messages.js';
import { GroupInspectDialog } from './GroupInspectDialog.js';

export interface GroupChatViewProps {
  group: Group;
  username: string;
  leading?: ReactNode;
  trailing?: ReactNode;
}

const REASONS = ['mention', 'addressed', 'only_choice', 'round_robin', 'everyone_once', 'manual', 'requested', 'moderator', 'moderator_draw', 'moderator_failed'] as const;

/**
 * A group conversation. The server runs the rounds (who speaks is decided there) and streams each
 * speaker's reply; `speaker` frames start a new bubble under that character's name. Each reply says
 * why its member spoke; any member can be asked to speak now; muted members show as such.
 */
export function GroupChatView({ group, username, leading, trailing }: GroupChatViewProps) {
  const { t } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  const id = group.id;
  const load = useCallback((before: Id | null) => getGroupMessages(id, before), [id]);
  const conv = useConversation(`g${id}`, load);
  const { state } = conv;
  const [speaker, setSpeaker] = useState<string>('');
  const [inspecting, setInspecting] = useState<{ id: Id; title: string; text: string } | null>(null);
  const manual = group.mode === 'manual';
  const now = Date.now();
  const isMuted = (m: Group['members'][number]) => m.mutedUntil != null && m.mutedUntil > now;

  useEffect(() => {
    if (manual && !group.members.some((m) => String(m.characterId) === speaker)) setSpeaker(group.members[0] ? String(group.members[0].characterId) : '');
  }, [manual, group.members, speaker]);

  const byId = new Map(group.members.map((m) => [String(m.characterId), m]));
  const sender = (it: ChatItem) => {
    if (it.role === 'user') return { name: username || t('chat.you') };
    const m = it.characterId !== null ? byId.get(String(it.characterId)) : undefined;
    return { name: m?.name ?? it.speakerName ?? '?', avatarUrl: m?.avatarUrl ?? null };
  };
  const streamingItem = state.streamKey ? state.items.find((it) => it.key === state.streamKey) : undefined;

  const reasonText = (r: SpeakerReason) => {
    const rule = (REASONS as readonly string[]).includes(r.by) ? t(`group.reason.${r.by as (typeof REASONS)[number]}`, { score: r.score !== undefined ? r.score.toFixed(2) : '' }) : r.by;
    return r.reason ? `${rule} · ${r.reason}` : rule;
  };
  const reasonBadge = (it: ChatItem) => {
    if (it.role !== 'assistant' || !it.reason) return null;
    const text = t('group.reason.label', { name: sender(it).name, reason: reasonText(it.reason) });
    return (
      <button type="button" className="reason-badge" aria-label={text} data-tip={text} onClick={() => it.id !== null && setInspecting({ id: it.id, title: t('group.inspect.title', { name: sender(it).name }), text })}>
        {t('group.reason.why')}
      </button>
    );
  };

  const send = async (content: string) => {
    conv.dispatch({ type: 'sent', userKey: localKey('u'), content, now: Date.now() });
    const speakerId = manual && speaker ? group.members.find((m) => String(m.characterId) === speaker)?.characterId : undefined;
    const err = await conv.runTurn((signal) => sendGroupMessage(id, content, speakerId, signal), { resync: true });
    if (err) toast.error(err);
  };

  /** A one-reply turn (regenerate, let speak): its `speaker` frame opens the bubble; the list resyncs for ids and swipes. */
  const oneReply = async (open: (signal: AbortSignal) => Promise<Response>) => {
    const err = await conv.runTurn(open, { resync: true });
    if (err) {
      toast.error(err);
      void conv.reload();
    }
  };

  const regenerate = async () => {
    const last = state.items[state.items.length - 1];
    if (!last || last.role !== 'assistant' || last.id === null) return;
    conv.dispatch({ type: 'deleted', id: last.id });
    await oneReply((signal) => regenerateGroupReply(id, signal));
  };

  return (
    <section className="conversation" aria-label={group.name}>
      <header className="conv-head">
        {leading}
        <h1 className="conv-title ellipsis">
          {group.name} <span className="muted small">{t('group.memberCount', { count: group.members.length })}</span>
        </h1>
        <ConversationTools
          exportUrl={(format) => groupExportUrl(id, format)}
          name={group.name}
          canClear={!state.streaming && state.items.length > 0}
          onClear={async () => {
            await clearGroupMessages(id);
            conv.dispatch({ type: 'cleared' });
          }}
          trailing={trailing}
        />
      </header>
      <LoadErrorBanner error={conv.loadError} onRetry={() => void conv.reload()} />
      {conv.retryIn !== null && (
        <p className="muted small" role="status">
          {t('chat.busyRetrying', { seconds: conv.retryIn })}
        </p>
      )}
      <MessageList
        items={state.items}
        loaded={state.loaded}
        hasOlder={state.nextBefore !== null}
        loadingOlder={conv.loadingOlder}
        onLoadOlder={() => void conv.loadOlder()}
        streaming={state.streaming}
        senderFor={sender}
        metaFor={reasonBadge}
        empty={t('chat.start', { name: group.members.map((m) => m.name).join('、') })}
        onRegenerate={() => void regenerate()}
        onChooseAlternative={async (it, index) => {
          if (it.id === null || state.streaming) return;
          try {
            const m = await chooseGroupAlternative(id, it.id, index);
            conv.dispatch({ type: 'edited', id: it.id, content: m.content, editedAt: m.editedAt, alternatives: m.alternatives ?? null });
          } catch (e) {
            toast.error(e);
          }
        }}
        onEdit={async (it, content) => {
          if (it.id === null) return;
          try {
            const m = await editGroupMessage(id, it.id, content);
            conv.dispatch({ type: 'edited', id: it.id, content: m.content, editedAt: m.editedAt });
          } catch (e) {
            toast.error(e);
            throw e;
          }
        }}
        onDelete={async (it) => {
          if (it.id === null) return;
          if (!(await confirm(t('chat.confirmDeleteMessage'), { danger: true, confirmLabel: t('common.delete') }))) return;
          try {
            await deleteGroupMessage(id, it.id);
            conv.dispatch({ type: 'deleted', id: it.id });
          } catch (e) {
            toast.error(e);
          }
        }}
      />
      <div className="status-line muted small" aria-live="polite">
        {state.streaming ? (streamingItem ? t('chat.replying', { name: sender(streamingItem).name }) : t('chat.thinking')) : '\u00a0'}
      </div>
      <div className="speak-row" role="group" aria-label={t('group.letSpeak')}>
        <span className="muted small">{t('group.letSpeak')}</span>
        {group.members.map((m) => (
          <button
            key={m.characterId}
            type="button"
            className={`chip ${isMuted(m) ? 'muted-member' : ''}`}
            disabled={state.streaming}
            aria-label={t('group.letSpeakName', { name: m.name })}
            title={isMuted(m) ? `${t('group.letSpeakName', { name: m.name })} · ${t('group.muted')}` : t('group.letSpeakName', { name: m.name })}
            onClick={() => void oneReply((signal) => letMemberSpeak(id, m.characterId, signal))}
          >
            {m.name}
            {isMuted(m) ? <span className="muted small">· {t('group.muted')}</span> : null}
          </button>
        ))}
      </div>
      {inspecting ? <GroupInspectDialog messageId={inspecting.id} title={inspecting.title} reasonText={inspecting.text} onClose={() => setInspecting(null)} /> : null}
      <Composer
        onSend={(v) => void send(v)}
        onStop={conv.stop}
        streaming={state.streaming}
        mentions={group.members.map((m) => m.name)}
        extra={
          manual ? (
            <label className="speaker-pick">
              <span className="visually-hidden">{t('group.speaker')}</span>
              <select aria-label={t('group.speaker')} value={speaker} onChange={(e) => setSpeaker(e.target.value)}>
                {group.members.map((m) => (
                  <option key={m.characterId} value={String(m.characterId)}>
                    {m.name}
                  </option>
                ))}
              </select>
            </label>
          ) : undefined
        }
      />
    </section>
  );
}
