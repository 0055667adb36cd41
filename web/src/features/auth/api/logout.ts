import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api.js';
import { authKeys, type SessionEnd } from './get-me.js';

export const logout = () => api.post('/api/auth/logout');

/**
 * Signs out. The session query becomes `null` whatever the answer (a revoked session is signed out
 * too); App then shows the sign-in screen and drops every other cached query.
 */
export function useLogout() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: logout,
    meta: { silent: true },
    onSettled: () => {
      qc.setQueryData<SessionEnd>(authKeys.ended, 'signed-out');
      qc.setQueryData(authKeys.me, null);
    },
  });
}
