import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { DIALECTS } from '../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../support/app.js';
import { importCard } from '../support/characters.js';

async function pngBytes(w: number, h: number) {
  return sharp({ create: { width: w, height: h, channels: 3, background: { r: 200, g: 30, b: 30 } } }).png().toBuffer();
}

describe.each(DIALECTS)('characters on %s', (dialect) => {
  let t: TestApp;
  let alice: TestClient;
  let bob: TestClient;
  beforeAll(async () => {
    t = await startTestApp(dialect);
    alice = t.client();
    bob = t.client();
    await alice.register();
    await bob.register();
  });
  afterAll(async () => t?.close());

  it('imports a card, lists, searches and reads it', async () => {
    const li = await importCard(alice, '李白');
    expect(li.name).toBe('李白');
    expect(li.profile.personality.traits).toContain('豪放');
    await importCard(alice, 'Sherlock Holmes');
    const list = await alice.get('/api/characters');
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: any) => i.name)).toEqual(expect.arrayContaining(['李白', 'Sherlock Holmes']));
    // Newest first.
    expect(list.body.items[0].name).toBe('Sherlock Holmes');
    const search = await alice.get('/api/characters?q=sherlock');
    expect(search.body.items.map((i: any) => i.name)).toEqual(['Sherlock Holmes']);
    const pct = await alice.get('/api/characters?q=%25');
    expect(pct.body.items).toEqual([]);
    const one = await alice.get(`/api/characters/${li.id}`);
    expect(one.status).toBe(200);
    expect(one.body.profile).toBeTruthy();
  });

  it('gives a repeated name a visible suffix, on import and on copy', async () => {
    const a = await importCard(alice, '杜甫');
    const b = await importCard(alice, '杜甫');
    expect(b.name).toBe('杜甫 (2)');
    const copy = await alice.post(`/api/characters/${a.id}/copy`);
    expect(copy.status).toBe(201);
    expect(copy.body.name).toBe('杜甫 (3)');
    expect(copy.body.profile).toEqual(a.profile);
  });

  it('renames (409 on a taken name), edits the biography, replaces the profile keeping unknown fields', async () => {
    const c = await importCard(alice, '王维');
    await importCard(alice, '孟浩然');
    expect((await alice.patch(`/api/characters/${c.id}`, { name: '孟浩然' })).status).toBe(409);
    const renamed = await alice.patch(`/api/characters/${c.id}`, { name: '王摩诘', biography: '诗佛。' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: '王摩诘', biography: '诗佛。' });
    expect((await alice.patch(`/api/characters/${c.id}`, {})).status).toBe(400);

    const profile = { identity: { name: '王维', intro: '盛唐诗人', favouriteColour: '青' }, personality: { traits: '淡泊' }, customSection: { a: 1 } };
    const put = await alice.put(`/api/characters/${c.id}/profile`, { profile });
    expect(put.status).toBe(200);
    expect(put.body.profile).toEqual(profile);
    const bad = await alice.put(`/api/characters/${c.id}/profile`, { profile: { background: { experiences: 'not a list' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('experiences');
    expect((await alice.get(`/api/characters/${c.id}`)).body.profile).toEqual(profile);
  });

  it('uploads an avatar: re-encoded to 512×512 WebP, served with an ETag, 304 when unchanged', async () => {
    const c = await importCard(alice, '苏轼');
    const def = await alice.get(`/api/characters/${c.id}/avatar`);
    expect(def.status).toBe(200);
    expect(def.headers.get('content-type')).toBe('image/webp');

    const form = new FormData();
    form.append('cropX', '10');
    form.append('cropY', '0');
    form.append('cropWidth', '300');
    form.append('cropHeight', '300');
    form.append('file', new Blob([new Uint8Array(await pngBytes(400, 300))], { type: 'image/png' }), '../../etc/passwd.png');
    const up = await alice.put(`/api/characters/${c.id}/avatar`, form);
    expect(up.status).toBe(200);
    expect(up.body.avatarUrl).toMatch(new RegExp(`^/api/characters/${c.id}/avatar\\?v=`));
    const res = await fetch(t.url + up.body.avatarUrl, { headers: { cookie: alice.cookie } });
    const bytes = Buffer.from(await res.arrayBuffer());
    const meta = await sharp(bytes).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 512, height: 512 });
    const etag = res.headers.get('etag')!;
    const again = await fetch(t.url + up.body.avatarUrl, { headers: { cookie: alice.cookie, 'if-none-match': etag } });
    expect(again.status).toBe(304);

    const text = new FormData();
    text.append('file', new Blob(['hello, not an image'], { type: 'image/png' }), 'x.png');
    const refused = await alice.put(`/api/characters/${c.id}/avatar`, text);
    expect(refused.status).toBe(415);
    const big = new FormData();
    big.append('file', new Blob([new Uint8Array(6 * 1024 * 1024).fill(1)], { type: 'image/png' }), 'big.png');
    expect((await alice.put(`/api/characters/${c.id}/avatar`, big)).status).toBe(413);
    const badCrop = new FormData();
    badCrop.append('cropX', '10');
    badCrop.append('file', new Blob([new Uint8Array(await pngBytes(50, 50))], { type: 'image/png' }), 'a.png');
    expect((await alice.put(`/api/characters/${c.id}/avatar`, badCrop)).status).toBe(400);
    const json = await alice.put(`/api/characters/${c.id}/avatar`, { file: 'x' });
    expect(json.status).toBe(415);
  });

  it('exports a card as PNG and JSON and imports it back without loss', async () => {
    const c = await importCard(alice, '陶渊明', { extensions: { 'other/tool': { keep: 42 } }, creator_notes: 'note' });
    const json = await alice.get(`/api/characters/${c.id}/card?format=json`);
    expect(json.status).toBe(200);
    expect(json.body.spec).toBe('chara_card_v3');
    expect(json.body.data.extensions['other/tool']).toEqual({ keep: 42 });
    expect(json.body.data.extensions['fastnpc/profile']).toEqual(c.profile);
    expect(json.headers.get('content-disposition')).toContain("filename*=UTF-8''");

    const png = await fetch(`${t.url}/api/characters/${c.id}/card?format=png`, { headers: { cookie: alice.cookie } });
    expect(png.headers.get('content-type')).toBe('image/png');
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(await png.arrayBuffer())], { type: 'image/png' }), 'card.png');
    const back = await alice.post('/api/characters/import', form);
    expect(back.status).toBe(201);
    expect(back.body.name).toBe('陶渊明 (2)');
    expect(back.body.profile).toEqual(c.profile);
    const again = await alice.get(`/api/characters/${back.body.id}/card?format=json`);
    expect(again.body.data.extensions['other/tool']).toEqual({ keep: 42 });
    expect(again.body.data.creator_notes).toBe('note');
  });

  it('refuses a malformed card with 400 naming the problem', async () => {
    const form = new FormData();
    form.append('file', new Blob(['{"spec":"chara_card_v2","data":{}}'], { type: 'application/json' }), 'bad.json');
    const r = await alice.post('/api/characters/import', form);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation:card');
    expect(r.body.error.message).toMatch(/name/);
  });

  it('deletes a character and its avatar; the list forgets it at once', async () => {
    const c = await importCard(alice, '白居易');
    await alice.get('/api/characters'); // warm the list cache
    expect((await alice.del(`/api/characters/${c.id}`)).status).toBe(204);
    expect((await alice.get(`/api/characters/${c.id}`)).status).toBe(404);
    const names = (await alice.get('/api/characters?limit=100')).body.items.map((i: any) => i.name);
    expect(names).not.toContain('白居易');
  });

  it('answers 404 to another user on every character route, and changes nothing', async () => {
    const c = await importCard(alice, '李清照');
    const id = c.id;
    const form = () => {
      const f = new FormData();
      f.append('file', new Blob(["x"]), 'x.png');
      return f;
    };
    const attempts = [
      bob.get(`/api/characters/${id}`),
      bob.patch(`/api/characters/${id}`, { name: 'stolen' }),
      bob.put(`/api/characters/${id}/profile`, { profile: {} }),
      bob.post(`/api/characters/${id}/copy`),
      bob.del(`/api/characters/${id}`),
      bob.get(`/api/characters/${id}/avatar`),
      bob.get(`/api/characters/${id}/card?format=json`),
    ];
    for (const r of await Promise.all(attempts)) expect(r.status).toBe(404);
    const f = form();
    f.set('file', new Blob([new Uint8Array(await pngBytes(20, 20))]), 'x.png');
    expect((await bob.put(`/api/characters/${id}/avatar`, f)).status).toBe(404);
    expect((await bob.get('/api/characters')).body.items.map((i: any) => i.id)).not.toContain(id);
    const still = await alice.get(`/api/characters/${id}`);
    expect(still.body.name).toBe('李清照');
    expect((await t.client().get(`/api/characters/${id}`)).status).toBe(401);
  });
});
