/**
 * Versioned prompts: every registry prompt is seeded as a version; a new version never overwrites;
 * validation names unknown and missing variables; activation (and rollback) changes what the next
 * chat prompt uses; duplicate, LCS diff, export/import.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from '../../support/services.js';
import { startTestApp, type TestApp, type TestClient } from '../../support/app.js';
import { importCard } from '../../support/characters.js';
import { PROMPT_IDS } from '../../../src/features/prompts/registry.js';

describe.each(DIALECTS)('versioned prompts on %s', (dialect) => {
  let t: TestApp;
  let admin: TestClient;
  let user: TestClient;
  beforeAll(async () => {
    t = await startTestApp(dialect, { FASTNPC_ADMIN_USER: 'prompt_boss', FASTNPC_LLM_PROVIDER: 'offline' });
    admin = t.client();
    await admin.register('prompt_boss');
    user = t.client();
    await user.register();
  });
  afterAll(async () => {
    await t?.close();
  });

  const chatRules = async () => {
    const list = await admin.get('/api/admin/prompts?category=chat');
    return list.body.items.find((p: any) => p.key === 'chat.rules');
  };
  const rulesSent = async (c: TestClient, characterId: number) => (await c.get(`/api/characters/${characterId}/prompt`)).body.parts.find((p: any) => p.name === 'rules').text as string;

  it('lists every registry prompt by category, each with its built-in text as the active version 1', async () => {
    const all = await admin.get('/api/admin/prompts');
    expect(all.status).toBe(200);
    expect(all.body.items.map((p: any) => p.key).sort()).toEqual([...PROMPT_IDS].sort());
    expect(all.body.items.every((p: any) => p.activeVersion === 1)).toBe(true);
    const memory = await admin.get('/api/admin/prompts?category=memory');
    expect(memory.body.items.map((p: any) => p.key).sort()).toEqual(['memory.integrate', 'memory.summarize', 'memory.summarize_group']);
    const rules = await chatRules();
    expect(rules.variables).toEqual(['character_name']);
    const detail = await admin.get(`/api/admin/prompts/${rules.id}`);
    expect(detail.body.versions).toHaveLength(1);
    expect(detail.body.versions[0]).toMatchObject({ version: 1, active: true, note: 'built-in', authorName: null, stats: { runs: 0 } });
  });

  it('refuses a text with unknown or missing variables, naming them, and stores nothing', async () => {
    const rules = await chatRules();
    const bad = await admin.post(`/api/admin/prompts/${rules.id}/versions`, { content: '你是{characte_name}，对{user_name}说话。' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('validation:prompt_variables');
    expect(bad.body.error.unknown).toEqual(['characte_name', 'user_name']);
    expect(bad.body.error.missing).toEqual(['character_name']);
    expect(bad.body.error.message).toContain('{characte_name}');
    const check = await admin.post(`/api/admin/prompts/${rules.id}/validate`, { content: '只说{character_name}的话。{"json": "examples are fine"}' });
    expect(check.status).toBe(200);
    expect(check.body).toEqual({ valid: true, unknown: [], missing: [] });
    const invalid = await admin.post(`/api/admin/prompts/${rules.id}/validate`, { content: '没有变量' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.missing).toEqual(['character_name']);
    expect((await admin.get(`/api/admin/prompts/${rules.id}`)).body.versions).toHaveLength(1);
  });

  it('saves edits as new versions, activates one for the next chat prompt, rolls back, duplicates and diffs', async () => {
    const ch = await importCard(user, '李白');
    const rules = await chatRules();
    const v1 = (await admin.get(`/api/admin/prompts/${rules.id}`)).body.versions[0];
    expect(await rulesSent(user, ch.id)).toContain('你现在就是李白');

    const v2 = await admin.post(`/api/admin/prompts/${rules.id}/versions`, { content: '1. 你是{character_name}，说话要像唐朝人。\n2. 回答不超过两句。', note: 'terser' });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ version: 2, active: false, note: 'terser', authorName: 'prompt_boss' });
    // Saved but not active: chat still uses version 1.
    expect(await rulesSent(user, ch.id)).toContain('你现在就是李白');

    expect((await admin.post(`/api/admin/prompt-versions/${v2.body.id}/activate`)).status).toBe(200);
    expect(await rulesSent(user, ch.id)).toContain('你是李白，说话要像唐朝人');
    const detail = (await admin.get(`/api/admin/prompts/${rules.id}`)).body;
    expect(detail.versions.map((v: any) => [v.version, v.active])).toEqual([[2, true], [1, false]]);
    expect(detail.versions[1].content).toBe(v1.content);

    // Rollback = activate the older one.
    expect((await admin.post(`/api/admin/prompt-versions/${v1.id}/activate`)).status).toBe(200);
    expect(await rulesSent(user, ch.id)).toContain('你现在就是李白');

    const copy = await admin.post(`/api/admin/prompt-versions/${v2.body.id}/duplicate`);
    expect(copy.status).toBe(201);
    expect(copy.body).toMatchObject({ version: 3, active: false, content: v2.body.content, note: 'copy of v2' });

    const diff = await admin.get(`/api/admin/prompt-versions/${v2.body.id}/diff?against=${v1.id}`);
    expect(diff.status).toBe(200);
    expect(diff.body.lines.filter((l: any) => l.op === '+').map((l: any) => l.text)).toEqual(['1. 你是{character_name}，说话要像唐朝人。', '2. 回答不超过两句。']);
    expect(diff.body.removed).toBe(v1.content.split('\n').length);
    expect(diff.body.unchanged).toBe(0);
    expect((await admin.get(`/api/admin/prompt-versions/99999/diff?against=${v1.id}`)).status).toBe(404);
  });

  it('exports everything and imports it into another deployment, activating the exported active texts', { timeout: 90_000 }, async () => {
    const rules = await chatRules();
    const versions = (await admin.get(`/api/admin/prompts/${rules.id}`)).body.versions;
    await admin.post(`/api/admin/prompt-versions/${versions.find((v: any) => v.version === 2).id}/activate`);
    const exported = await admin.get('/api/admin/prompts/export');
    expect(exported.status).toBe(200);
    expect(exported.body.prompts.find((p: any) => p.key === 'chat.rules')).toMatchObject({ active: 2 });

    const other = await startTestApp(dialect, { FASTNPC_LLM_PROVIDER: 'offline' });
    try {
      const a2 = other.client();
      await a2.register('first_is_admin');
      const imported = await a2.post('/api/admin/prompts/import', exported.body);
      expect(imported.status).toBe(200);
      // v2 and its copy have the same text: one new version; built-ins already exist.
      expect(imported.body).toEqual({ created: 1, activated: 1 });
      const ch = await importCard(a2, '杜甫');
      expect((await a2.get(`/api/characters/${ch.id}/prompt`)).body.parts.find((p: any) => p.name === 'rules').text).toContain('你是杜甫，说话要像唐朝人');
      // Importing again changes nothing.
      expect((await a2.post('/api/admin/prompts/import', exported.body)).body).toEqual({ created: 0, activated: 0 });
      const unknown = await a2.post('/api/admin/prompts/import', { ...exported.body, prompts: [{ key: 'nope.prompt', active: 1, versions: [] }] });
      expect(unknown.status).toBe(400);
      expect(unknown.body.error.message).toContain('nope.prompt');
    } finally {
      await other.close();
    }
  });

  it('keeps every prompt route for admins: 401 anonymous, 403 for others', async () => {
    const rules = await chatRules();
    const anon = t.client();
    for (const [method, path] of [
      ['GET', '/api/admin/prompts'],
      ['GET', `/api/admin/prompts/${rules.id}`],
      ['POST', `/api/admin/prompts/${rules.id}/versions`],
      ['POST', `/api/admin/prompt-versions/${rules.activeVersionId}/activate`],
      ['GET', '/api/admin/prompts/export'],
    ] as const) {
      expect((await anon.request(method, path, method === 'POST' ? { content: 'x{character_name}' } : undefined)).status).toBe(401);
      expect((await user.request(method, path, method === 'POST' ? { content: 'x{character_name}' } : undefined)).status).toBe(403);
    }
  });
});
