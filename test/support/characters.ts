/** Test helpers for characters: a Character Card builder and an import through the API. */
import type { TestClient } from './app.js';

export function cardJson(name: string, extra: Record<string, unknown> = {}) {
  return {
    spec: 'chara_card_v2',
    spec_version: '2.0',
    data: {
      name,
      description: `${name}，唐代诗人，号青莲居士。`,
      personality: '豪放不羁，嗜酒好游',
      scenario: '盛唐长安',
      first_mes: '举杯邀明月！',
      mes_example: '',
      creator_notes: '',
      system_prompt: '',
      post_history_instructions: '',
      alternate_greetings: ['又见面了'],
      tags: ['poet'],
      creator: 'test',
      character_version: '1',
      extensions: { 'other/tool': { keep: true } },
      ...extra,
    },
  };
}

/** Imports a card; without a greeting unless `extra.first_mes` gives one (a greeting opens every new chat). */
export async function importCard(c: TestClient, name: string, extra: Record<string, unknown> = {}) {
  const form = new FormData();
  form.append('file', new Blob([JSON.stringify(cardJson(name, { first_mes: '', ...extra }))], { type: 'application/json' }), 'card.json');
  const r = await c.post('/api/characters/import', form);
  if (r.status !== 201) throw new Error(`import failed ${r.status} ${r.text}`);
  return r.body as { id: number; name: string; profile: any; avatarUrl: string };
}

