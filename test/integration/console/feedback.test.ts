/** Feedback round trip: a user sends, an admin filters, replies and resolves, the user sees a badge until they read it. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { importCard } from '../../support/characters.js';

describe.each(DIALECTS)('feedback on %s', (dialect) => {
  let t: TestApp;
  let admin: TestClient;
  let alice: TestClient;
  let bob: TestClient;
  beforeAll(async () => {
    t = await startTestApp(dialect, { FASTNPC_LLM_PROVIDER: 'offline' });
    admin = t.client();
    await admin.register('fb_admin'); // the first user is the admin
    alice = t.client();
    await alice.register();
    bob = t.client();
    await bob.register();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('goes from a user to the admin inbox and back with a reply and a badge', async () => {
    const ch = await importCard(alice, '李白');
    const sent = await alice.post('/api/feedback', { category: 'character', content: '李白的回答太长了\n能不能短一点', characterId: ch.id });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ status: 'new', title: '李白的回答太长了', characterId: ch.id, reply: null, unreadReply: false });
    await bob.post('/api/feedback', { category: 'bug', content: '按钮点不动' });

    // Someone else's character is not found, and nothing is stored.
    expect((await bob.post('/api/feedback', { category: 'character', content: 'x', characterId: ch.id })).status).toBe(404);
    expect((await bob.post('/api/feedback', { category: 'nonsense', content: 'x' })).status).toBe(400);

    const inbox = await admin.get('/api/admin/feedback?status=new');
    expect(inbox.status).toBe(200);
    expect(inbox.body.total).toBe(2);
    expect(inbox.body.items.map((f: any) => f.category)).toEqual(['bug', 'character']);

    const answered = await admin.patch(`/api/admin/feedback/${sent.body.id}`, { reply: '已调整，请再试试。', status: 'resolved' });
    expect(answered.status).toBe(200);
    expect(answered.body).toMatchObject({ status: 'resolved', reply: '已调整，请再试试。' });
    expect((await admin.get('/api/admin/feedback?status=new')).body.items.map((f: any) => f.id)).not.toContain(sent.body.id);
    expect((await admin.get('/api/admin/feedback?status=resolved')).body.byStatus).toMatchObject({ new: 1, resolved: 1 });
    expect((await admin.patch(`/api/admin/feedback/${sent.body.id}`, { status: 'done' })).status).toBe(400);
    expect((await admin.patch('/api/admin/feedback/999999', { status: 'closed' })).status).toBe(404);

    const mine = await alice.get('/api/feedback');
    expect(mine.body.unread).toBe(1);
    expect(mine.body.items[0]).toMatchObject({ reply: '已调整，请再试试。', unreadReply: true });
    expect((await bob.get('/api/feedback')).body).toMatchObject({ unread: 0, items: [{ category: 'bug' }] });
    // Bob cannot mark Alice's feedback read.
    expect((await bob.post(`/api/feedback/${sent.body.id}/read`)).status).toBe(404);
    expect((await alice.post(`/api/feedback/${sent.body.id}/read`)).status).toBe(204);
    expect((await alice.get('/api/feedback')).body.unread).toBe(0);
  });

  it('keeps the inbox for admins: 401 anonymous, 403 for users', async () => {
    expect((await t.client().get('/api/admin/feedback')).status).toBe(401);
    expect((await alice.get('/api/admin/feedback')).status).toBe(403);
    expect((await alice.patch('/api/admin/feedback/1', { status: 'closed' })).status).toBe(403);
    expect((await t.client().post('/api/feedback', { category: 'bug', content: 'x' })).status).toBe(401);
  });
});
