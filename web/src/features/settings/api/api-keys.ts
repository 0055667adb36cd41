import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api.js';
import type { components } from '../../../lib/api-schema.js';

/** An API key as listed (the key itself is only in the answer to its creation). */
export type ApiKey = components['schemas']['ApiKey'];

export interface NewApiKey {
  name: string;
  expiresInDays?: number | null;
  characterIds?: number[];
  groupIds?: number[];
}

/** What a key may be limited to: the user's characters and groups, by name. */
export interface KeyTargets {
  characters: { id: number; name: string }[];
  groups: { id: number; name: string }[];
}

export const apiKeyKeys = { all: ['api-keys'] as const, targets: ['api-keys', 'targets'] as const };

export function useApiKeys() {
  return useQuery({ queryKey: apiKeyKeys.all, queryFn: () => api.get<{ items: ApiKey[] }>('/api/me/api-keys') });
}

export function useKeyTargets(enabled: boolean) {
  return useQuery({
    queryKey: apiKeyKeys.targets,
    enabled,
    queryFn: async (): Promise<KeyTargets> => {
      const [characters, groups] = await Promise.all([api.get<{ items: { id: number; name: string }[] }>('/api/characters?limit=100'), api.get<{ items: { id: number; name: string }[] }>('/api/groups')]);
      return { characters: characters.items, groups: groups.items };
    },
  });
}

export function useCreateApiKey() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (k: NewApiKey) => api.post<{ key: ApiKey; token: string }>('/api/me/api-keys', k),
    onSuccess: () => qc.invalidateQueries({ queryKey: apiKeyKeys.all }),
    meta: { silent: true },
  });
}

export function useRevokeApiKey() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (id: number) => api.del(`/api/me/api-keys/${id}`), onSuccess: () => qc.invalidateQueries({ queryKey: apiKeyKeys.all }) });
}
