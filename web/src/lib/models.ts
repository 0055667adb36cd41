/**
 * Models users may choose (GET /api/models) and a character's or group's own model settings
 * (GET/PUT …/llm). Shared by settings, characters and groups, so it lives here, not in a feature.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './api.js';

export interface ModelChoice {
  key: string;
  displayName: string;
  provider: string;
  contextLength: number | null;
}

export interface ChatLlmSettings {
  model: string | null;
  temperature: number | null;
  maxTokens: number | null;
  contextTokens: number | null;
}

/** Bounds of the per-character/group fields, as the server checks them. */
export const CHAT_LLM_BOUNDS = { temperature: { min: 0, max: 2 }, maxTokens: { min: 16, max: 8192 }, contextTokens: { min: 200, max: 32_000 } } as const;

export const modelKeys = { choices: ['models'] as const, chatLlm: (path: string) => ['chat-llm', path] as const };

export function useModelChoices() {
  return useQuery({ queryKey: modelKeys.choices, queryFn: () => api.get<{ items: ModelChoice[]; chatDefault: string }>('/api/models'), staleTime: 30_000 });
}

/** `path` is `/api/characters/{id}/llm` or `/api/groups/{id}/llm`. */
export function useChatLlm(path: string) {
  return useQuery({ queryKey: modelKeys.chatLlm(path), queryFn: () => api.get<ChatLlmSettings>(path) });
}

export function useSaveChatLlm(path: string) {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (s: ChatLlmSettings) => api.put<ChatLlmSettings>(path, s), meta: { silent: true }, onSuccess: (s) => qc.setQueryData(modelKeys.chatLlm(path), s) });
}

/** A model's name to show: its display name, else its key. */
export function modelLabel(choices: ModelChoice[] | undefined, key: string): string {
  return choices?.find((c) => c.key === key)?.displayName ?? key;
}
