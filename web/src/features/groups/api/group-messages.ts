import { api, qs, seg, exportQuery } from '../../../lib/api.js';
import type { Id, MessagePage } from '../../../lib/types.js';

const base = (id: Id) => `/api/groups/${seg(id)}/messages`;

export const getGroupMessages = (groupId: Id, before: Id | null, limit = 30) => api.get<MessagePage>(`${base(groupId)}${qs({ before, limit })}`);

/**
 * Sends a message and streams the replies: per speaker `speaker {characterId, name}`, `token {text}`…,
 * `message_done {messageId}`; then `done {}` or `error`. `speakerId` picks the speaker (manual mode).
 */
export const sendGroupMessage = (groupId: Id, content: string, speakerId: Id | undefined, signal: AbortSignal) =>
  api.stream('POST', base(groupId), speakerId !== undefined ? { content, speakerId } : { content }, signal);

export const clearGroupMessages = (groupId: Id) => api.del(base(groupId));
export const groupExportUrl = (groupId: Id, format: 'md' | 'json') => `/api/groups/${seg(groupId)}/export${exportQuery(format)}`;
