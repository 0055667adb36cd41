import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { CardFields, Character, Id, Profile } from '../../../lib/types.js';
import { characterKeys } from './keys.js';

export const updateCharacter = (id: Id, body: { name?: string; biography?: string; card?: Partial<CardFields> }) => api.patch<Character>(`/api/characters/${seg(id)}`, body);
export const updateProfile = (id: Id, profile: Profile) => api.put<Character>(`/api/characters/${seg(id)}/profile`, { profile });

/** Rename / new biography. `silent`: the caller shows the error next to its field. */
export function useUpdateCharacter(id: Id, opts: { silent?: boolean } = {}) {
  const qc = useQueryClient();
  return useMutation({
    meta: { silent: !!opts.silent },
    mutationFn: (body: { name?: string; biography?: string }) => updateCharacter(id, body),
    onSuccess: () => qc.invalidateQueries({ queryKey: characterKeys.all }),
  });
}

/** Saves the nine sections (and, when changed, the biography and the card's own fields). */
export function useUpdateProfile(id: Id) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (v: { profile: Profile; biography?: string; card?: Partial<CardFields> }) => {
      const c = await updateProfile(id, v.profile);
      return v.biography !== undefined || v.card ? updateCharacter(id, { biography: v.biography, card: v.card }) : c;
    },
    onSuccess: (c) => {
      if (c) qc.setQueryData(characterKeys.detail(id), c);
      return qc.invalidateQueries({ queryKey: characterKeys.all });
    },
  });
}
