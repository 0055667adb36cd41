import type { Id } from '../../../lib/types.js';

/** Query keys of the characters feature; mutations invalidate by these prefixes. */
export const characterKeys = {
  all: ['characters'] as const,
  lists: () => ['characters', 'list'] as const,
  list: (q: string) => ['characters', 'list', q] as const,
  detail: (id: Id) => ['characters', 'detail', String(id)] as const,
  memories: (id: Id) => ['characters', 'memories', String(id)] as const,
};
