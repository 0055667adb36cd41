/** One-to-one conversation requests. Messages live in the streaming reducer (lib/use-conversation), not the query cache. */
import { api, qs, seg, exportQuery } from '../../../lib/api.js';
import type { Id, Message, MessagePage } from '../../../lib/types.js';

export const chatKeys = {
  all: ['chat'] as const,
  messages: (characterId: Id) => ['chat', String(characterId), 'messages'] as const,
};

const base = (id: Id) => `/api/characters/${seg(id)}/messages`;

/** Newest first; pass `nextBefore` of the previous page for older ones. */
export const getMessages = (characterId: Id, before: Id | null, limit = 30) => api.get<MessagePage>(`${base(characterId)}${qs({ before, limit })}`);

/** Opens the SSE stream of a turn: `token`… then `done` or `error`. */
export const sendMessage = (characterId: Id, content: string, signal: AbortSignal) => api.stream('POST', base(characterId), { content }, signal);

/** Replaces the last reply; streams like a turn. */
export const regenerate = (characterId: Id, signal: AbortSignal) => api.stream('POST', `${base(characterId)}/regenerate`, {}, signal);

export const editMessage = (characterId: Id, messageId: Id, content: string) => api.patch<Message | undefined>(`${base(characterId)}/${seg(messageId)}`, { content });
export const deleteMessage = (characterId: Id, messageId: Id) => api.del(`${base(characterId)}/${seg(messageId)}`);
export const clearMessages = (characterId: Id) => api.del(base(characterId));

export const exportUrl = (characterId: Id, format: 'md' | 'json') => `/api/characters/${seg(characterId)}/export${exportQuery(format)}`;
