import { api, qs } from '../../../lib/api.js';
import type { Candidate } from '../../../lib/types.js';

/** Same-name entries of an encyclopedia for a name (title + one-line description each). */
export const getCandidates = (source: 'baike' | 'zhwiki', name: string, signal?: AbortSignal) =>
  api.get<{ candidates: Candidate[] }>(`/api/sources/${source}/candidates${qs({ name })}`, { signal }).then((r) => r.candidates ?? []);
