import { api } from '../../../lib/api.js';
import type { Job, SourceKind } from '../../../lib/types.js';

export interface CreationRequest {
  name: string;
  source: SourceKind;
  text?: string;
  candidateId?: string;
  detail: 'concise' | 'detailed';
}

/**
 * Starts a creation job (202). A 409 `ambiguous` carries `candidates` in the error details, for
 * when the name has several entries and no candidateId was given.
 */
export const startCreation = (body: CreationRequest) => api.post<{ job: Job }>('/api/characters/creations', body).then((r) => r.job);
