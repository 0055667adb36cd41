import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, qs } from '../../../lib/api.js';
import type { CharacterSummary, Page } from '../../../lib/types.js';
import { characterKeys } from './keys.js';

export const getCharacters = (q = '', limit = 100, offset = 0) => api.get<Page<CharacterSummary>>(`/api/characters${qs({ q, limit, offset })}`);

export const charactersQueryOptions = (q = '') => ({
  queryKey: characterKeys.list(q),
  queryFn: () => getCharacters(q),
  placeholderData: keepPreviousData,
});

export function useCharacters(q = '') {
  return useQuery(charactersQueryOptions(q));
}
