/** Providers, their models, test connection and per-purpose defaults (the admin "Providers & models" tab). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';

export type JsonMode = 'json_schema' | 'json_object' | 'none';

export interface AdminModel {
  id: number;
  key: string;
  providerId: number;
  name: string;
  displayName: string;
  offered: boolean;
  contextLength: number | null;
  inputPerMillion: number | null;
  outputPerMillion: number | null;
  capabilities: { jsonMode: JsonMode; streamUsage: boolean };
}

export interface AdminProvider {
  id: number | 'env';
  name: string;
  kind: string;
  baseUrl: string | null;
  readOnly: boolean;
  hasKey: boolean;
  apiKeyHint: string | null;
  headerNames: string[];
  connectTimeoutMs: number | null;
  timeoutMs: number | null;
  concurrency: number | null;
  enabled: boolean;
  userKeys: boolean;
  models: AdminModel[];
}

export interface Preset {
  kind: string;
  label: string;
  baseUrl: string;
  needsKey: boolean;
}

export interface ProviderInput {
  name: string;
  kind: string;
  baseUrl: string;
  /** Omitted: keep the stored key; null: remove it. */
  apiKey?: string | null;
  headers?: Record<string, string>;
  connectTimeoutMs: number;
  timeoutMs: number;
  concurrency: number;
  enabled: boolean;
  userKeys: boolean;
}

export interface ProbeError {
  kind: 'auth' | 'http' | 'dns' | 'tls' | 'refused' | 'timeout' | 'network' | 'bad_response';
  message: string;
  status?: number;
}

export interface ProbeResult {
  ok: boolean;
  models: { ok: boolean; latencyMs: number; ids: string[]; error?: ProbeError };
  completion: { ok: boolean; latencyMs: number; model: string | null; text?: string; error?: ProbeError };
}

export type Purpose = 'chat' | 'structure' | 'memory' | 'moderator' | 'evaluation';
export interface DefaultRow {
  purpose: Purpose;
  model: string | null;
  effective: string;
}

const keys = { providers: ['admin', 'providers'] as const, defaults: ['admin', 'llm-defaults'] as const };

export const useProviders = () => useQuery({ queryKey: keys.providers, queryFn: () => api.get<{ items: AdminProvider[]; presets: Preset[] }>('/api/admin/providers') });
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
    addModel: useMutation({ mutationFn: ({ providerId, ...b }: { providerId: number; name: string; displayName?: string }) => api.post<AdminModel>(`/api/admin/providers/${seg(providerId)}/models`, b), onSuccess: refresh }),
    updateModel: useMutation({ mutationFn: ({ id, ...b }: Partial<Omit<AdminModel, 'key' | 'providerId' | 'name'>> & { id: number }) => api.patch<AdminModel>(`/api/admin/models/${seg(id)}`, b), onSuccess: refresh }),
    removeModel: useMutation({ mutationFn: (id: number) => api.del(`/api/admin/models/${seg(id)}`), onSuccess: refresh }),
    putDefaults: useMutation({ mutationFn: (b: Partial<Record<Purpose, string | null>>) => api.put<{ items: DefaultRow[] }>('/api/admin/llm-defaults', b), onSuccess: refresh }),
  };
}
