/** Account administration, audited review, usage with prices, operations; 401/403 for everyone else. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { DIALECTS } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { importCard } from '../../support/characters.js';

describe.each(DIALECTS)('admin console on %s', (dialect) => {
  let t: TestApp;
  let admin: TestClient;
  let alice: TestClient;
  let aliceId: number;
  let adminId: number;
  beforeAll(async () => {
    t = await startTestApp(dialect, { FASTNPC_LLM_PROVIDER: 'offline' });
    admin = t.client();
    adminId = (await admin.register('console_admin')).id;
    alice = t.client();
    aliceId = (await alice.register('console_alice', 'password-alice')).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('disables an account (its sessions end at once), re-enables it, and never loses the last admin', async () => {
    expect((await alice.get('/api/auth/me')).status).toBe(200);
    const off = await admin.put(`/api/admin/users/${aliceId}/disabled`, { disabled: true });
    expect(off.status).toBe(200);
    expect((await alice.get('/api/auth/me')).status).toBe(401);
    const relogin = await t.client().post('/api/auth/login', { username: 'console_alice', password: 'password-alice' });
    expect(relogin.status).toBe(403);
    expect((await admin.get('/api/admin/users')).body.items.find((u: any) => u.id === aliceId).disabled).toBe(true);
    expect((await admin.put(`/api/admin/users/${aliceId}/disabled`, { disabled: false })).status).toBe(200);
    expect((await alice.post('/api/auth/login', { username: 'console_alice', password: 'password-alice' })).status).toBe(200);

    expect((await admin.put(`/api/admin/users/${adminId}/admin`, { isAdmin: false })).status).toBe(409);
    expect((await admin.put(`/api/admin/users/${adminId}/disabled`, { disabled: true })).status).toBe(409);
    // Promotion is seen on the next request of the promoted user's existing session.
    expect((await admin.put(`/api/admin/users/${aliceId}/admin`, { isAdmin: true })).status).toBe(200);
    expect((await alice.get('/api/admin/feedback')).status).toBe(200);
    expect((await admin.put(`/api/admin/users/${aliceId}/admin`, { isAdmin: false })).status).toBe(200);
    expect((await alice.get('/api/admin/feedback')).status).toBe(403);
  });

  it('reviews a user read-only and writes each read to the audit log', async () => {
    const ch = await importCard(alice, '苏轼');
    const conv = await alice.get(`/api/characters/${ch.id}/messages`);
    expect(conv.status).toBe(200);
    const review = await admin.get(`/api/admin/users/${aliceId}/review`);
    expect(review.status).toBe(200);
    expect(review.body.characters.map((c: any) => c.name)).toContain('苏轼');
    const audit = await admin.get('/api/admin/audit');
    expect(audit.body.items[0]).toMatchObject({ actorName: 'console_admin', action: 'review.user', targetUserId: aliceId, subject: 'console_alice' });
    expect(audit.body.items.map((e: any) => e.action)).toEqual(expect.arrayContaining(['user.disable', 'user.enable', 'user.promote', 'user.demote']));
    expect((await admin.get('/api/admin/users/999999/review')).status).toBe(404);
    expect((await admin.get('/api/admin/conversations/999999')).status).toBe(404);
  });

  it('reports usage per user, model, purpose and day with prices; a user sees only their own', async () => {
    await t.ctx.database.db
      .insertInto('llm_usage')
      .values([
        { user_id: aliceId, day: '2026-11-01', purpose: 'chat', model: 'm-a', requests: 3, tokens_in: 1_000_000, tokens_out: 500_000 },
        { user_id: adminId, day: '2026-11-02', purpose: 'creation', model: 'm-b', requests: 1, tokens_in: 10, tokens_out: 20 },
      ])
      .execute();
    const put = await admin.put('/api/admin/prices', { items: [{ model: 'm-a', inputPerMillion: 2, outputPerMillion: 4 }] });
    expect(put.status).toBe(200);
    const report = await admin.get('/api/admin/usage?from=2026-11-01&to=2026-11-30');
    expect(report.body.total).toBe(2);
    expect(report.body.items.find((r: any) => r.model === 'm-a')).toMatchObject({ username: 'console_alice', purpose: 'chat', requests: 3, cost: 4 });
    expect(report.body.items.find((r: any) => r.model === 'm-b').cost).toBeNull();
    const mine = await alice.get('/api/me/usage');
    expect(mine.body.items.map((r: any) => r.userId)).toEqual([aliceId]);
    expect((await admin.get('/api/admin/usage?from=yesterday')).status).toBe(400);
  });

  it('shows operations and keeps every admin route from others', async () => {
    const ops = await admin.get('/api/admin/operations');
    expect(ops.status).toBe(200);
    expect(ops.body.queues.map((q: any) => q.name)).toEqual(['memory', 'creation', 'evaluation']);
    expect(ops.body.dbPool.total).toBeGreaterThan(0);
    for (const path of ['/api/admin/operations', '/api/admin/usage', '/api/admin/audit', `/api/admin/users/${aliceId}/review`, '/api/admin/prices']) {
      expect((await t.client().get(path)).status).toBe(401);
      expect((await alice.get(path)).status).toBe(403);
    }
    expect((await alice.del(`/api/admin/users/${adminId}`)).status).toBe(403);
  });

  it('deletes an account with everything it owns', async () => {
    const bob = t.client();
    const b = await bob.register();
    const ch = await importCard(bob, '辛弃疾');
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#663399' } }).png().toBuffer();
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'a.png');
    expect((await bob.request('PUT', `/api/characters/${ch.id}/avatar`, form)).status).toBe(200);
    const { avatar_file } = await t.ctx.database.db.selectFrom('characters').select('avatar_file').where('id', '=', ch.id).executeTakeFirstOrThrow();
    const avatarPath = join(t.config.dataDirAbs, 'avatars', avatar_file!);
    expect(existsSync(avatarPath)).toBe(true);
    expect((await admin.del(`/api/admin/users/${b.id}`)).status).toBe(204);
    expect(existsSync(avatarPath)).toBe(false); // the same purge as deleting one's own account
    expect((await bob.get('/api/auth/me')).status).toBe(401);
    expect((await admin.get(`/api/admin/users/${b.id}/review`)).status).toBe(404);
    expect((await admin.del(`/api/admin/users/${adminId}`)).status).toBe(409);
  });
});
