/** Queries and mutations of the evaluations console: test cases, runs (with live progress), reports, comparisons. */
import { useEffect } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, isAbort, qs, seg } from '../../../lib/api.js';
import { frameJson, readSse } from '../../../lib/sse.js';
import type { PromptDetail, PromptSummary } from './console.js';

import type { Ok, Schemas } from '../../../lib/types.js';

// Shapes from the generated OpenAPI types; narrowed only where the document says `unknown` (a case's set-up and overrides).
export type EvalKind = 'chat' | 'group_chat' | 'structure' | 'biography' | 'memory_summarize' | 'memory_integrate' | 'moderator';
export const EVAL_KINDS: EvalKind[] = ['chat', 'group_chat', 'structure', 'biography', 'memory_summarize', 'memory_integrate', 'moderator'];

export type KindInfo = Ok<'/api/admin/evaluation-kinds', 'get'>['items'][number];
export type Dimension = KindInfo['dimensions'][number];
export interface CaseMessage {
  role: 'user' | 'assistant';
  speaker?: string;
  content: string;
}
export interface CaseInput {
  messages?: CaseMessage[];
  longTerm?: string[];
  shortTerm?: string[];
  userProfile?: string;
  speakerId?: number;
  section?: string;
  sourceText?: string;
  personaName?: string;
}
export interface CaseConfig {
  model?: string;
  temperature?: number;
  maxTokens?: number;
  budgets?: { session?: number; shortTerm?: number; longTerm?: number };
}
export type TestCase = Omit<Ok<'/api/admin/test-cases/{id}', 'get'>, 'kind' | 'input' | 'config'> & { kind: EvalKind; input: CaseInput; config: CaseConfig };
export type TestCaseBody = Pick<TestCase, 'name' | 'kind' | 'characterId' | 'groupId' | 'input' | 'expected' | 'config'>;
export type Run = Schemas['EvaluationRun'];
export type Report = Ok<'/api/admin/evaluations/{id}', 'get'>;
export type Summary = Report['summary'];
export type CaseResult = Report['results'][number];
export type Comparison = Ok<'/api/admin/evaluations/compare', 'get'>;

export const isFinished = (r: Pick<Run, 'state'>) => r.state === 'done' || r.state === 'failed' || r.state === 'cancelled';

export const evalKeys = {
  all: ['admin', 'evaluations'] as const,
  kinds: ['admin', 'evaluations', 'kinds'] as const,
  cases: (kind: string) => ['admin', 'evaluations', 'cases', kind] as const,
  runs: ['admin', 'evaluations', 'runs'] as const,
  report: (id: number) => ['admin', 'evaluations', 'report', id] as const,
  compare: (a: number, b: number) => ['admin', 'evaluations', 'compare', a, b] as const,
  versions: (key: string) => ['admin', 'evaluations', 'versions', key] as const,
  targets: ['admin', 'evaluations', 'targets'] as const,
};

export const useKinds = () => useQuery({ queryKey: evalKeys.kinds, queryFn: () => api.get<{ items: KindInfo[] }>('/api/admin/evaluation-kinds'), staleTime: Infinity });
export const useTestCases = (kind: string) => useQuery({ queryKey: evalKeys.cases(kind), queryFn: () => api.get<{ items: TestCase[]; total: number }>(`/api/admin/test-cases${qs({ kind: kind || undefined, limit: 100 })}`) });

/** The admin's own characters and groups, offered as targets (any id can be typed). */
export const useTargets = () =>
  useQuery({
    queryKey: evalKeys.targets,
    queryFn: async () => {
      const [characters, groups] = await Promise.all([api.get<{ items: { id: number; name: string }[] }>(`/api/characters${qs({ limit: 100 })}`), api.get<{ items: { id: number; name: string }[] }>('/api/groups')]);
      return { characters: characters.items, groups: groups.items };
    },
  });

/** Every version of the prompt with `key` (newest first), to choose what a run tests or judges with. */
export const usePromptVersions = (key: string | undefined) =>
  useQuery({
    queryKey: evalKeys.versions(key ?? ''),
    enabled: !!key,
    queryFn: async () => {
      const { items } = await api.get<{ items: PromptSummary[] }>('/api/admin/prompts');
      const p = items.find((i) => i.key === key);
      return p ? api.get<PromptDetail>(`/api/admin/prompts/${seg(p.id)}`) : undefined;
    },
  });

export function useCaseMutations() {
  const qc = useQueryClient();
  const refresh = () => qc.invalidateQueries({ queryKey: [...evalKeys.all, 'cases'] });
  return {
    create: useMutation({ mutationFn: (b: TestCaseBody) => api.post<TestCase>('/api/admin/test-cases', b), onSuccess: refresh }),
    update: useMutation({ mutationFn: ({ id, ...b }: TestCaseBody & { id: number }) => api.put<TestCase>(`/api/admin/test-cases/${seg(id)}`, b), onSuccess: refresh }),
    remove: useMutation({ mutationFn: (id: number) => api.del(`/api/admin/test-cases/${seg(id)}`), onSuccess: refresh }),
  };
}

export const useRuns = () =>
  useQuery({
    queryKey: evalKeys.runs,
    queryFn: () => api.get<{ items: Run[]; total: number }>(`/api/admin/evaluations${qs({ limit: 50 })}`),
    // Runs started elsewhere (another admin, another tab) show up and move on without a stream each.
    refetchInterval: (q) => (q.state.data?.items.some((r) => !isFinished(r)) ? 3000 : false),
  });

export function useRunMutations() {
  const qc = useQueryClient();
  return {
    start: useMutation({
      mutationFn: (b: { caseIds: number[]; promptVersionId?: number; judgeVersionId?: number; model?: string; note?: string }) => api.post<Run>('/api/admin/evaluations', b),
      onSuccess: () => qc.invalidateQueries({ queryKey: evalKeys.runs }),
    }),
    cancel: useMutation({ mutationFn: (id: number) => api.post(`/api/admin/evaluations/${seg(id)}/cancel`), onSuccess: () => qc.invalidateQueries({ queryKey: evalKeys.all }) }),
  };
}

/** Activates a prompt version (the better one after a comparison); the prompt lists and versions refresh. */
export function useActivateVersion() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: (versionId: number) => api.post(`/api/admin/prompt-versions/${seg(versionId)}/activate`), onSuccess: () => qc.invalidateQueries({ queryKey: ['admin'] }) });
}

export const useReport = (id: number | null) => useQuery({ queryKey: evalKeys.report(id ?? 0), queryFn: () => api.get<Report>(`/api/admin/evaluations/${seg(id!)}`), enabled: id !== null });
export const useComparison = (a: number | null, b: number | null) =>
  useQuery({ queryKey: evalKeys.compare(a ?? 0, b ?? 0), queryFn: () => api.get<Comparison>(`/api/admin/evaluations/compare${qs({ a: a!, b: b! })}`), enabled: a !== null && b !== null && a !== b });

/**
 * While a run is going, follows its event stream and refreshes the report (each finished case)
 * and the run list on every frame; stops when the run ends or the view closes.
 */
export function useRunProgress(run: Run | undefined) {
  const qc = useQueryClient();
  const id = run?.id;
  const live = !!run && !isFinished(run);
  useEffect(() => {
    if (!live || id === undefined) return;
    const ctrl = new AbortController();
    void (async () => {
      try {
        const res = await api.stream('GET', `/api/admin/evaluations/${seg(id)}/events`, undefined, ctrl.signal);
        for await (const f of readSse(res)) {
          const r = f.event === 'run' ? frameJson<Run>(f) : undefined;
          if (!r) continue;
          await qc.invalidateQueries({ queryKey: evalKeys.report(id) });
          if (isFinished(r)) break;
        }
      } catch (e) {
        if (!isAbort(e)) await qc.invalidateQueries({ queryKey: evalKeys.report(id) });
      }
      await qc.invalidateQueries({ queryKey: evalKeys.runs });
    })();
    return () => ctrl.abort();
  }, [id, live, qc]);
}
