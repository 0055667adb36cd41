/** Personas: who the user plays in chats (name, description, avatar), one of them the default. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { Id, Persona } from '../../../lib/types.js';

export const personaKeys = { all: ['personas'] as const };

export const listPersonas = () => api.get<{ items: Persona[] }>('/api/personas');
export const createPersona = (body: { name: string; description?: string; isDefault?: boolean }) => api.post<Persona>('/api/personas', body);
export const updatePersona = (id: Id, body: { name?: string; description?: string; isDefault?: true }) => api.patch<Persona>(`/api/personas/${seg(id)}`, body);
export const deletePersona = (id: Id) => api.del(`/api/personas/${seg(id)}`);
export function uploadPersonaAvatar(id: Id, file: Blob) {
  const form = new FormData();
  form.append('file', file, 'avatar');
  return api.put<Persona>(`/api/personas/${seg(id)}/avatar`, form);
}
export const removePersonaAvatar = (id: Id) => api.del<Persona>(`/api/personas/${seg(id)}/avatar`);

export function usePersonas() {
  return useQuery({ queryKey: personaKeys.all, queryFn: () => listPersonas().then((r) => r.items) });
}

/** Every persona mutation refreshes the list (the default flag moves between personas). */
export function usePersonaMutations() {
  const qc = useQueryClient();
  const refresh = () => qc.invalidateQueries({ queryKey: personaKeys.all });
  return {
    create: useMutation({ mutationFn: createPersona, onSuccess: refresh, meta: { silent: true } }),
    update: useMutation({ mutationFn: (v: { id: Id; name?: string; description?: string; isDefault?: true }) => updatePersona(v.id, { name: v.name, description: v.description, isDefault: v.isDefault }), onSuccess: refresh, meta: { silent: true } }),
    remove: useMutation({ mutationFn: deletePersona, onSuccess: refresh }),
    avatar: useMutation({ mutationFn: (v: { id: Id; file: Blob }) => uploadPersonaAvatar(v.id, v.file), onSuccess: refresh }),
    removeAvatar: useMutation({ mutationFn: removePersonaAvatar, onSuccess: refresh }),
  };
}
