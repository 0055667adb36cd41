/**
 * Account administration: disable/enable (a disabled account's sessions end at once), promote or
 * demote (never the last administrator), delete. Each change is audited.
 */
import { AppError, notFound } from '../../errors.js';
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import { sessionCacheKey, type UsersService } from '../users/service.js';
import type { AuditLog } from './audit.js';

export function createAccountsAdmin(deps: { db: Db; cache: Cache; users: Pick<UsersService, 'endSessions' | 'purge'>; audit: AuditLog; now?: () => number }) {
  const { db, cache, users, audit } = deps;
  const now = deps.now ?? Date.now;

  async function target(id: number) {
    const u = await db.selectFrom('users').select(['id', 'username', 'is_admin', 'disabled_at']).where('id', '=', id).executeTakeFirst();
    if (!u) throw notFound('user');
    return u;
  }

  /** Cached sessions carry the role: a role change must be seen on the next request. */
  async function refreshSessions(userId: number) {
    const rows = await db.selectFrom('sessions').select('token_hash').where('user_id', '=', userId).execute();
    if (rows.length) await cache.delete(...rows.map((r) => sessionCacheKey(r.token_hash)));
  }

  async function assertNotLastAdmin(u: { id: number; is_admin: number }) {
    if (!u.is_admin) return;
    const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).where('is_admin', '=', 1).where('disabled_at', 'is', null).where('id', '!=', u.id).executeTakeFirstOrThrow();
    if (Number(r.n) === 0) throw new AppError('conflict:last_admin', 'This is the last active administrator');
  }

  return {
    async setDisabled(actorId: number, userId: number, disabled: boolean) {
      const u = await target(userId);
      if (userId === actorId) throw new AppError('conflict:self', 'You cannot disable your own account');
      if (disabled) await assertNotLastAdmin(u);
      await db.updateTable('users').set({ disabled_at: disabled ? now() : null }).where('id', '=', userId).execute();
      if (disabled) await users.endSessions(userId);
      await audit.record(actorId, disabled ? 'user.disable' : 'user.enable', userId, u.username);
      return { id: userId, disabled };
    },

    async setAdmin(actorId: number, userId: number, isAdmin: boolean) {
      const u = await target(userId);
      if (!isAdmin) await assertNotLastAdmin(u);
      await db.updateTable('users').set({ is_admin: isAdmin ? 1 : 0 }).where('id', '=', userId).execute();
      await refreshSessions(userId);
      await audit.record(actorId, isAdmin ? 'user.promote' : 'user.demote', userId, u.username);
      return { id: userId, isAdmin };
    },

    async remove(actorId: number, userId: number) {
      const u = await target(userId);
      if (userId === actorId) throw new AppError('conflict:self', 'Delete your own account from the settings');
      await assertNotLastAdmin(u);
      await users.purge(userId);
      await audit.record(actorId, 'user.delete', userId, u.username);
    },
  };
}
