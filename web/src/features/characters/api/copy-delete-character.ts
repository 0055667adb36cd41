import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { Character, Id } from '../../../lib/types.js';
import { groupKeys } from '../../groups/api/groups.js';
import { characterKeys } from './keys.js';

export const copyCharacter = (id: Id) => api.post<Character>(`/api/characters/${seg(id)}/copy`);
export const deleteCharacter = (id: Id) => api.del(`/api/characters/${seg(id)}`);

export function useCopyCharacter() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: copyCharacter, onSuccess: () => qc.invalidateQueries({ queryKey: characterKeys.lists() }) });
}

export function useDeleteCharacter() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: deleteCharacter,
    onSuccess: (_v, id) => {
      qc.removeQueries({ queryKey: characterKeys.detail(id) });
      // A deleted character also leaves the groups it was in.
      void qc.invalidateQueries({ queryKey: groupKeys.all });
      return qc.invalidateQueries({ queryKey: characterKeys.lists() });
    },
  });
}
