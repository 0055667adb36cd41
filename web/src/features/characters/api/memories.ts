import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { Id, Memories, Memory } from '../../../lib/types.js';
import { characterKeys } from './keys.js';

export const getMemories = (id: Id) => api.get<Memories>(`/api/characters/${seg(id)}/memories`);
export const updateMemory = (id: Id, memoryId: Id, body: { content?: string; pinned?: boolean; importance?: number }) =>
  api.patch<Memory>(`/api/characters/${seg(id)}/memories/${seg(memoryId)}`, body);
export const deleteMemory = (id: Id, memoryId: Id) => api.del(`/api/characters/${seg(id)}/memories/${seg(memoryId)}`);
export const compressMemories = (id: Id) => api.post(`/api/characters/${seg(id)}/memories/compress`);

export function useMemories(id: Id) {
  return useQuery({ queryKey: characterKeys.memories(id), queryFn: () => getMemories(id) });
}

export function useUpdateMemory(id: Id) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { memoryId: Id; content?: string; pinned?: boolean }) => updateMemory(id, v.memoryId, { content: v.content, pinned: v.pinned }),
    onSuccess: () => qc.invalidateQueries({ queryKey: characterKeys.memories(id) }),
  });
}

export function useDeleteMemory(id: Id) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (memoryId: Id) => deleteMemory(id, memoryId),
    onSuccess: () => qc.invalidateQueries({ queryKey: characterKeys.memories(id) }),
  });
}

export function useCompressMemories(id: Id) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => compressMemories(id),
    // Compression runs in the background; look again a little later.
    onSuccess: () => setTimeout(() => qc.invalidateQueries({ queryKey: characterKeys.memories(id) }), 3000),
  });
}
