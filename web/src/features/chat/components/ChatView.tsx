import { useCallback, type ReactNode } from 'react';
import { Composer } from '../../../components/Composer.js';
import { useConfirm } from '../../../components/Confirm.js';
import { ConversationTools, LoadErrorBanner } from '../../../components/ConversationTools.js';
import { MessageList } from '../../../components/MessageList.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { ChatItem } from '../../../lib/conversation.js';
import { localKey } from '../../../lib/keys.js';
import type { Id } from '../../../lib/types.js';
import { useConversation } from '../../../lib/use-conversation.js';
import { chooseAlternative, clearMessages, deleteMessage, editMessage, exportUrl, getMessages, regenerate, sendMessage } from '../api/messages.js';

export interface ChatViewProps {
  character: { id: Id; name: string; avatarUrl: string | null };
  username: string;
  /** Header slots from the shell (menu button, info button). */
  leading?: ReactNode;
  trailing?: ReactNode;
  /** After a turn or a clear: the shell refreshes lists and memories. */
  onChanged?: () => void;
}

/** The one-to-one conversation: header, streaming message list, composer. */
export function ChatView({ character, username, leading, trailing, onChanged }: ChatViewProps) {
  const { t } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  const id = character.id;
  const load = useCallback((before: Id | null) => getMessages(id, before), [id]);
  const conv = useConversation(`c${id}`, load);
  const { state } = conv;

  const send = async (content: string) => {
    conv.dispatch({ type: 'sent', userKey: localKey('u'), assistantKey: localKey('a'), content, now: Date.now() });
    const err = await conv.runTurn((signal) => sendMessage(id, content, signal));
    if (err) toast.error(err);
    onChanged?.();
  };

  const regen = async () => {
    conv.dispatch({ type: 'regenerate', assistantKey: localKey('a'), now: Date.now() });
    const err = await conv.runTurn((signal) => regenerate(id, signal));
    if (err) toast.error(err);
    // Reload either way: the reply now carries its earlier versions (swipes).
    void conv.reload();
    onChanged?.();
  };

  const sender = (it: ChatItem) => (it.role === 'user' ? { name: username || t('chat.you') } : { name: character.name, avatarUrl: character.avatarUrl });

  return (
    <section className="conversation" aria-label={character.name}>
      <header className="conv-head">
        {leading}
        <h1 className="conv-title ellipsis">{character.name}</h1>
        <ConversationTools
          exportUrl={(format) => exportUrl(id, format)}
          name={character.name}
          canClear={!state.streaming && state.items.length > 0}
          onClear={async () => {
            await clearMessages(id);
            conv.dispatch({ type: 'cleared' });
            onChanged?.();
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
        empty={t('chat.start', { name: character.name })}
        onRegenerate={() => void regen()}
        onChooseAlternative={async (it, index) => {
          if (it.id === null || state.streaming) return;
          try {
            const m = await chooseAlternative(id, it.id, index);
            conv.dispatch({ type: 'edited', id: it.id, content: m.content, editedAt: m.editedAt, alternatives: m.alternatives ?? null });
          } catch (e) {
            toast.error(e);
          }
        }}
        onEdit={async (it, content) => {
          if (it.id === null) return;
          try {
            const m = await editMessage(id, it.id, content);
            conv.dispatch({ type: 'edited', id: it.id, content: m?.content ?? content, editedAt: m?.editedAt ?? Date.now() });
          } catch (e) {
            toast.error(e);
            throw e;
          }
        }}
        onDelete={async (it) => {
          if (it.id === null) return;
          if (!(await confirm(t('chat.confirmDeleteMessage'), { danger: true, confirmLabel: t('common.delete') }))) return;
          try {
            await deleteMessage(id, it.id);
            conv.dispatch({ type: 'deleted', id: it.id });
          } catch (e) {
            toast.error(e);
          }
        }}
      />
      <div className="status-line muted small" aria-live="polite">
        {state.streaming ? t('chat.replying', { name: character.name }) : '\u00a0'}
      </div>
      <Composer onSend={(v) => void send(v)} onStop={conv.stop} streaming={state.streaming} />
    </section>
  );
}
