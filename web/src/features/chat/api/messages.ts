/** One-to-one conversation requests. Messages live in the streaming reducer (lib/use-conversation), not the query cache. */
import { api, qs, seg, exportQuery } from '../../../lib/api.js';
import type { Id, Message, MessagePage } from '../../../lib/types.js';

/**
 * Which conversation a request addresses: one chat by id, or a character's current chat (the
 * one it was last used in; a character without any gets its first chat on first look).
 */
export type ChatTarget = { chatId: Id } | { characterId: Id };

const root = (t: ChatTarget) => ('chatId' in t ? `/api/chats/${seg(t.chatId)}` : `/api/characters/${seg(t.characterId)}`);
const base = (t: ChatTarget) => `${root(t)}/messages`;

/** Newest first; pass `nextBefore` of the previous page for older ones. */
export const getMessages = (target: ChatTarget, before: Id | null, limit = 30) => api.get<MessagePage>(`${base(target)}${qs({ before, limit })}`);

/** Opens the SSE stream of a turn: `token`… then `done` or `error`. */
export const sendMessage = (target: ChatTarget, content: string, signal: AbortSignal) => api.stream('POST', base(target), { content }, signal);

/** Writes the last reply again (the old one stays as an alternative); streams like a turn. */
export const regenerate = (target: ChatTarget, signal: AbortSignal) => api.stream('POST', `${base(target)}/regenerate`, {}, signal);

/** Saves an edit of the last user message and answers it again; streams like a turn. */
export const editAndRegenerate = (target: ChatTarget, messageId: Id, content: string, signal: AbortSignal) => api.stream('POST', `${base(target)}/${seg(messageId)}/regenerate`, { content }, signal);

export const editMessage = (target: ChatTarget, messageId: Id, content: string) => api.patch<Message | undefined>(`${base(target)}/${seg(messageId)}`, { content });
/** Shows version `index` of a reply (swipe). */
export const chooseAlternative = (target: ChatTarget, messageId: Id, index: number) => api.put<Message>(`${base(target)}/${seg(messageId)}/alternative`, { index });
export const deleteMessage = (target: ChatTarget, messageId: Id) => api.del(`${base(target)}/${seg(messageId)}`);
export const clearMessages = (target: ChatTarget) => api.del(base(target));

export const exportUrl = (target: ChatTarget, format: 'md' | 'json') => `${root(target)}/export${exportQuery(format)}`;
