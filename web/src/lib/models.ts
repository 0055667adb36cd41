/**
 * Models users may choose (GET /api/models) and a character's or group's own model settings
 * (GET/PUT …/llm). Shared by settings, characters and groups, so it lives here, not in a feature.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from './api.js';
import type { ChatLlmSettings, ModelChoice } from './types.js';

export type { ChatLlmSettings, ModelChoice } from './types.js';
/** Bounds of the per-character/group fields, as the server checks them. */
export { CHAT_LLM_RANGES as CHAT_LLM_BOUNDS } from '../../../src/shared/llm.js';

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
