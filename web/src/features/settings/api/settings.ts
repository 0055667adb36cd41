import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../../lib/api.js';
import type { Settings } from '../../../lib/types.js';

export const settingsKeys = { all: ['settings'] as const };

export const getSettings = () => api.get<Settings>('/api/me/settings');
export const putSettings = (s: Settings) => api.put<Settings>('/api/me/settings', s);
export const changePassword = (b: { currentPassword: string; newPassword: string }) => api.put('/api/me/password', b);
export const deleteAccount = (password: string) => api.del('/api/me', { password });

export function useSettings() {
  return useQuery({ queryKey: settingsKeys.all, queryFn: getSettings });
}

export function useSaveSettings() {
  const qc = useQueryClient();
  return useMutation({ mutationFn: putSettings, onSuccess: (s) => qc.setQueryData(settingsKeys.all, s) });
}

export function useChangePassword() {
  return useMutation({ mutationFn: changePassword, meta: { silent: true } });
}

export function useDeleteAccount() {
  return useMutation({ mutationFn: deleteAccount, meta: { silent: true } });
}
