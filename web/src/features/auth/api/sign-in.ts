import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api.js';
import type { User } from '../../../lib/types.js';
import { authKeys } from './get-me.js';

export interface Credentials {
  username: string;
  password: string;
}

export const login = (c: Credentials) => api.post<{ user: User }>('/api/auth/login', c);
export const register = (c: Credentials) => api.post<{ user: User }>('/api/auth/register', c);

/** Login or register; on success the session query is refetched, which swaps in the app. */
export function useSignIn(mode: 'login' | 'register') {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: mode === 'login' ? login : register,
    meta: { silent: true }, // the form shows the error inline
    onSuccess: () => qc.invalidateQueries({ queryKey: authKeys.me }),
  });
}
