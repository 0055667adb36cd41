/**
 * Migration 0007 on a database that already has chats: a character's one conversation, its
 * messages and memories survive the rebuild (SQLite) / constraint drop (PostgreSQL), and a
 * character can then have a second chat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Migration } from 'kysely';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import * as m0001 from '../../../src/infra/db/migrations/0001-initial.js';
import * as m0002 from '../../../src/infra/db/migrations/0002-username-key.js';
import * as m0003 from '../../../src/infra/db/migrations/0003-message-settlement.js';
import * as m0004 from '../../../src/infra/db/migrations/0004-console.js';
import * as m0005 from '../../../src/infra/db/migrations/0005-message-alternatives.js';
import { migrateToLatest } from '../../../src/infra/db/index.js';
import { createPgDatabase, DIALECTS } from '../../support/services.js';

const before0007: Record<string, Migration> = { '0001-initial': m0001, '0002-username-key': m0002, '0003-message-settlement': m0003, '0004-console': m0004, '0005-message-alternatives': m0005 };

describe.each(DIALECTS)('migration 0007 (%s)', (dialect) => {
  let db: Kysely<any>;
  let drop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    if (dialect === 'postgres') {
      const created = await createPgDatabase();
      drop = created.drop;
      db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: created.url, max: 2 }) }) });
    } else {
      const conn = new SQLite(':memory:');
      conn.pragma('foreign_keys = ON');
      db = new Kysely<any>({ dialect: new SqliteDialect({ database: conn }) });
    }
  });
  afterAll(async () => {
    await db.destroy();
    await drop?.();
  });

  it('keeps every chat, message and memory, and lets a character have a second chat', async () => {
    const { error } = await new Migrator({ db, provider: { getMigrations: async () => before0007 } }).migrateToLatest();
    expect(error).toBeUndefined();
    const now = 1_700_000_000_000;
    const user = await db.insertInto('users').values({ username: 'mig', username_key: 'mig', password_hash: 'x', is_admin: 0, created_at: now }).returning('id').executeTakeFirstOrThrow();
    const ch = await db.insertInto('characters').values({ user_id: user.id, name: '李白', profile_json: '{}', source: 'manual', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    const group = await db.insertInto('groups').values({ user_id: user.id, name: 'g', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    const conv = await db.insertInto('conversations').values({ user_id: user.id, kind: 'direct', character_id: ch.id, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    const gconv = await db.insertInto('conversations').values({ user_id: user.id, kind: 'group', group_id: group.id, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    // A deleted chat's id must not come back after the rebuild.
    const gone = await db.insertInto('conversations').values({ user_id: user.id, kind: 'direct', character_id: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    await db.deleteFrom('conversations').where('id', '=', gone.id).execute();
    for (const [role, content] of [['assistant', '你好'], ['user', '在吗'], ['assistant', '在']] as const) {
      await db.insertInto('messages').values({ conversation_id: conv.id, role, content, status: 'complete', compressed: 0, created_at: now }).execute();
    }
    await db.insertInto('memory_items').values({ conversation_id: conv.id, kind: 'short_term', content: '聊了天', importance: 0.5, pinned: 0, created_at: now, updated_at: now }).execute();

    await migrateToLatest(db);

    expect(await db.selectFrom('conversations').select(['id', 'character_id', 'group_id', 'title', 'persona_id']).orderBy('id').execute()).toEqual([
      { id: conv.id, character_id: ch.id, group_id: null, title: null, persona_id: null },
      { id: gconv.id, character_id: null, group_id: group.id, title: null, persona_id: null },
    ]);
    expect((await db.selectFrom('messages').select('content').where('conversation_id', '=', conv.id).orderBy('id').execute()).map((m) => m.content)).toEqual(['你好', '在吗', '在']);
    expect(await db.selectFrom('memory_items').select('content').where('conversation_id', '=', conv.id).execute()).toEqual([{ content: '聊了天' }]);

    const second = await db.insertInto('conversations').values({ user_id: user.id, kind: 'direct', character_id: ch.id, title: '第二个', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    expect(second.id).toBeGreaterThan(gone.id);
    // A group still has one conversation.
    await expect(db.insertInto('conversations').values({ user_id: user.id, kind: 'group', group_id: group.id, created_at: now, updated_at: now }).execute()).rejects.toThrow();
    // Foreign keys still cascade: deleting the character deletes its chats and their messages.
    await db.deleteFrom('characters').where('id', '=', ch.id).execute();
    expect(await db.selectFrom('messages').select('id').where('conversation_id', '=', conv.id).execute()).toEqual([]);
    expect(await db.selectFrom('conversations').select('id').where('character_id', '=', ch.id).execute()).toEqual([]);
    // One default persona per user.
    await db.insertInto('personas').values({ user_id: user.id, name: 'A', is_default: 1, created_at: now, updated_at: now }).execute();
    await db.insertInto('personas').values({ user_id: user.id, name: 'B', is_default: 0, created_at: now, updated_at: now }).execute();
    await expect(db.insertInto('personas').values({ user_id: user.id, name: 'C', is_default: 1, created_at: now, updated_at: now }).execute()).rejects.toThrow();
  });
});
