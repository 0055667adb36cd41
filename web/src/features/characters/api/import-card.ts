import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api.js';
import type { Character } from '../../../lib/types.js';
import { characterKeys } from './keys.js';

/** Character Card V2/V3, PNG (card in a text chunk) or JSON. */
export function importCard(file: File) {
  const fd = new FormData();
  fd.set('file', file, file.name);
  return api.post<Character>('/api/characters/import', fd);
}

export function useImportCard() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: importCard, meta: { silent: true }, onSuccess: () => qc.invalidateQueries({ queryKey: characterKeys.lists() }) });
}
