import { api, qs, seg, exportQuery } from '../../../lib/api.js';
import type { Id, Message, MessagePage } from '../../../lib/types.js';

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

export const deleteGroupMessage = (groupId: Id, messageId: Id) => api.del(`${base(groupId)}/${seg(messageId)}`);
export const editGroupMessage = (groupId: Id, messageId: Id, content: string) => api.patch<Message>(`${base(groupId)}/${seg(messageId)}`, { content });
export const chooseGroupAlternative = (groupId: Id, messageId: Id, index: number) => api.put<Message>(`${base(groupId)}/${seg(messageId)}/alternative`, { index });

/** Regenerates the newest reply (same member), streamed like a turn; the old versions stay as swipes. */
export const regenerateGroupReply = (groupId: Id, signal: AbortSignal) => api.stream('POST', `${base(groupId)}/regenerate`, {}, signal);

/** "Let X speak now": that member replies without a message from the user, streamed like a turn. */
export const letMemberSpeak = (groupId: Id, characterId: Id, signal: AbortSignal) => api.stream('POST', `/api/groups/${seg(groupId)}/members/${seg(characterId)}/speak`, {}, signal);

/** "What was really sent" for a reply, with why its member spoke and the moderator's call (group turns). */
export interface GroupInspection {
  messageId: Id;
  recorded: boolean;
  model?: string;
  usage?: { promptTokens: number; completionTokens: number };
  latencyMs?: number;
  promptVersions?: { key: string; version: number }[];
  messages?: { role: string; content: string }[];
  speakerReason?: { by: string; score?: number; reason?: string };
  moderator?: { model: string; prompt: string; answer: unknown; raw: string[]; error?: string; outcome: string; candidates: string[]; latencyMs: number };
}
export const inspectMessage = (messageId: Id) => api.get<GroupInspection>(`/api/messages/${seg(messageId)}/inspect`);
