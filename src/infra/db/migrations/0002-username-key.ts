/**
 * Look-alike usernames (Alice_/alice_, fullwidth, Cyrillic а) were distinct accounts. Each user
 * gets a `username_key` (see src/features/users/username.ts), unique from now on. Accounts that
 * already collide keep working: the oldest holds the key, later ones get `key#id` and still sign
 * in with their exact name.
 */
import { sql, type Kysely } from 'kysely';
import { dialectFlags } from '../dialect.js';
import { usernameKey } from '../../../shared/username.js';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('users').addColumn('username_key', 'text').execute();
  const users = await db.selectFrom('users').select(['id', 'username']).orderBy('id').execute();
  const taken = new Set<string>();
  for (const u of users as { id: number; username: string }[]) {
    const key = usernameKey(u.username);
    const unique = taken.has(key) ? `${key}#${u.id}` : key;
    taken.add(unique);
    await db.updateTable('users').set({ username_key: unique }).where('id', '=', u.id).execute();
  }
  await db.schema.createIndex('users_lookalike_key').on('users').column('username_key').unique().execute();
  // Rows are complete; new ones must carry a key (SQLite cannot add NOT NULL to a column, the index and the store ensure it there).
  if (dialectFlags(db).name === 'postgres') {
    await sql`alter table users alter column username_key set not null`.execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('users_lookalike_key').execute();
  await db.schema.alterTable('users').dropColumn('username_key').execute();
}
