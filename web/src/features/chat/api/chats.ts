/** A character's several chats: list, start, rename, choose a persona, delete, import. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { ChatSummary, Id } from '../../../lib/types.js';

export const chatKeys = {
  all: ['chats'] as const,
  list: (characterId: Id) => ['chats', 'list', String(characterId)] as const,
};

export const listChats = (characterId: Id) => api.get<{ items: ChatSummary[] }>(`/api/characters/${seg(characterId)}/chats`);
export const createChat = (characterId: Id, body: { title?: string; personaId?: Id | null } = {}) => api.post<ChatSummary>(`/api/characters/${seg(characterId)}/chats`, body);
export const updateChat = (chatId: Id, body: { title?: string | null; personaId?: Id | null }) => api.patch<ChatSummary>(`/api/chats/${seg(chatId)}`, body);
export const deleteChat = (chatId: Id) => api.del(`/api/chats/${seg(chatId)}`);
export function importChat(characterId: Id, file: File) {
  const form = new FormData();
  form.append('file', file, file.name);
  return api.post<ChatSummary>(`/api/characters/${seg(characterId)}/chats/import`, form);
}

/** The character's chats, most recently used first. */
export function useChats(characterId: Id) {
  return useQuery({ queryKey: chatKeys.list(characterId), queryFn: () => listChats(characterId).then((r) => r.items) });
}

/** Mutations on a character's chats; each refreshes its list. */
export function useChatMutations(characterId: Id) {
  const qc = useQueryClient();
  const refresh = () => qc.invalidateQueries({ queryKey: chatKeys.list(characterId) });
  // A new chat is the current one: first in the list at once, before the refetch confirms it.
  const added = (c: ChatSummary) => {
    qc.setQueryData<ChatSummary[]>(chatKeys.list(characterId), (old) => [c, ...(old ?? []).filter((x) => String(x.id) !== String(c.id))]);
    return refresh();
  };
  return {
    create: useMutation({ mutationFn: (body: { title?: string; personaId?: Id | null }) => createChat(characterId, body), onSuccess: added }),
    update: useMutation({ mutationFn: (v: { chatId: Id; title?: string | null; personaId?: Id | null }) => updateChat(v.chatId, { title: v.title, personaId: v.personaId }), onSuccess: refresh }),
    remove: useMutation({ mutationFn: (chatId: Id) => deleteChat(chatId), onSuccess: refresh }),
    import: useMutation({ mutationFn: (file: File) => importChat(characterId, file), onSuccess: added }),
    refresh,
  };
}

/** What a chat is called: its title, else its first words, else the day it began. */
export function chatLabel(c: ChatSummary, formatDate: (ms: number) => string): string {
  return c.title?.trim() || c.firstWords || formatDate(Number(c.createdAt));
}
