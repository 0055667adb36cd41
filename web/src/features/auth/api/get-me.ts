import { useQuery } from '@tanstack/react-query';
import { api, isApiError } from '../../../lib/api.js';
import type { Settings, User } from '../../../lib/types.js';

export interface Me {
  user: User;
  settings: Settings;
}

/** `ended`: why the last session ended ('signed-out' by the button, 'expired' on a 401 elsewhere). */
export const authKeys = { me: ['auth', 'me'] as const, ended: ['auth', 'ended'] as const };
export type SessionEnd = 'signed-out' | 'expired';

/** The signed-in user, or `null` when signed out (401 is an answer here, not an error). */
export async function getMe(): Promise<Me | null> {
  try {
    return await api.get<Me>('/api/auth/me');
  } catch (e) {
    if (isApiError(e) && e.status === 401) return null;
    throw e;
  }
}

export const meQueryOptions = { queryKey: authKeys.me, queryFn: getMe, staleTime: Infinity, retry: 1 };

export function useMe() {
  return useQuery(meQueryOptions);
}
