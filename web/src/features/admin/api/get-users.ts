import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, qs } from '../../../lib/api.js';
import type { AdminUser, Page } from '../../../lib/types.js';

export const adminKeys = { users: (limit: number, offset: number) => ['admin', 'users', limit, offset] as const };

export const getUsers = (limit: number, offset: number) => api.get<Page<AdminUser>>(`/api/admin/users${qs({ limit, offset })}`);

export function useAdminUsers(limit: number, offset: number) {
  return useQuery({ queryKey: adminKeys.users(limit, offset), queryFn: () => getUsers(limit, offset), placeholderData: keepPreviousData });
}
