/**
 * The message list of one conversation (one-to-one or group) while it loads, streams and changes.
 *
 * A pure reducer, so the streaming rules can be tested without a browser (test/unit/web/conversation.test.ts).
 * Items are kept oldest first. Keys for new local items come in the actions (the caller makes them),
 * which keeps the reducer deterministic.
 *
 * @example
 *   let s = initialConversation;
 *   s = conversationReducer(s, { type: 'sent', userKey: 'u1', assistantKey: 'a1', content: 'hi', now });
 *   s = conversationReducer(s, { type: 'token', text: 'Hel' });
 *   s = conversationReducer(s, { type: 'done', messageId: 8, userMessageId: 7 });
 */
import type { ReplyDone, TurnEvent, TurnEventData, TurnEventName } from '../../../src/features/conversations/events.js';
import type { Id, Message, MessagePage, SpeakerReason } from './types.js';

/** `unanswered`: a user message whose turn ended with no reply (stored as `failed`). */
export type ItemStatus = 'complete' | 'interrupted' | 'streaming' | 'error' | 'unanswered';

export interface ChatItem {
  /** Stable React key: `m<id>` for stored messages, a local key for ones not yet stored. */
  key: string;
  id: Id | null;
  role: 'user' | 'assistant';
  content: string;
  status: ItemStatus;
  characterId: Id | null;
  /** Group chat: who is speaking, from the `speaker` frame (stored messages map characterId → name). */
  speakerName?: string;
  createdAt: number;
  editedAt: number | null;
  /** Plain-words error shown under a failed reply. */
  error?: string;
  /** Swipes: the shown version and how many there are. */
  alternatives?: { index: number; count: number } | null;
  /** Group replies: why the member was chosen to speak. */
  reason?: SpeakerReason | null;
}

export interface ConversationState {
  items: ChatItem[];
  nextBefore: Id | null;
  loaded: boolean;
  streaming: boolean;
  /** Key of the item receiving tokens, if any. */
  streamKey: string | null;
}

export const initialConversation: ConversationState = { items: [], nextBefore: null, loaded: false, streaming: false, streamKey: null };

export type ConversationAction =
  | { type: 'reset' }
  /** The newest page. `merge` keeps already loaded older items (used to resync after a stream). */
  | { type: 'loaded'; page: MessagePage; merge?: boolean }
  | { type: 'olderLoaded'; page: MessagePage }
  /** The user sent a message. One-to-one passes `assistantKey` for the reply placeholder; groups add speakers later. */
  | { type: 'sent'; userKey: string; assistantKey?: string; content: string; now: number }
  /** Regenerate: the last reply is replaced by a new placeholder. */
  | { type: 'regenerate'; assistantKey: string; now: number }
  /** Group chat: a new speaker starts; the previous streaming item (if any) is closed. */
  | { type: 'speaker'; key: string; characterId: Id; name: string; now: number }
  | { type: 'token'; text: string }
  /** Group chat: the current speaker's message is stored. */
  | { type: 'messageDone'; messageId: Id }
  | { type: 'done'; messageId?: Id; userMessageId?: Id }
  | { type: 'failed'; message: string }
  | { type: 'aborted' }
  | { type: 'edited'; id: Id; content: string; editedAt: number | null; alternatives?: ChatItem['alternatives'] }
  | { type: 'deleted'; id: Id }
  | { type: 'cleared' };

export function fromMessage(m: Message): ChatItem {
  return {
    key: `m${m.id}`,
    id: m.id,
    role: m.role,
    content: m.content,
    status: m.status === 'interrupted' ? 'interrupted' : m.status === 'failed' ? 'unanswered' : 'complete',
    characterId: m.characterId ?? null,
    alternatives: m.alternatives ?? null,
    ...(m.reason ? { reason: m.reason } : {}),
    createdAt: m.createdAt,
    editedAt: m.editedAt ?? null,
  };
}

/** Server pages are newest first; the list is oldest first. */
function pageItems(page: MessagePage): ChatItem[] {
  return [...page.items].reverse().map(fromMessage);
}

const sameId = (a: Id | null, b: Id | null) => a !== null && b !== null && String(a) === String(b);

function updateStreaming(s: ConversationState, f: (it: ChatItem) => ChatItem): ChatItem[] {
  if (!s.streamKey) return s.items;
  return s.items.map((it) => (it.key === s.streamKey ? f(it) : it));
}

export function conversationReducer(s: ConversationState, a: ConversationAction): ConversationState {
  switch (a.type) {
    case 'reset':
      return initialConversation;

    case 'loaded': {
      const fresh = pageItems(a.page);
      if (a.merge && s.items.length && fresh.length) {
        const oldest = fresh[0];
        const idx = s.items.findIndex((it) => sameId(it.id, oldest.id));
        if (idx > 0) {
          const older = s.items.slice(0, idx).filter((it) => it.id !== null);
          return { ...s, items: [...older, ...fresh], loaded: true, streaming: false, streamKey: null };
        }
      }
      return { items: fresh, nextBefore: a.page.nextBefore, loaded: true, streaming: false, streamKey: null };
    }

    case 'olderLoaded': {
      const known = new Set(s.items.filter((it) => it.id !== null).map((it) => String(it.id)));
      const older = pageItems(a.page).filter((it) => !known.has(String(it.id)));
      return { ...s, items: [...older, ...s.items], nextBefore: a.page.nextBefore };
    }

    case 'sent': {
      const user: ChatItem = { key: a.userKey, id: null, role: 'user', content: a.content, status: 'complete', characterId: null, createdAt: a.now, editedAt: null };
      const items = [...s.items, user];
      if (a.assistantKey) {
        items.push({ key: a.assistantKey, id: null, role: 'assistant', content: '', status: 'streaming', characterId: null, createdAt: a.now, editedAt: null });
      }
      return { ...s, items, streaming: true, streamKey: a.assistantKey ?? null };
    }

    case 'regenerate': {
      // Drop the replies after the last user message (the server replaces them).
      let lastUser = -1;
      for (let i = s.items.length - 1; i >= 0; i--) if (s.items[i].role === 'user') { lastUser = i; break; }
      const kept = s.items.slice(0, lastUser + 1);
      const characterId = s.items.slice(lastUser + 1).find((it) => it.role === 'assistant')?.characterId ?? null;
      const placeholder: ChatItem = { key: a.assistantKey, id: null, role: 'assistant', content: '', status: 'streaming', characterId, createdAt: a.now, editedAt: null };
      return { ...s, items: [...kept, placeholder], streaming: true, streamKey: a.assistantKey };
    }

    case 'speaker': {
      const closed = updateStreaming(s, (it) => ({ ...it, status: it.status === 'streaming' ? 'complete' : it.status }));
      const item: ChatItem = { key: a.key, id: null, role: 'assistant', content: '', status: 'streaming', characterId: a.characterId, speakerName: a.name, createdAt: a.now, editedAt: null };
      return { ...s, items: [...closed, item], streaming: true, streamKey: a.key };
    }

    case 'token':
      if (!s.streamKey || !a.text) return s;
      return { ...s, items: updateStreaming(s, (it) => ({ ...it, content: it.content + a.text })) };

    case 'messageDone':
      return { ...s, items: updateStreaming(s, (it) => ({ ...it, id: a.messageId, status: 'complete' })), streamKey: null };

    case 'done': {
      let items = updateStreaming(s, (it) => ({ ...it, id: a.messageId ?? it.id, status: 'complete' }));
      if (a.userMessageId !== undefined) {
        // The user message of this turn is the last one without an id.
        for (let i = items.length - 1; i >= 0; i--) {
          if (items[i].role === 'user' && items[i].id === null) {
            items = items.map((it, j) => (j === i ? { ...it, id: a.userMessageId as Id } : it));
            break;
          }
        }
      }
      return { ...s, items, streaming: false, streamKey: null };
    }

    case 'failed':
      return {
        ...s,
        items: updateStreaming(s, (it) => ({ ...it, status: 'error', error: a.message })),
        streaming: false,
        streamKey: null,
      };

    case 'aborted': {
      // An empty placeholder says nothing: drop it. A partial reply stays, marked interrupted (the server keeps it too).
      const items = s.items
        .filter((it) => !(it.key === s.streamKey && it.content === ''))
        .map((it) => (it.key === s.streamKey ? { ...it, status: 'interrupted' as const } : it));
      return { ...s, items, streaming: false, streamKey: null };
    }

    case 'edited':
      return { ...s, items: s.items.map((it) => (sameId(it.id, a.id) ? { ...it, content: a.content, editedAt: a.editedAt, ...(a.alternatives !== undefined ? { alternatives: a.alternatives } : {}) } : it)) };

    case 'deleted':
      return { ...s, items: s.items.filter((it) => !sameId(it.id, a.id)) };

    case 'cleared':
      return { ...initialConversation, loaded: true };
  }
}

/** The last assistant item, if the conversation ends with one (regenerate applies to it). */
export function lastReply(s: ConversationState): ChatItem | undefined {
  const last = s.items[s.items.length - 1];
  return last && last.role === 'assistant' ? last : undefined;
}

/**
 * One SSE frame as a typed turn event (the server's own type, src/features/conversations/events.ts),
 * or `null` for an unknown event or malformed data: a newer server's extra events are ignored.
 */
export function decodeTurnEvent(event: string, data: unknown): TurnEvent | null {
  const d = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const name = event as TurnEventName;
  switch (name) {
    case 'token':
      return typeof d.text === 'string' ? { event: name, data: { text: d.text } } : null;
    case 'speaker':
      return d.characterId != null ? { event: name, data: { characterId: d.characterId as number, name: typeof d.name === 'string' ? d.name : '' } } : null;
    case 'message_done':
      return d.messageId != null ? { event: name, data: { messageId: d.messageId as number } } : null;
    case 'done':
      return { event: name, data: d as unknown as TurnEventData['done'] };
    case 'error':
      return { event: name, data: { code: typeof d.code === 'string' ? d.code : 'error', message: typeof d.message === 'string' ? d.message : typeof d.code === 'string' ? d.code : 'error' } };
    default:
      return null;
  }
}

/**
 * One SSE frame of a turn (one-to-one or group) as a reducer action; `null` for frames that change
 * nothing. `key` and `now` are for a new speaker's item.
 *
 * Frames: `token {text}`, `speaker {characterId, name}`, `message_done {messageId}`,
 * `done {messageId?, userMessageId?}`, `error {code, message}`.
 */
export function frameToAction(event: string, data: unknown, key: string, now: number): ConversationAction | null {
  const e = decodeTurnEvent(event, data);
  if (!e) return null;
  switch (e.event) {
    case 'token':
      return { type: 'token', text: e.data.text };
    case 'speaker':
      return { type: 'speaker', key, characterId: e.data.characterId, name: e.data.name, now };
    case 'message_done':
      return { type: 'messageDone', messageId: e.data.messageId };
    case 'done': {
      const a: ConversationAction = { type: 'done' };
      const d = e.data as Partial<ReplyDone>;
      if (d.messageId != null) a.messageId = d.messageId;
      if (d.userMessageId != null) a.userMessageId = d.userMessageId;
      return a;
    }
    case 'error':
      return { type: 'failed', message: e.data.message };
    default: {
      const unhandled: never = e;
      return unhandled;
    }
  }
}
