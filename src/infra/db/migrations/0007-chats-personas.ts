/**
 * Several chats per character, and personas.
 * - `conversations.character_id` is no longer unique: a character has many chats, each with an
 *   optional title and a persona. A group keeps its one conversation (group_id stays unique).
 * - `personas`: who the user plays (name, description, avatar); at most one default per user.
 * - `groups.persona_id`: the persona a group chat uses.
 * SQLite cannot drop a column's UNIQUE, so `conversations` is rebuilt (the documented
 * create-copy-drop-rename order, with foreign keys off so the drop does not cascade to messages).
 */
import { sql, type Kysely } from 'kysely';
import { dialectFlags } from '../dialect.js';

export async function up(db: Kysely<any>): Promise<void> {
  const f = dialectFlags(db);
  const ms = f.bigintType;
  await db.schema
    .createTable('personas')
    .addColumn('id', f.idType, (c) => (f.name === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey()))
    .addColumn('user_id', f.bigintType, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('avatar_file', 'text')
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', ms, (c) => c.notNull())
    .addColumn('updated_at', ms, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('personas_user').on('personas').columns(['user_id', 'id']).execute();
  // One default per user, enforced by the database as well as the service.
  await db.schema.createIndex('personas_user_default').on('personas').column('user_id').unique().where(sql.ref('is_default'), '=', 1).execute();
  await db.schema.alterTable('groups').addColumn('persona_id', f.bigintType, (c) => c.references('personas.id').onDelete('set null')).execute();

  if (f.name === 'postgres') {
    await sql`alter table conversations drop constraint if exists conversations_character_id_key`.execute(db);
    await db.schema.alterTable('conversations').addColumn('title', 'text').execute();
    await db.schema.alterTable('conversations').addColumn('persona_id', f.bigintType, (c) => c.references('personas.id').onDelete('set null')).execute();
  } else {
    await sql`pragma foreign_keys = off`.execute(db);
    try {
      await db.transaction().execute(async (trx) => {
        await sql`create table conversations_new (
          id integer primary key autoincrement,
          user_id integer not null references users(id) on delete cascade,
          kind text not null,
          character_id integer references characters(id) on delete cascade,
          group_id integer unique references groups(id) on delete cascade,
          title text,
          persona_id integer references personas(id) on delete set null,
          created_at integer not null,
          updated_at integer not null
        )`.execute(trx);
        await sql`insert into conversations_new (id, user_id, kind, character_id, group_id, created_at, updated_at)
          select id, user_id, kind, character_id, group_id, created_at, updated_at from conversations`.execute(trx);
        // Ids of deleted chats are never reused (caches and leases are keyed by them).
        await sql`update sqlite_sequence set seq = (select max(seq) from sqlite_sequence where name in ('conversations', 'conversations_new')) where name = 'conversations_new'`.execute(trx);
        await sql`insert into sqlite_sequence (name, seq) select 'conversations_new', seq from sqlite_sequence
          where name = 'conversations' and not exists (select 1 from sqlite_sequence where name = 'conversations_new')`.execute(trx);
        await sql`drop table conversations`.execute(trx);
        await sql`alter table conversations_new rename to conversations`.execute(trx);
        const broken = await sql`pragma foreign_key_check`.execute(trx);
        if (broken.rows.length) throw new Error(`foreign key check failed after rebuilding conversations: ${JSON.stringify(broken.rows.slice(0, 3))}`);
      });
    } finally {
      await sql`pragma foreign_keys = on`.execute(db);
    }
  }
  // A character's chats, most recently used first; the group lookup keeps its unique index.
  await db.schema.createIndex('conversations_character_updated').on('conversations').columns(['character_id', 'updated_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('conversations_character_updated').execute();
  await db.schema.alterTable('conversations').dropColumn('persona_id').execute();
  await db.schema.alterTable('conversations').dropColumn('title').execute();
  await db.schema.alterTable('groups').dropColumn('persona_id').execute();
  await db.schema.dropTable('personas').execute();
}
