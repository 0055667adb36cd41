/** Server facts every screen may need: the LLM provider (offline badge), models, setting ranges. */
import { useQuery } from '@tanstack/react-query';
import { api } from './api.js';
import type { Meta } from './types.js';

export const metaKeys = { all: ['meta'] as const };

export const getMeta = () => api.get<Meta>('/api/meta');

export const metaQueryOptions = { queryKey: metaKeys.all, queryFn: getMeta, staleTime: 5 * 60_000 };

export function useMeta() {
  return useQuery(metaQueryOptions);
}
