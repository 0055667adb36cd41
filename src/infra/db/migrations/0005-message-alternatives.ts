/**
 * Swipes: a reply keeps its alternatives (earlier regenerations, a card's alternate greetings).
 * `alternatives` is a JSON array of every version; `content` always holds the chosen one, so the
 * history, memory and export read `content` as before. Null = a message with one version.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').addColumn('alternatives', 'text').execute();
  await db.schema.alterTable('messages').addColumn('alternative_index', 'integer').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('messages').dropColumn('alternative_index').execute();
  await db.schema.alterTable('messages').dropColumn('alternatives').execute();
}
