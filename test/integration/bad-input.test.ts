/**
 * Input that used to reach the database and come back as 500 (mostly on PostgreSQL): huge ids,
 * non-finite numbers, NUL characters and deeply nested JSON. Each is a clear 400 now.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterToCard, writeCardPng } from '../../src/features/characters/card.js';
import { DIALECTS } from '../support/services.js';
import { startTestApp, type Res, type TestApp, type TestClient } from '../support/app.js';
import { cardJson, importCard } from '../support/characters.js';

const NUL = '\u0000';
const nested = (levels: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = { v };
  return v;
};

function expect400(r: Res, code = /^validation/) {
  expect(r.status, `${r.status} ${r.text}`).toBe(400);
  expect(r.body.error.code).toMatch(code);
  expect(r.text).not.toMatch(/ at .*\.(ts|js):\d+|SELECT|INSERT|syntax/i);
}

describe.each(DIALECTS)('bad input on %s', (dialect) => {
  let t: TestApp;
  let admin: TestClient;
  let alice: TestClient;
  let characterId: number;

  beforeAll(async () => {
    t = await startTestApp(dialect, { FASTNPC_CREATION_RATE_PER_MIN: '0' }, { runJobs: false });
    admin = t.client();
    await admin.register();
    alice = t.client();
    await alice.register();
    characterId = (await importCard(alice, '李白')).id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 400 for path ids beyond the safe integer range and 404 just inside it', async () => {
    for (const id of ['9223372036854775808', '9223372036854775807', '9007199254740992', '1e400', '99999999999999999999999']) {
      expect400(await alice.get(`/api/characters/${id}`));
      expect400(await alice.del(`/api/groups/${id}`));
      expect400(await alice.get(`/api/characters/${characterId}/messages?before=${id}`));
      expect400(await alice.del(`/api/characters/${characterId}/messages/${id}`));
    }
    expect((await alice.get(`/api/characters/${Number.MAX_SAFE_INTEGER}`)).status).toBe(404);
  });

  it('answers 400 for non-finite limit and offset', async () => {
    for (const q of ['limit=1e400', 'offset=1e400', 'offset=-1e400', 'limit=NaN', 'offset=Infinity']) {
      expect400(await alice.get(`/api/characters?${q}`));
      expect400(await admin.get(`/api/admin/users?${q}`));
    }
    expect((await alice.get('/api/characters?limit=100&offset=1000000')).status).toBe(200);
  });

  it('answers 400 for non-finite numbers in JSON bodies', async () => {
    const r = await alice.request('PUT', '/api/me/settings', '{"chatModel":null,"budgetSession":1e400,"budgetShortTerm":1,"budgetLongTerm":1,"profileText":"","groupRounds":1}', { 'content-type': 'application/json' });
    expect400(r);
  });

  it('refuses NUL characters wherever text enters', async () => {
    const settings = (await alice.get('/api/me/settings')).body;
    const attempts: Res[] = [
      await t.client().post('/api/auth/register', { username: `nul${NUL}user`, password: 'correct horse battery' }),
      await t.client().post('/api/auth/login', { username: `alice${NUL}`, password: 'correct horse battery' }),
      await t.client().post('/api/auth/login', { username: 'alice', password: `pw${NUL}pw-long-enough` }),
      await alice.patch(`/api/characters/${characterId}`, { name: `李${NUL}白` }),
      await alice.patch(`/api/characters/${characterId}`, { biography: `bio${NUL}` }),
      await alice.put('/api/me/settings', { ...settings, profileText: `me${NUL}` }),
      await alice.get(`/api/characters?q=${encodeURIComponent(`李${NUL}`)}`),
      await alice.post('/api/characters/creations', { name: `名${NUL}字`, source: 'text', text: '一段足够长的文字，介绍这个测试人物的生平。', detail: 'concise' }),
      await alice.post('/api/characters/creations', { name: '名字', source: 'text', text: `一段足够长的文字${NUL}，介绍这个测试人物的生平。`, detail: 'concise' }),
      await alice.get(`/api/sources/baike/candidates?name=${encodeURIComponent(`李${NUL}`)}`),
      await alice.post(`/api/characters/${characterId}/messages`, { content: `hello${NUL}` }),
      await alice.post('/api/groups', { name: `g${NUL}`, memberIds: [characterId, characterId + 1] }),
      await alice.put(`/api/characters/${characterId}/profile`, { profile: { identity: { [`k${NUL}`]: 'v' } } }),
    ];
    for (const r of attempts) expect400(r, /^validation:nul_character$/);
    expect((await alice.get(`/api/characters/${characterId}`)).body.name).toBe('李白');
  });

  it('refuses JSON bodies nested too deep', async () => {
    expect400(await alice.put(`/api/characters/${characterId}/profile`, { profile: { identity: nested(3000) } }), /^validation:too_deep$/);
    expect400(await alice.put(`/api/characters/${characterId}/profile`, { profile: { identity: nested(70) } }), /^validation:too_deep$/);
    const deepText = `{"profile":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect400(await alice.request('PUT', `/api/characters/${characterId}/profile`, deepText, { 'content-type': 'application/json' }));
  });

  it('refuses a card whose JSON is nested thousands of levels deep, in a PNG or as JSON', async () => {
    const deep = cardJson('深', { extensions: nested(3000) });
    const avatar = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } }).png().toBuffer();
    const png = writeCardPng(deep, deep, avatar);
    for (const [bytes, type, name] of [
      [png, 'image/png', 'card.png'],
      [Buffer.from(JSON.stringify(deep)), 'application/json', 'card.json'],
    ] as const) {
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
      const r = await alice.post('/api/characters/import', form);
      expect400(r, /^validation:card/);
      expect(r.body.error.message).toMatch(/nested more than 64 levels/);
    }
    // A card exported by us imports again (no false alarm on ordinary depth).
    const c = (await alice.get(`/api/characters/${characterId}`)).body;
    const ok = writeCardPng(characterToCard(c, 'v2'), characterToCard(c, 'v3'), avatar);
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(ok)], { type: 'image/png' }), 'ok.png');
    expect((await alice.post('/api/characters/import', form)).status).toBe(201);
  });
});
