import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { Id, Memories, Memory } from '../../../lib/types.js';
import { characterKeys } from './keys.js';

/** Short-term memory is a chat's: with `chatId`, that chat's; without, the character's current chat's. */
const base = (id: Id, chatId?: Id) => (chatId !== undefined ? `/api/chats/${seg(chatId)}/memories` : `/api/characters/${seg(id)}/memories`);

export const getMemories = (id: Id, chatId?: Id) => api.get<Memories>(base(id, chatId));
export const updateMemory = (id: Id, memoryId: Id, body: { content?: string; pinned?: boolean; importance?: number }, chatId?: Id) => api.patch<Memory>(`${base(id, chatId)}/${seg(memoryId)}`, body);
export const deleteMemory = (id: Id, memoryId: Id, chatId?: Id) => api.del(`${base(id, chatId)}/${seg(memoryId)}`);
export const compressMemories = (id: Id, chatId?: Id) => api.post(`${base(id, chatId)}/compress`);

export function useMemories(id: Id, chatId?: Id) {
  return useQuery({ queryKey: [...characterKeys.memories(id), String(chatId ?? '')], queryFn: () => getMemories(id, chatId) });
}

export function useUpdateMemory(id: Id, chatId?: Id) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { memoryId: Id; content?: string; pinned?: boolean }) => updateMemory(id, v.memoryId, { content: v.content, pinned: v.pinned }, chatId),
    onSuccess: () => qc.invalidateQueries({ queryKey: characterKeys.memories(id) }),
  });
}

export function useDeleteMemory(id: Id, chatId?: Id) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (memoryId: Id) => deleteMemory(id, memoryId, chatId),
    onSuccess: () => qc.invalidateQueries({ queryKey: characterKeys.memories(id) }),
  });
}

export function useCompressMemories(id: Id, chatId?: Id) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => compressMemories(id, chatId),
    // Compression runs in the background; look again a little later.
    onSuccess: () => setTimeout(() => qc.invalidateQueries({ queryKey: characterKeys.memories(id) }), 3000),
  });
}
