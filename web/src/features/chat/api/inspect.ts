/** "What was really sent" for one of the user's replies. */
import { useQuery } from '@tanstack/react-query';
import { api, seg } from '../../../lib/api.js';
import type { Id } from '../../../lib/types.js';

export interface Inspection {
  messageId: number;
  recorded: boolean;
  model?: string;
  params?: { temperature: number | null; maxTokens: number | null };
  usage?: { promptTokens: number; completionTokens: number };
  latencyMs?: number;
  promptVersions?: { key: string; versionId: number; version: number }[];
  messages?: { role: string; hash: string; content: string }[];
  lore?: { key: string; comment: string; position: string; tokens: number }[];
}

export const useInspection = (messageId: Id) => useQuery({ queryKey: ['chat', 'inspect', String(messageId)], queryFn: () => api.get<Inspection>(`/api/messages/${seg(messageId)}/inspect`), staleTime: Infinity });
