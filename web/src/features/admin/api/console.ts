/** Queries and mutations of the operator's console (prompts, feedback, accounts, usage, operations, audit). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, qs, seg } from '../../../lib/api.js';

export interface PromptSummary {
  id: number;
  key: string;
  category: string;
  description: string;
  variables: string[];
  activeVersionId: number | null;
  activeVersion: number | null;
}
export interface PromptVersion {
  id: number;
  version: number;
  content: string;
  note: string | null;
  authorName: string | null;
  createdAt: number;
  active: boolean;
  stats: { runs: number; judged: number; passed: number; averageScore: number | null };
}
export interface PromptDetail extends PromptSummary {
  versions: PromptVersion[];
}
export interface LineDiff {
  added: number;
  removed: number;
  unchanged: number;
  lines: { op: '=' | '+' | '-'; text: string }[];
}
export interface FeedbackItem {
  id: number;
  username: string;
  category: string;
  title: string;
  content: string;
  status: string;
  messageId: number | null;
  characterId: number | null;
  reply: string | null;
  unreadReply: boolean;
  createdAt: number;
}
export interface UsageReport {
  items: { userId: number; username: string; day: string; model: string; purpose: string; requests: number; tokensIn: number; tokensOut: number; cost: number | null }[];
  total: number;
  byModel: { model: string; requests: number; tokensIn: number; tokensOut: number; cost: number | null }[];
}
export interface Price {
  model: string;
  inputPerMillion: number;
  outputPerMillion: number;
}
export interface Operations {
  cache: { hits: number; misses: number; hitRate: number | null };
  dbPool: { total: number; idle: number; waiting: number };
  queues: { name: string; waiting: number; running: number }[];
  failedJobs: { id: string; kind: string; errorCode: string | null; errorMessage: string | null; updatedAt: number; retryable: boolean }[];
  breakers: { model: string; state: string }[];
}
export interface AuditEntry {
  id: number;
  actorName: string | null;
  action: string;
  targetUserId: number | null;
  subject: string;
  createdAt: number;
}

const keys = {
  prompts: ['admin', 'prompts'] as const,
  prompt: (id: number) => ['admin', 'prompts', id] as const,
  feedback: (status: string) => ['admin', 'feedback', status] as const,
  usage: ['admin', 'usage'] as const,
  prices: ['admin', 'prices'] as const,
  ops: ['admin', 'ops'] as const,
  audit: ['admin', 'audit'] as const,
};

export const usePrompts = () => useQuery({ queryKey: keys.prompts, queryFn: () => api.get<{ items: PromptSummary[] }>('/api/admin/prompts') });
export const usePrompt = (id: number | null) => useQuery({ queryKey: keys.prompt(id ?? 0), queryFn: () => api.get<PromptDetail>(`/api/admin/prompts/${seg(id!)}`), enabled: id !== null });
export const getDiff = (from: number, to: number) => api.get<LineDiff>(`/api/admin/prompt-versions/${seg(to)}/diff${qs({ against: from })}`);

export function usePromptMutations(templateId: number | null) {
  const qc = useQueryClient();
  const refresh = () => qc.invalidateQueries({ queryKey: keys.prompts });
  return {
    save: useMutation({ mutationFn: (b: { content: string; note?: string; activate?: boolean }) => api.post(`/api/admin/prompts/${seg(templateId!)}/versions`, b), onSuccess: refresh }),
    validate: useMutation({ mutationFn: (content: string) => api.post<{ valid: boolean }>(`/api/admin/prompts/${seg(templateId!)}/validate`, { content }) }),
    activate: useMutation({ mutationFn: (versionId: number) => api.post(`/api/admin/prompt-versions/${seg(versionId)}/activate`), onSuccess: refresh }),
    duplicate: useMutation({ mutationFn: (versionId: number) => api.post(`/api/admin/prompt-versions/${seg(versionId)}/duplicate`), onSuccess: refresh }),
  };
}

export const useFeedbackInbox = (status: string) => useQuery({ queryKey: keys.feedback(status), queryFn: () => api.get<{ items: FeedbackItem[]; total: number; byStatus: Record<string, number> }>(`/api/admin/feedback${qs({ status, limit: 100 })}`) });
export function useFeedbackUpdate() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: ({ id, ...b }: { id: number; status?: string; reply?: string }) => api.patch(`/api/admin/feedback/${seg(id)}`, b), onSuccess: () => qc.invalidateQueries({ queryKey: ['admin', 'feedback'] }) });
}

export function useAccountActions() {
  const qc = useQueryClient();
  const refresh = () => qc.invalidateQueries({ queryKey: ['admin'] });
  return {
    disable: useMutation({ mutationFn: ({ id, disabled }: { id: number; disabled: boolean }) => api.put(`/api/admin/users/${seg(id)}/disabled`, { disabled }), onSuccess: refresh }),
    role: useMutation({ mutationFn: ({ id, isAdmin }: { id: number; isAdmin: boolean }) => api.put(`/api/admin/users/${seg(id)}/admin`, { isAdmin }), onSuccess: refresh }),
    remove: useMutation({ mutationFn: (id: number) => api.del(`/api/admin/users/${seg(id)}`), onSuccess: refresh }),
  };
}

export const useUsage = () => useQuery({ queryKey: keys.usage, queryFn: () => api.get<UsageReport>(`/api/admin/usage${qs({ limit: 100 })}`) });
export const usePrices = () => useQuery({ queryKey: keys.prices, queryFn: () => api.get<{ items: Price[] }>('/api/admin/prices') });
export function useSavePrices() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (items: Price[]) => api.put('/api/admin/prices', { items }), onSuccess: () => qc.invalidateQueries({ queryKey: ['admin'] }) });
}
export const useOperations = () => useQuery({ queryKey: keys.ops, queryFn: () => api.get<Operations>('/api/admin/operations'), refetchInterval: 5000 });
export function useRetryJob() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (id: string) => api.post<{ id: string; state: string }>(`/api/admin/failed-jobs/${seg(id)}/retry`), onSuccess: () => qc.invalidateQueries({ queryKey: ['admin'] }) });
}
export const useAudit = () => useQuery({ queryKey: keys.audit, queryFn: () => api.get<{ items: AuditEntry[] }>(`/api/admin/audit${qs({ limit: 50 })}`) });
