import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { Composer } from '../../../components/Composer.js';
import { ConversationTools, LoadErrorBanner } from '../../../components/ConversationTools.js';
import { MessageList } from '../../../components/MessageList.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { ChatItem } from '../../../lib/conversation.js';
import { localKey } from '../../../lib/keys.js';
import type { Group, Id } from '../../../lib/types.js';
import { useConversation } from '../../../lib/use-conversation.js';
import { clearGroupMessages, getGroupMessages, groupExportUrl, sendGroupMessage } from '../api/group-messages.js';

export interface GroupChatViewProps {
  group: Group;
  username: string;
  leading?: ReactNode;
  trailing?: ReactNode;
}

/**
 * A group conversation. The server runs the rounds (who speaks is decided there) and streams each
 * speaker's reply; `speaker` frames start a new bubble under that character's name.
 */
export function GroupChatView({ group, username, leading, trailing }: GroupChatViewProps) {
  const { t } = useI18n();
  const toast = useToast();
  const id = group.id;
  const load = useCallback((before: Id | null) => getGroupMessages(id, before), [id]);
  const conv = useConversation(`g${id}`, load);
  const { state } = conv;
  const [speaker, setSpeaker] = useState<string>('');
  const manual = group.mode === 'manual';

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

  const send = async (content: string) => {
    conv.dispatch({ type: 'sent', userKey: localKey('u'), content, now: Date.now() });
    const speakerId = manual && speaker ? group.members.find((m) => String(m.characterId) === speaker)?.characterId : undefined;
    const err = await conv.runTurn((signal) => sendGroupMessage(id, content, speakerId, signal), { resync: true });
    if (err) toast.error(err);
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
        empty={t('chat.start', { name: group.members.map((m) => m.name).join('、') })}
      />
      <div className="status-line muted small" aria-live="polite">
        {state.streaming ? (streamingItem ? t('chat.replying', { name: sender(streamingItem).name }) : t('chat.thinking')) : '\u00a0'}
      </div>
      <Composer
        onSend={(v) => void send(v)}
        onStop={conv.stop}
        streaming={state.streaming}
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
