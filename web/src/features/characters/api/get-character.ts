import { useQuery } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { Character, Id } from '../../../lib/types.js';
import { characterKeys } from './keys.js';

export const getCharacter = (id: Id) => api.get<Character>(`/api/characters/${seg(id)}`);

export const characterQueryOptions = (id: Id) => ({ queryKey: characterKeys.detail(id), queryFn: () => getCharacter(id) });

export function useCharacter(id: Id | null) {
  return useQuery({ ...characterQueryOptions(id ?? ''), enabled: id !== null });
}
