/**
 * A long one-to-one chat for browser tests and the web bench: registers a user on a running stack,
 * imports 李白 as a card, plays one real turn (which creates the conversation), then writes the
 * rest of the history straight into the stack's SQLite database (a thousand turns through the API
 * would take minutes of mock-LLM streaming).
 *
 * @example
 *   const { cookie, characterId } = await seedLongChat(stack, 1000);
 *   await context.addCookies([cookie]);
 *   await page.goto(`${stack.baseUrl}/characters/${characterId}`);
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Stack } from '../e2e/stack.js';
import { cardJson } from './characters.js';

export interface LongChat {
  cookie: { name: string; value: string; url: string };
  characterId: number;
  /** The text of the conversation's first message (the greeting: the real turn came first), to find it on screen. */
  firstText: string;
}

const LINES = ['**床前明月光**，疑是地上霜。举头望明月，低头思故乡。', '- 长安一片月\n- 万户捣衣声\n- 秋风吹不尽', '君不见黄河之水天上来，奔流到海不复回。君不见高堂明镜悲白发，朝如青丝暮成雪。人生得意须尽欢，莫使金樽空对月。'];

/** `messages` in all: the seeded ones (oldest, numbered from 0) and the real turn's two (newest). */
export async function seedLongChat(stack: Stack, messages: number, username = 'bench'): Promise<LongChat> {
  const reg = await fetch(`${stack.baseUrl}/api/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'correct horse battery' }) });
  if (reg.status !== 201) throw new Error(`register: ${reg.status} ${await reg.text()}`);
  const value = /fastnpc_session=([^;]+)/.exec(reg.headers.get('set-cookie') ?? '')?.[1];
  if (!value) throw new Error('no session cookie');
  const headers = { cookie: `fastnpc_session=${value}` };
  const fd = new FormData();
  fd.append('file', new Blob([JSON.stringify(cardJson('李白'))], { type: 'application/json' }), 'card.json');
  const imp = await fetch(`${stack.baseUrl}/api/characters/import`, { method: 'POST', body: fd, headers });
  const character = (await imp.json()) as { id: number; character?: { id: number } };
  const characterId = character.character?.id ?? character.id;
  // One real turn creates the conversation; the rest of the history is written straight to the database.
  const turn = await fetch(`${stack.baseUrl}/api/characters/${characterId}/messages`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ content: '你好' }) });
  await turn.text();
  const db = new Database(join(stack.dataDir, 'fastnpc.db'));
  let firstText = '';
  try {
    const conv = db.prepare('select id from conversations where character_id = ?').get(characterId) as { id: number };
    const insert = db.prepare('insert into messages (conversation_id, role, character_id, content, status, compressed, created_at) values (?, ?, ?, ?, ?, 0, ?)');
    const t0 = Date.now() - messages * 60_000;
    db.transaction(() => {
      for (let i = 0; i < messages - 2; i++) insert.run(conv.id, i % 2 === 0 ? 'user' : 'assistant', i % 2 === 0 ? null : characterId, seededText(i), 'complete', t0 + i * 60_000);
    })();
    firstText = (db.prepare('select content from messages where conversation_id = ? order by id limit 1').get(conv.id) as { content: string }).content;
  } finally {
    db.close();
  }
  return { cookie: { name: 'fastnpc_session', value, url: stack.baseUrl }, characterId, firstText };
}

/** The seeded message number `i`: users ask "第 i 句", the character answers with two poem lines. */
export function seededText(i: number): string {
  return i % 2 === 0 ? `第 ${i} 句：你怎么看${LINES[i % 3]!.slice(0, 12)}？` : `${LINES[i % 3]}\n\n${LINES[(i + 1) % 3]}`;
}
