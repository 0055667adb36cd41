/**
 * A user message is stored `pending` when its turn begins and settled when the turn ends:
 * `complete` once a reply is stored, `failed` when none came. A process killed mid-turn leaves
 * `pending` behind; the next turn in that conversation settles it as `failed`, through this
 * partial index (it holds only the few unsettled rows, so the sweep costs nothing per turn).
 */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index messages_pending on messages (conversation_id) where status = 'pending'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('messages_pending').execute();
}
