import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { Group, GroupMode, Id } from '../../../lib/types.js';

export const groupKeys = {
  all: ['groups'] as const,
  list: () => ['groups', 'list'] as const,
  detail: (id: Id) => ['groups', 'detail', String(id)] as const,
};

export interface NewGroup {
  name: string;
  memberIds: Id[];
  mode?: GroupMode;
  maxRounds?: number;
}

export const getGroups = () => api.get<{ items: Group[] }>('/api/groups').then((r) => r.items);
export const getGroup = (id: Id) => api.get<Group>(`/api/groups/${seg(id)}`);
export const createGroup = (g: NewGroup) => api.post<Group>('/api/groups', g);
export const updateGroup = (id: Id, body: { name?: string; mode?: GroupMode; maxRounds?: number; personaId?: Id | null }) => api.patch<Group>(`/api/groups/${seg(id)}`, body);
export const deleteGroup = (id: Id) => api.del(`/api/groups/${seg(id)}`);
export const addMember = (id: Id, characterId: Id) => api.post(`/api/groups/${seg(id)}/members`, { characterId });
export const removeMember = (id: Id, characterId: Id) => api.del(`/api/groups/${seg(id)}/members/${seg(characterId)}`);
/** Mutes a member until `until` (epoch ms), or unmutes it (null). */
export const muteMember = (id: Id, characterId: Id, until: number | null) => api.put<Group>(`/api/groups/${seg(id)}/members/${seg(characterId)}/mute`, { until });

export function useGroups() {
  return useQuery({ queryKey: groupKeys.list(), queryFn: getGroups });
}

export function useCreateGroup() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: createGroup, meta: { silent: true }, onSuccess: () => qc.invalidateQueries({ queryKey: groupKeys.all }) });
}

export function useUpdateGroup(id: Id) {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (b: { name?: string; mode?: GroupMode; maxRounds?: number; personaId?: Id | null }) => updateGroup(id, b), onSuccess: () => qc.invalidateQueries({ queryKey: groupKeys.all }) });
}

export function useDeleteGroup() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: deleteGroup, onSuccess: () => qc.invalidateQueries({ queryKey: groupKeys.all }) });
}

export function useGroupMember(id: Id) {
  const qc = useQueryClient();
  const done = () => qc.invalidateQueries({ queryKey: groupKeys.all });
  return {
    add: useMutation({ mutationFn: (characterId: Id) => addMember(id, characterId), onSuccess: done }),
    remove: useMutation({ mutationFn: (characterId: Id) => removeMember(id, characterId), onSuccess: done }),
    mute: useMutation({ mutationFn: ({ characterId, until }: { characterId: Id; until: number | null }) => muteMember(id, characterId, until), onSuccess: done }),
  };
}
