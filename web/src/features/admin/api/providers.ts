/** Providers, their models, test connection and per-purpose defaults (the admin "Providers & models" tab). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { AdminProvider, LlmDefault, ProbeResult, ProviderInput, ProviderPreset } from '../../../lib/types.js';

export type { AdminModel, AdminProvider, ProbeError, ProbeResult, ProviderInput } from '../../../lib/types.js';
export type Preset = ProviderPreset;
export type DefaultRow = LlmDefault;
export type Purpose = LlmDefault['purpose'];
export type JsonMode = AdminProvider['models'][number]['capabilities']['jsonMode'];

const keys = { providers: ['admin', 'providers'] as const, defaults: ['admin', 'llm-defaults'] as const };

export const useProviders = () => useQuery({ queryKey: keys.providers, queryFn: () => api.get<{ items: AdminProvider[]; presets: ProviderPreset[] }>('/api/admin/providers') });
export const useLlmDefaults = () => useQuery({ queryKey: keys.defaults, queryFn: () => api.get<{ items: DefaultRow[] }>('/api/admin/llm-defaults') });

/** Every change here also changes what users may pick. */
export function useProviderMutations() {
  const qc = useQueryClient();
  const refresh = () => Promise.all([qc.invalidateQueries({ queryKey: ['admin'] }), qc.invalidateQueries({ queryKey: ['models'] }), qc.invalidateQueries({ queryKey: ['meta'] })]);
  const silent = { meta: { silent: true } };
  return {
    create: useMutation({ ...silent, mutationFn: (b: ProviderInput) => api.post<AdminProvider>('/api/admin/providers', b), onSuccess: refresh }),
    update: useMutation({ ...silent, mutationFn: ({ id, ...b }: ProviderInput & { id: number }) => api.put<AdminProvider>(`/api/admin/providers/${seg(id)}`, b), onSuccess: refresh }),
    remove: useMutation({ mutationFn: (id: number) => api.del(`/api/admin/providers/${seg(id)}`), onSuccess: refresh }),
    test: useMutation({ mutationFn: ({ id, model }: { id: number; model?: string }) => api.post<ProbeResult>(`/api/admin/providers/${seg(id)}/test`, model ? { model } : {}) }),
    addModel: useMutation({ mutationFn: ({ providerId, ...b }: { providerId: number; name: string; displayName?: string }) => api.post<AdminProvider['models'][number]>(`/api/admin/providers/${seg(providerId)}/models`, b), onSuccess: refresh }),
    updateModel: useMutation({ mutationFn: ({ id, ...b }: Partial<Omit<AdminProvider['models'][number], 'key' | 'providerId' | 'name'>> & { id: number }) => api.patch<AdminProvider['models'][number]>(`/api/admin/models/${seg(id)}`, b), onSuccess: refresh }),
    removeModel: useMutation({ mutationFn: (id: number) => api.del(`/api/admin/models/${seg(id)}`), onSuccess: refresh }),
    putDefaults: useMutation({ mutationFn: (b: Partial<Record<Purpose, string | null>>) => api.put<{ items: DefaultRow[] }>('/api/admin/llm-defaults', b), onSuccess: refresh }),
  };
}
