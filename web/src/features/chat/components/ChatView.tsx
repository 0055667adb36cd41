import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { Composer } from '../../../components/Composer.js';
import { useConfirm } from '../../../components/Confirm.js';
import { ConversationTools, LoadErrorBanner } from '../../../components/ConversationTools.js';
import { Icon } from '../../../components/Icon.js';
import { InspectDialog } from '../../../components/InspectDialog.js';
import { MessageList } from '../../../components/MessageList.js';
import { PersonaSelect } from '../../../components/PersonaSelect.js';
import { useToast } from '../../../components/Toast.js';
import { useI18n } from '../../../i18n/index.js';
import type { ChatItem } from '../../../lib/conversation.js';
import { localKey } from '../../../lib/keys.js';
import type { Id, Persona } from '../../../lib/types.js';
import { useConversation } from '../../../lib/use-conversation.js';
import { chatLabel, useChatMutations, useChats } from '../api/chats.js';
import { chooseAlternative, clearMessages, deleteMessage, editAndRegenerate, editMessage, exportUrl, getMessages, regenerate, sendMessage, type ChatTarget } from '../api/messages.js';
import { ChatsDialog } from './ChatsDialog.js';

export interface ChatViewProps {
  character: { id: Id; name: string; avatarUrl: string | null };
  username: string;
  /** The chat in the URL; none = the character's current chat (the view then puts its id in the URL). */
  chatId?: Id;
  /** Opens a chat of this character (`null`: its current chat); `replace` for corrections. */
  onOpenChat: (chatId: Id | null, replace?: boolean) => void;
  /** The user's personas, for the chat's persona picker. */
  personas: Persona[];
  /** Header slots from the shell (menu button, info button). */
  leading?: ReactNode;
  trailing?: ReactNode;
  /** After a turn or a clear: the shell refreshes lists and memories. */
  onChanged?: () => void;
}

/** The one-to-one conversation: header (chat switcher, persona), streaming message list, composer. */
export function ChatView({ character, username, chatId, onOpenChat, personas, leading, trailing, onChanged }: ChatViewProps) {
  const { t, formatDate } = useI18n();
  const toast = useToast();
  const confirm = useConfirm();
  const id = character.id;
  const chats = useChats(id);
  const chatMutations = useChatMutations(id);
  const [switcher, setSwitcher] = useState(false);
  const list = chats.data;
  const chat = chatId !== undefined ? list?.find((c) => String(c.id) === String(chatId)) : undefined;

  // Without a chat in the URL the character's routes are the target (they go to its current chat,
  // and are asked beside the chat list, not after it).
  const target: ChatTarget = chatId !== undefined ? { chatId } : { characterId: id };
  const targetRef = useRef(target);
  targetRef.current = target;
  // The chat the character's routes turned out to be (its current one), once the URL names it.
  // Moving there is no new conversation: the messages on screen, their scroll position and the
  // typed text stay, and nothing is fetched again (this used to reload the list from scratch).
  const adopted = useRef<string | null>(null);
  // Back to no chat in the URL (the open chat was deleted, or the character picked again): the
  // character's routes may now mean another chat, so that is a new conversation.
  const epoch = useRef(0);
  const lastChatId = useRef(chatId);
  if (lastChatId.current !== chatId) {
    if (chatId === undefined) {
      epoch.current++;
      adopted.current = null;
    }
    lastChatId.current = chatId;
  }
  const ownKey = `c${id}.${epoch.current}`;
  const convKey = chatId === undefined || String(chatId) === adopted.current ? ownKey : `chat:${chatId}`;
  const load = useCallback((before: Id | null) => getMessages(targetRef.current, before), []);
  const conv = useConversation(convKey, load);
  const { state } = conv;

  // No chat in the URL: open the current one (the most recently used); a character with no chat
  // yet talks through its own routes until its first chat exists. Never while a reply streams:
  // the first message creates the first chat (it moves to the chat's URL once the turn is over).
  useEffect(() => {
    if (!list || chats.isFetching || state.streaming) return;
    if (chatId === undefined && list.length) {
      if (convKey === ownKey) adopted.current = String(list[0].id);
      onOpenChat(list[0].id, true);
    } else if (chatId !== undefined && !chat) onOpenChat(list[0]?.id ?? null, true);
  }, [list, chats.isFetching, chatId, chat, onOpenChat, state.streaming, convKey, ownKey]);

  // A character's first look creates its first chat (with the greeting): list it, so the URL gets its id.
  const firstLook = !('chatId' in target) && list?.length === 0 && state.loaded && state.items.length > 0;
  useEffect(() => {
    if (firstLook) void chatMutations.refresh();
  }, [firstLook]); // eslint-disable-line react-hooks/exhaustive-deps -- refresh is stable in effect

  const afterTurn = () => {
    onChanged?.();
    void chatMutations.refresh();
  };

  const send = async (content: string) => {
    conv.dispatch({ type: 'sent', userKey: localKey('u'), assistantKey: localKey('a'), content, now: Date.now() });
    const err = await conv.runTurn((signal) => sendMessage(target, content, signal));
    if (err) toast.error(err);
    afterTurn();
  };

  const regen = async () => {
    conv.dispatch({ type: 'regenerate', assistantKey: localKey('a'), now: Date.now() });
    const err = await conv.runTurn((signal) => regenerate(target, signal));
    if (err) toast.error(err);
    // Reload either way: the reply now carries its earlier versions (swipes).
    void conv.reload();
    afterTurn();
  };

  const [inspecting, setInspecting] = useState<Id | null>(null);
  const editAndRegen = async (it: ChatItem, content: string) => {
    if (it.id === null) return;
    const messageId = it.id;
    conv.dispatch({ type: 'edited', id: messageId, content, editedAt: Date.now() });
    conv.dispatch({ type: 'regenerate', assistantKey: localKey('a'), now: Date.now() });
    const err = await conv.runTurn((signal) => editAndRegenerate(target, messageId, content, signal));
    if (err) toast.error(err);
    void conv.reload();
    afterTurn();
  };

  const defaultPersona = personas.find((p) => p.isDefault);
  const playing = chat?.personaId != null ? personas.find((p) => String(p.id) === String(chat.personaId)) : defaultPersona;
  const me = playing?.name ?? (username || t('chat.you'));
  const sender = (it: ChatItem) => (it.role === 'user' ? { name: me, avatarUrl: playing?.avatarUrl } : { name: character.name, avatarUrl: character.avatarUrl });
  const dateOf = useMemo(() => (ms: number) => formatDate(new Date(ms).toISOString(), true), [formatDate]);

  return (
    <section className="conversation" aria-label={character.name}>
      <header className="conv-head">
        {leading}
        <div className="conv-title-block">
          <h1 className="conv-title ellipsis">{character.name}</h1>
          <button
            type="button"
            className="chat-switch ellipsis"
            aria-haspopup="dialog"
            aria-label={chat ? `${t('chats.open')} · ${chatLabel(chat, dateOf)}` : t('chats.open')}
            onClick={() => setSwitcher(true)}
            title={t('chats.open')}
          >
            <Icon name="chat" size={14} /> <span className="ellipsis">{chat ? chatLabel(chat, dateOf) : t('chats.open')}</span> <span aria-hidden="true">▾</span>
          </button>
        </div>
        {chat && personas.length ? (
          <div className="persona-pick">
            <PersonaSelect
              personas={personas}
              value={chat.personaId}
              disabled={state.streaming || chatMutations.update.isPending}
              onChange={(personaId) =>
                chatMutations.update.mutate(
                  { chatId: chat.id, personaId },
                  {
                    onSuccess: () => {
                      const p = personaId === null ? defaultPersona : personas.find((x) => x.id === personaId);
                      toast.success(t('persona.changed', { name: p?.name ?? username }));
                      // Greetings show {{user}} as the persona's name.
                      void conv.reload();
                    },
                  },
                )
              }
            />
          </div>
        ) : null}
        <ConversationTools
          exportUrl={(format) => exportUrl(target, format)}
          name={character.name}
          canClear={!state.streaming && state.items.length > 0}
          onClear={async () => {
                    await clearMessages(target);
            // A cleared chat opens with the greeting again.
            await conv.reload();
            onChanged?.();
          }}
          trailing={trailing}
        />
      </header>
      <LoadErrorBanner error={conv.loadError ?? chats.error} onRetry={() => void (chats.error ? chats.refetch() : conv.reload())} />
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
        onEditAndRegenerate={editAndRegen}
        onInspect={(it) => setInspecting(it.id)}
        onChooseAlternative={async (it, index) => {
          if (it.id === null || state.streaming) return;
          try {
            const m = await chooseAlternative(target, it.id, index);
            conv.dispatch({ type: 'edited', id: it.id, content: m.content, editedAt: m.editedAt, alternatives: m.alternatives ?? null });
          } catch (e) {
            toast.error(e);
          }
        }}
        onEdit={async (it, content) => {
          if (it.id === null) return;
          try {
            const m = await editMessage(target, it.id, content);
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
            await deleteMessage(target, it.id);
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
      {switcher ? (
        <ChatsDialog
          characterName={character.name}
          chats={list ?? []}
          activeId={chat?.id ?? null}
          busy={state.streaming}
          mutations={chatMutations}
          dateOf={dateOf}
          onOpen={(cid) => {
            setSwitcher(false);
            onOpenChat(cid);
          }}
          onDeleted={(cid) => {
            if (chat && String(chat.id) === String(cid)) onOpenChat(null, true);
          }}
          onClose={() => setSwitcher(false)}
        />
      ) : null}
      {inspecting !== null ? <InspectDialog messageId={inspecting} onClose={() => setInspecting(null)} /> : null}
    </section>
  );
}
