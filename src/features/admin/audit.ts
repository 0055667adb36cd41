/** The audit log: every admin read of another user's data and every account change, shown on the admin page. */
import type { Db } from '../../infra/db/index.js';

export interface AuditEntry {
  id: number;
  actorId: number | null;
  actorName: string | null;
  action: string;
  targetUserId: number | null;
  subject: string;
  createdAt: number;
}

/** `readDb` (database.read) serves the listing, which may lag a moment; entries are written through `db`. */
export function createAuditLog(db: Db, now: () => number = Date.now, readDb: Db = db) {
  return {
    async record(actorId: number, action: string, targetUserId: number | null, subject: string): Promise<void> {
      await db.insertInto('audit_log').values({ actor_id: actorId, action, target_user_id: targetUserId, subject, created_at: now() }).execute();
    },
    async list(limit: number, offset: number): Promise<{ items: AuditEntry[]; total: number }> {
      const [rows, total] = await Promise.all([
        readDb
          .selectFrom('audit_log')
          .leftJoin('users', 'users.id', 'audit_log.actor_id')
          .select(['audit_log.id', 'audit_log.actor_id', 'users.username', 'audit_log.action', 'audit_log.target_user_id', 'audit_log.subject', 'audit_log.created_at'])
          .orderBy('audit_log.id', 'desc')
          .limit(limit)
          .offset(offset)
          .execute(),
        readDb.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
      ]);
      return {
        items: rows.map((r) => ({ id: r.id, actorId: r.actor_id, actorName: r.username, action: r.action, targetUserId: r.target_user_id, subject: r.subject, createdAt: r.created_at })),
        total: Number(total.n),
      };
    },
  };
}

export type AuditLog = ReturnType<typeof createAuditLog>;
