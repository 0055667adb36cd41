import { api, qs } from '../../../lib/api.js';
import type { Candidate } from '../../../lib/types.js';

export interface CandidatesAnswer {
  candidates: Candidate[];
  /** True when the answer came from the bundled offline pages (the site was not asked or not reachable). */
  bundled: boolean;
}

export const isBundledCandidate = (c: Candidate) => c.bundled === true || c.id.startsWith('bundled:');

/** Same-name entries of an encyclopedia for a name (title + one-line description each). */
export const getCandidates = (source: 'baike' | 'zhwiki', name: string, signal?: AbortSignal) =>
  api.get<{ candidates?: Candidate[]; bundled?: boolean }>(`/api/sources/${source}/candidates${qs({ name })}`, { signal }).then((r): CandidatesAnswer => {
    const candidates = r.candidates ?? [];
    return { candidates, bundled: r.bundled === true || (candidates.length > 0 && candidates.every(isBundledCandidate)) };
  });
