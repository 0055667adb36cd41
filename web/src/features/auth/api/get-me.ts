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

/**
 * The signed-in user, or `null` when signed out. Asks /api/auth/session, which answers 200 either
 * way: a 401 from /api/auth/me would be logged as a console error on every sign-in page view.
 */
export async function getMe(): Promise<Me | null> {
  try {
    const r = await api.get<Me | { user: null }>('/api/auth/session');
    return r.user ? (r as Me) : null;
  } catch (e) {
    if (isApiError(e) && e.status === 401) return null;
    throw e;
  }
}

export const meQueryOptions = { queryKey: authKeys.me, queryFn: getMe, staleTime: Infinity, retry: 1 };

export function useMe() {
  return useQuery(meQueryOptions);
}
