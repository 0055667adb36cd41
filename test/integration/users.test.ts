import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../support/services.js';
import { startTestApp, TestClient, type TestApp } from '../support/app.js';

describe.each(DIALECTS)('accounts on %s', (dialect) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(dialect, { FASTNPC_ADMIN_USER: 'boss_admin' });
  });
  afterAll(async () => t?.close());

  it('registers, signs in, reports me, signs out', async () => {
    const c = t.client();
    const reg = await c.post('/api/auth/register', { username: '孙悟空_fan', password: 'password-123' });
    expect(reg.status).toBe(201);
    expect(reg.body.user).toMatchObject({ username: '孙悟空_fan' });
    expect(typeof reg.body.user.id).toBe('number');

    const me = await c.get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe('孙悟空_fan');
    expect(me.body.settings).toMatchObject({ groupRounds: 3, chatModel: null, profileText: '' });

    const other = t.client();
    const login = await other.post('/api/auth/login', { username: '孙悟空_fan', password: 'password-123' });
    expect(login.status).toBe(200);
    expect((await other.get('/api/auth/me')).status).toBe(200);

    const out = await c.post('/api/auth/logout');
    expect(out.status).toBe(204);
    expect((await c.get('/api/auth/me')).status).toBe(401);
    // The other session is unaffected.
    expect((await other.get('/api/auth/me')).status).toBe(200);
  });

  it('revokes the session server-side on logout (a copied cookie stops working)', async () => {
    const c = t.client();
    await c.register();
    const stolen = new TestClient(t.url);
    stolen.cookie = c.cookie;
    expect((await stolen.get('/api/auth/me')).status).toBe(200);
    await c.post('/api/auth/logout');
    expect((await stolen.get('/api/auth/me')).status).toBe(401);
  });

  it('answers the session check with 200 either way: user null when signed out or revoked, the user and settings when signed in', async () => {
    const c = t.client();
    expect(await c.get('/api/auth/session')).toMatchObject({ status: 200, body: { user: null } });
    const u = await c.register();
    const signedIn = await c.get('/api/auth/session');
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user.username).toBe(u.username);
    expect(signedIn.body.settings).toBeTruthy();
    await c.post('/api/auth/logout');
    expect(await c.get('/api/auth/session')).toMatchObject({ status: 200, body: { user: null } });
    const stale = t.client();
    stale.cookie = 'fastnpc_session=not-a-session';
    expect(await stale.get('/api/auth/session')).toMatchObject({ status: 200, body: { user: null } });
  });

  it('sets an HttpOnly, SameSite=Lax session cookie with an expiry', async () => {
    const r = await t.client().post('/api/auth/register', { username: `cookie_${Date.now()}`, password: 'password-123' });
    const sc = r.headers.get('set-cookie')!;
    expect(sc).toMatch(/fastnpc_session=[A-Za-z0-9_-]{43};/);
    expect(sc).toMatch(/HttpOnly/);
    expect(sc).toMatch(/SameSite=Lax/);
    expect(sc).toMatch(/Expires=/);
    expect(sc).not.toMatch(/Secure/);
  });

  it('gives the same 401 for an unknown user and a wrong password', async () => {
    const c = t.client();
    const u = await c.register();
    const wrongPw = await t.client().post('/api/auth/login', { username: u.username, password: 'nope-nope-nope' });
    const noUser = await t.client().post('/api/auth/login', { username: 'nobody_here', password: 'nope-nope-nope' });
    expect(wrongPw.status).toBe(401);
    expect(noUser.status).toBe(401);
    expect(wrongPw.body).toEqual(noUser.body);
    expect(wrongPw.body.error.code).toBe('unauthorized:credentials');
  });

  it('rejects a taken username with 409 and bad input with 400 naming the field', async () => {
    const c = t.client();
    const u = await c.register();
    const dup = await t.client().post('/api/auth/register', { username: u.username, password: 'password-123' });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('conflict:username');

    const short = await t.client().post('/api/auth/register', { username: 'ab', password: 'password-123' });
    expect(short.status).toBe(400);
    expect(short.body.error.message).toContain('username');
    const badChars = await t.client().post('/api/auth/register', { username: 'a b!c', password: 'password-123' });
    expect(badChars.status).toBe(400);
    const shortPw = await t.client().post('/api/auth/register', { username: 'okname', password: 'short' });
    expect(shortPw.status).toBe(400);
    expect(shortPw.body.error.message).toContain('password');
    const wrongType = await t.client().post('/api/auth/register', { username: 12345, password: 'password-123' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.message).toContain('username');
  });

  it('answers malformed JSON, wrong content types and oversized bodies with 4xx and a message', async () => {
    const c = t.client();
    const bad = await c.request('POST', '/api/auth/login', '{"username": "x"', { 'content-type': 'application/json' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation:json');
    const form = await c.request('POST', '/api/auth/login', 'username=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(form.body.error.message).toBeTruthy();
    const huge = await c.request('POST', '/api/auth/login', JSON.stringify({ username: 'x', password: 'y'.repeat(2_000_000) }), { 'content-type': 'application/json' });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe('payload_too_large');
    const missing = await c.get('/api/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found:route');
  });

  it('validates settings and their ranges, and stores them', async () => {
    const c = t.client();
    await c.register();
    const good = { chatModel: null, budgetSession: 3000, budgetShortTerm: 1000, budgetLongTerm: 1200, profileText: '  一个喜欢唐诗的程序员  ', groupRounds: 5 };
    const put = await c.put('/api/me/settings', good);
    expect(put.status).toBe(200);
    expect(put.body.profileText).toBe('一个喜欢唐诗的程序员');
    expect((await c.get('/api/me/settings')).body).toMatchObject({ budgetSession: 3000, groupRounds: 5 });

    const tooMany = await c.put('/api/me/settings', { ...good, groupRounds: 11 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.message).toContain('groupRounds');
    const tooSmall = await c.put('/api/me/settings', { ...good, budgetSession: 10 });
    expect(tooSmall.status).toBe(400);
    expect(tooSmall.body.error.message).toContain('budgetSession');
    const extra = await c.put('/api/me/settings', { ...good, isAdmin: true });
    expect(extra.status).toBe(400);
    const longProfile = await c.put('/api/me/settings', { ...good, profileText: 'x'.repeat(501) });
    expect(longProfile.status).toBe(400);
    // Nothing was changed by the rejected writes.
    expect((await c.get('/api/me/settings')).body.groupRounds).toBe(5);
  });

  it('changes the password, revoking other sessions but not this one', async () => {
    const a = t.client();
    const u = await a.register(undefined, 'first-password');
    const b = t.client();
    await b.post('/api/auth/login', { username: u.username, password: 'first-password' });
    const wrong = await a.put('/api/me/password', { currentPassword: 'not-it-at-all', newPassword: 'second-password' });
    expect(wrong.status).toBe(400);
    const ok = await a.put('/api/me/password', { currentPassword: 'first-password', newPassword: 'second-password' });
    expect(ok.status).toBe(204);
    expect((await a.get('/api/auth/me')).status).toBe(200);
    expect((await b.get('/api/auth/me')).status).toBe(401);
    expect((await t.client().post('/api/auth/login', { username: u.username, password: 'first-password' })).status).toBe(401);
    expect((await t.client().post('/api/auth/login', { username: u.username, password: 'second-password' })).status).toBe(200);
  });

  it('deletes the account: its sessions stop working at once and the name is free again', async () => {
    const a = t.client();
    const u = await a.register(undefined, 'delete-me-please');
    const b = t.client();
    await b.post('/api/auth/login', { username: u.username, password: 'delete-me-please' });
    expect((await a.del('/api/me', { password: 'wrong-password' })).status).toBe(400);
    expect((await a.del('/api/me', { password: 'delete-me-please' })).status).toBe(204);
    expect((await a.get('/api/auth/me')).status).toBe(401);
    expect((await b.get('/api/auth/me')).status).toBe(401);
    expect((await t.client().post('/api/auth/login', { username: u.username, password: 'delete-me-please' })).status).toBe(401);
    expect((await t.client().post('/api/auth/register', { username: u.username, password: 'delete-me-please' })).status).toBe(201);
  });

  it('keeps admin routes for admins: 401 anonymous, 403 for others, paginated for admins', async () => {
    expect((await t.client().get('/api/admin/users')).status).toBe(401);
    const normal = t.client();
    await normal.register();
    expect((await normal.get('/api/admin/users')).status).toBe(403);
    const admin = t.client();
    const boss = await admin.register('boss_admin', 'password-123');
    expect(boss.isAdmin).toBe(true);
    const page = await admin.get('/api/admin/users?limit=2&offset=0');
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.total).toBeGreaterThanOrEqual(3);
    expect(page.body.items[0]).toHaveProperty('characterCount');
    expect((await admin.get('/api/admin/users?limit=1000')).status).toBe(400);
  });
});

describe('first user is admin; auth rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { FASTNPC_AUTH_RATE_PER_MIN: '3' });
  });
  afterAll(async () => t?.close());

  it('makes the first registered user admin and the second not', async () => {
    const first = await t.client().register('first_one');
    const second = await t.client().register('second_one');
    expect(first.isAdmin).toBe(true);
    expect(second.isAdmin).toBe(false);
  });

  it('limits sign-in attempts per IP with 429 and Retry-After', async () => {
    // Two registrations above already counted against this IP's window of 3.
    const c = t.client();
    const third = await c.post('/api/auth/login', { username: 'first_one', password: 'wrong-password' });
    expect(third.status).toBe(401);
    const fourth = await c.post('/api/auth/login', { username: 'first_one', password: 'correct horse battery' });
    expect(fourth.status).toBe(429);
    expect(fourth.body.error.code).toBe('rate_limited');
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
