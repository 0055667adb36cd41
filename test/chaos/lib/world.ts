/**
 * The cast and the props of the authorization matrix and the fuzzer: an admin, an owner with one of
 * everything (two characters, a conversation, a memory, a group, a finished creation job), another
 * user, and an anonymous client. Every owner resource carries a secret marker that must never show
 * up in a response to someone else.
 */
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import type { TestApp, TestClient } from '../../support/app.js';
import { importCard } from '../../support/characters.js';
import { waitFor } from '../../support/wait.js';

export const PASSWORD = 'correct horse battery';

export interface Actor {
  name: 'anonymous' | 'other' | 'owner' | 'admin';
  client: TestClient;
}

export interface World {
  anonymous: TestClient;
  owner: TestClient;
  other: TestClient;
  admin: TestClient;
  /** In the owner's character name, messages, memory and group name. */
  marker: string;
  /** Values for every path parameter the API has, keyed `{prefix}:{param}` or `{param}`. */
  ids: Record<string, string | number>;
  /** Each signed-in actor's API key: the only credential the OpenAI-compatible /v1 routes take. */
  apiKeys: Map<TestClient, string>;
}

/** The credentials a request to `path` carries besides the session cookie: an API key on /v1. */
export function apiKeyHeaders(world: World, client: TestClient, path: string): Record<string, string> {
  const key = path.startsWith('/v1/') ? world.apiKeys.get(client) : undefined;
  return key ? { authorization: `Bearer ${key}` } : {};
}

const TERMINAL = ['done', 'failed', 'cancelled'];

/** The first user of an app is its admin: call once per app, before any `buildWorld`. */
export async function registerAdmin(app: TestApp): Promise<TestClient> {
  const admin = app.client();
  const u = await admin.register(`admin_${randomBytes(3).toString('hex')}`, PASSWORD);
  if (!u.isAdmin) throw new Error('the chaos admin must be the first user of the app');
  return admin;
}

export async function tinyPng(width = 32, height = 32): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 50, b: 50 } } }).png().toBuffer();
}

export async function buildWorld(app: TestApp, admin: TestClient): Promise<World> {
  const marker = `Secret${randomBytes(4).toString('hex')}`;
  const owner = app.client();
  const other = app.client();
  await owner.register(`own_${randomBytes(4).toString('hex')}`, PASSWORD);
  await other.register(`oth_${randomBytes(4).toString('hex')}`, PASSWORD);

  const c1 = await importCard(owner, `${marker}A`, { description: `${marker} description` });
  const c2 = await importCard(owner, `${marker}B`);
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(await tinyPng())], { type: 'image/png' }), 'a.png');
  const avatar = await owner.put(`/api/characters/${c1.id}/avatar`, form);
  if (avatar.status !== 200) throw new Error(`avatar: ${avatar.status} ${avatar.text}`);

  const persona = await owner.post('/api/personas', { name: `${marker} persona`, description: `${marker} plays` });
  if (persona.status !== 201) throw new Error(`persona: ${persona.status} ${persona.text}`);
  const personaAvatar = new FormData();
  personaAvatar.append('file', new Blob([new Uint8Array(await tinyPng())], { type: 'image/png' }), 'p.png');
  if ((await owner.put(`/api/personas/${persona.body.id}/avatar`, personaAvatar)).status !== 200) throw new Error('persona avatar');

  const turn = await owner.post(`/api/characters/${c1.id}/messages`, { content: `${marker} my private message` });
  if (turn.status !== 200) throw new Error(`turn: ${turn.status} ${turn.text}`);

  const memory = await app.ctx.database.db
    .insertInto('memory_items')
    .values({ character_id: c1.id, conversation_id: null, kind: 'long_term', content: `${marker} remembers`, importance: 0.5, pinned: 0, range_start: null, range_end: null, created_at: Date.now(), updated_at: Date.now() })
    .returning('id')
    .executeTakeFirstOrThrow();

  const group = await owner.post('/api/groups', { name: `${marker} group`, memberIds: [c1.id, c2.id] });
  if (group.status !== 201) throw new Error(`group: ${group.status} ${group.text}`);

  const creation = await owner.post('/api/characters/creations', { name: `${marker}C`, source: 'text', text: `${marker}C 是一位诗人，生于长安，好饮酒。`.repeat(5), detail: 'concise' });
  if (creation.status !== 202) throw new Error(`creation: ${creation.status} ${creation.text}`);
  const jobId = creation.body.job.id as string;
  await waitFor(async () => TERMINAL.includes((await owner.get(`/api/jobs/${jobId}`)).body?.state), 60_000);

  // The operator's console: a prompt and its version, the owner's conversation and feedback, a spare account to administer.
  const db = app.ctx.database.db;
  const rules = await db.selectFrom('prompt_templates').select(['id', 'active_version_id']).where('key', '=', 'chat.rules').executeTakeFirstOrThrow();
  const conversation = await db.selectFrom('conversations').select('id').where('character_id', '=', c1.id).executeTakeFirstOrThrow();
  const feedback = await owner.post('/api/feedback', { category: 'other', content: `${marker} feedback` });
  if (feedback.status !== 201) throw new Error(`feedback: ${feedback.status} ${feedback.text}`);
  // A lorebook of the owner's, attached to the first character and to the group.
  const book = await owner.post('/api/lorebooks/import', { name: `${marker} lore`, content: JSON.stringify({ entries: { '0': { uid: 0, key: ['长安'], content: `${marker} lore entry` } } }) });
  if (book.status !== 201) throw new Error(`lorebook: ${book.status} ${book.text}`);
  await owner.put(`/api/lorebooks/${book.body.id}/characters/${c1.id}`);
  await owner.put(`/api/lorebooks/${book.body.id}/groups/${group.body.id}`);
  const spare = app.client();
  const spareUser = await spare.register();
  // Providers and models: one that answers nowhere (port 9), so the matrix never calls out.
  const provider = await admin.post('/api/admin/providers', { name: 'chaos provider', kind: 'custom', baseUrl: 'http://127.0.0.1:9/v1', connectTimeoutMs: 1000, timeoutMs: 2000, concurrency: 1, enabled: true, userKeys: true });
  if (provider.status !== 201) throw new Error(`provider: ${provider.status} ${provider.text}`);
  const model = await admin.post(`/api/admin/providers/${provider.body.id}/models`, { name: 'chaos-model' });
  if (model.status !== 201) throw new Error(`model: ${model.status} ${model.text}`);
  // Evaluations: a test case on the owner's character and a run of it.
  const testCase = await admin.post('/api/admin/test-cases', { name: `${marker} case`, kind: 'chat', characterId: c1.id, input: { messages: [{ role: 'user', content: 'hi' }] }, expected: '' });
  if (testCase.status !== 201) throw new Error(`test case: ${testCase.status} ${testCase.text}`);
  const run = await admin.post('/api/admin/evaluations', { caseIds: [testCase.body.id] });
  if (run.status !== 202) throw new Error(`evaluation: ${run.status} ${run.text}`);
  // A failed job for the operations page's retry (an evaluation job without a run: retrying it does nothing).
  const failedJobId = `chaos-failed-${randomBytes(4).toString('hex')}`;
  await db.insertInto('jobs').values({ id: failedJobId, user_id: null, kind: 'evaluation', state: 'failed', progress_json: '{"step":"queued","done":0,"total":0}', input_json: '{}', result_json: null, error_code: 'internal', error_message: 'chaos', attempts: 1, created_at: Date.now(), updated_at: Date.now(), finished_at: Date.now() }).execute();

  const apiKeys = new Map<TestClient, string>();
  for (const c of [owner, other, admin]) {
    const k = await c.post('/api/me/api-keys', { name: c === owner ? `${marker} key` : 'key' });
    if (k.status !== 201) throw new Error(`api key: ${k.status} ${k.text}`);
    apiKeys.set(c, k.body.token);
  }
  // A second key of the owner's, to be renamed and revoked by the matrix (the first keeps working).
  const spareKey = await owner.post('/api/me/api-keys', { name: `${marker} spare key` });

  return {
    anonymous: app.client(),
    owner,
    other,
    admin,
    marker,
    ids: {
      'characters:id': c1.id,
      'groups:id': group.body.id,
      'jobs:id': jobId,
      messageId: turn.body.userMessageId,
      memoryId: Number(memory.id),
      characterId: c2.id,
      source: 'baike',
      'prompts:id': rules.id,
      'prompt-versions:id': rules.active_version_id!,
      'conversations:id': conversation.id,
      'chats:id': conversation.id,
      'personas:id': persona.body.id,
      'messages:id': turn.body.userMessageId,
      'feedback:id': feedback.body.id,
      'users:id': spareUser.id,
      'providers:id': provider.body.id,
      providerId: provider.body.id,
      'models:id': model.body.id,
      'lorebooks:id': book.body.id,
      groupId: group.body.id,
      key: '0',
      'api-keys:id': spareKey.body.key.id,
      'models:model': `character/${c1.id}`,
      'test-cases:id': testCase.body.id,
      'evaluations:id': run.body.id,
      'failed-jobs:id': failedJobId,
    },
    apiKeys,
  };
}

/** Path values for an operation: `{id}` depends on the collection it follows. */
export function pathValues(world: World, path: string): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const segments = path.split('/');
  segments.forEach((seg, i) => {
    const m = /^\{(\w+)\}$/.exec(seg);
    if (!m) return;
    const name = m[1]!;
    const scoped = `${segments[i - 1]}:${name}`;
    if (scoped in world.ids) out[name] = world.ids[scoped]!;
    else if (name in world.ids) out[name] = world.ids[name]!;
  });
  return out;
}

/** Body fields that name the owner's resources (so "other user" tries to use them). */
export function bodyHints(world: World, actorPassword = PASSWORD): Record<string, unknown> {
  return {
    memberIds: [world.ids['characters:id'], world.ids.characterId],
    characterId: world.ids.characterId,
    speakerId: world.ids['characters:id'],
    personaId: world.ids['personas:id'],
    password: actorPassword,
    currentPassword: actorPassword,
    newPassword: actorPassword,
    // A name the fixture encyclopedia knows (candidates, creations).
    name: '李白',
    // Valid as a message and as a new version of the chat rules (its one variable).
    content: '你好 {character_name}',
    // An address that refuses at once (a provider's test connection).
    baseUrl: 'http://127.0.0.1:9/v1',
  };
}
