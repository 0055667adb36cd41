/**
 * Accounts: look-alike names are one account, the first admin is decided atomically, and an
 * account's files go with it.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, migrateToLatest } from '../../src/infra/db/index.js';
import { usernameKey } from '../../src/features/users/username.js';
import { insertUser } from '../../src/features/users/store.js';
import { DIALECTS, createPgDatabase } from '../support/services.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { importCard } from '../support/characters.js';

const PASSWORD = 'correct horse battery';

describe.each(DIALECTS)('look-alike usernames on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect);
  });
  afterAll(async () => t?.close());

  it('treats case, width and Cyrillic/Greek look-alikes as the same name', async () => {
    expect((await t.client().post('/api/auth/register', { username: 'Alice_', password: PASSWORD })).status).toBe(201);
    for (const name of ['alice_', 'ALICE_', 'ａｌｉｃｅ_', 'Ａｌｉｃｅ_']) {
      const r = await t.client().post('/api/auth/register', { username: name, password: PASSWORD });
      expect(r.status, name).toBe(409);
      expect(r.body.error.code).toBe('conflict:username');
    }
    // Entirely Cyrillic letters drawn like the Latin name "cope": the same key.
    expect((await t.client().post('/api/auth/register', { username: 'cope', password: PASSWORD })).status).toBe(201);
    const cyrillic = '\u0441\u043e\u0440\u0435';
    const r = await t.client().post('/api/auth/register', { username: cyrillic, password: PASSWORD });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('conflict:username');
  });

  it('refuses names mixing Latin with Cyrillic or Greek, with a clear message', async () => {
    for (const name of ['аlice', 'pаypal', 'bοb_x', 'Ωmega_z']) {
      const r = await t.client().post('/api/auth/register', { username: name, password: PASSWORD });
      expect(r.status, name).toBe(400);
      expect(r.body.error.code).toBe('validation:username');
      expect(r.body.error.message).toMatch(/mixes .* letters/);
    }
  });

  it('keeps pure CJK, Cyrillic and Greek names, and the display name as typed', async () => {
    for (const name of ['孙悟空', '김철수', 'Саша', 'Σωκράτης', 'Ünïcödé_ok']) {
      const r = await t.client().post('/api/auth/register', { username: name, password: PASSWORD });
      expect(r.status, `${name} ${r.text}`).toBe(201);
      expect(r.body.user.username).toBe(name);
    }
  });

  it('signs in with any case or width variant of the name', async () => {
    const c = t.client();
    await c.post('/api/auth/register', { username: 'MixedCase_Bob', password: PASSWORD });
    for (const name of ['mixedcase_bob', 'MIXEDCASE_BOB', 'ＭｉｘｅｄＣａｓｅ_Ｂｏｂ']) {
      const r = await t.client().post('/api/auth/login', { username: name, password: PASSWORD });
      expect(r.status, name).toBe(200);
      expect(r.body.user.username).toBe('MixedCase_Bob');
    }
    expect((await t.client().post('/api/auth/login', { username: 'mixedcase_bob', password: 'wrong password!' })).status).toBe(401);
  });

  it('deletes the avatar files of the account\'s characters with the account', async () => {
    const c = t.client();
    await c.register();
    const avatarsDir = join(t.config.dataDirAbs, 'avatars');
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#336699' } }).png().toBuffer();
    const files: string[] = [];
    for (const name of ['甲', '乙']) {
      const ch = await importCard(c, name);
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png');
      expect((await c.request('PUT', `/api/characters/${ch.id}/avatar`, form)).status).toBe(200);
      const row = await t.ctx.database.db.selectFrom('characters').select('avatar_file').where('id', '=', ch.id).executeTakeFirstOrThrow();
      files.push(row.avatar_file!);
    }
    for (const f of files) expect(existsSync(join(avatarsDir, f))).toBe(true);
    const others = readdirSync(avatarsDir).filter((f) => !files.includes(f));
    expect((await c.del('/api/me', { password: 'correct horse battery' })).status).toBe(204);
    for (const f of files) expect(existsSync(join(avatarsDir, f))).toBe(false);
    // Nobody else's files were touched.
    expect(readdirSync(avatarsDir).filter((f) => !files.includes(f))).toEqual(others);
  });
});

describe.each(DIALECTS)('the first administrator on %s', (dialect) => {
  it('makes exactly one admin out of concurrent first registrations', async () => {
    const t = await startTestApp(dialect);
    try {
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => t.client().post('/api/auth/register', { username: `first_${i}`, password: PASSWORD })));
      expect(results.map((r) => r.status)).toEqual(Array(8).fill(201));
      expect(results.filter((r) => r.body.user.isAdmin)).toHaveLength(1);
      const admins = await t.ctx.database.db.selectFrom('users').select('id').where('is_admin', '=', 1).execute();
      expect(admins).toHaveLength(1);
    } finally {
      await t.close();
    }
  }, 180_000); // eight argon2 hashes at once, on a shared machine

  it('decides the admin inside the insert: 16 simultaneous first inserts, one admin', async () => {
    // No password hashing in between, so the inserts really race (count-then-insert made several admins here).
    const t = await startTestApp(dialect);
    try {
      // Open the pool's connections first (PostgreSQL), so the inserts start together rather than one per new connection.
      if (dialect === 'postgres') await Promise.all(Array.from({ length: 16 }, () => sql`select pg_sleep(0.2)`.execute(t.ctx.database.db)));
      const users = await Promise.all(
        Array.from({ length: 16 }, (_, i) => insertUser(t.ctx.database.db, { username: `race_${i}`, usernameKey: `race_${i}`, passwordHash: 'x', namedAdmin: false, now: Date.now() })),
      );
      expect(users.filter((u) => u.isAdmin)).toHaveLength(1);
    } finally {
      await t.close();
    }
  }, 120_000);
});

describe.runIf(DIALECTS.includes('postgres'))('the username key migration', () => {
  it('backfills keys, keeping already-colliding accounts able to sign in', async () => {
    const pgDb = await createPgDatabase();
    try {
      // A database as it was before the migration, with two look-alike accounts.
      const c = new pg.Client({ connectionString: pgDb.url });
      await c.connect();
      const handle = openDatabase({ databaseUrl: pgDb.url });
      const { Migrator } = await import('kysely');
      const m0001 = await import('../../src/infra/db/migrations/0001-initial.js');
      await new Migrator({ db: handle.db, provider: { getMigrations: async () => ({ '0001-initial': m0001 }) } }).migrateToLatest();
      await c.query(`insert into users (username, password_hash, is_admin, created_at) values ('Alice_', 'x', 1, 1), ('alice_', 'y', 0, 2), ('Bob', 'z', 0, 3)`);
      expect(await migrateToLatest(handle.db)).toEqual(['0002-username-key']);
      const rows = (await c.query('select username, username_key from users order by id')).rows;
      expect(rows[0]).toEqual({ username: 'Alice_', username_key: usernameKey('Alice_') });
      expect(rows[1].username_key).toMatch(/^alice_#\d+$/);
      expect(rows[2].username_key).toBe('bob');
      await expect(c.query(`insert into users (username, password_hash, is_admin, created_at) values ('BOB', 'w', 0, 4)`)).rejects.toThrow();
      await c.end();
      await handle.close();
    } finally {
      await pgDb.drop();
    }
  }, 120_000);
});
