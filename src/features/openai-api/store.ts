/** SQL for the OpenAI-compatible API: the user's characters and groups as models. */
import type { Kysely } from 'kysely';
import type { Database } from '../../infra/db/schema.js';

type Db = Kysely<Database>;

export interface ModelRow {
  kind: 'character' | 'group';
  id: number;
  name: string;
  createdAt: number;
}

const toModel = (kind: ModelRow['kind']) => (r: { id: number; name: string; created_at: number }): ModelRow => ({ kind, id: r.id, name: r.name, createdAt: r.created_at });

/** Every character and group of the user, oldest first (a stable list for apps' model pickers). */
export async function listModels(db: Db, userId: number): Promise<ModelRow[]> {
  const [characters, groups] = await Promise.all([
    db.selectFrom('characters').select(['id', 'name', 'created_at']).where('user_id', '=', userId).orderBy('id', 'asc').execute(),
    db.selectFrom('groups').select(['id', 'name', 'created_at']).where('user_id', '=', userId).orderBy('id', 'asc').execute(),
  ]);
  return [...characters.map(toModel('character')), ...groups.map(toModel('group'))];
}

/** The user's characters and groups called `name` (a model alias). */
export async function findModelsByName(db: Db, userId: number, name: string): Promise<ModelRow[]> {
  const [characters, groups] = await Promise.all([
    db.selectFrom('characters').select(['id', 'name', 'created_at']).where('user_id', '=', userId).where('name', '=', name).execute(),
    db.selectFrom('groups').select(['id', 'name', 'created_at']).where('user_id', '=', userId).where('name', '=', name).execute(),
  ]);
  return [...characters.map(toModel('character')), ...groups.map(toModel('group'))];
}

/** One model by kind and id, if the user owns it. */
export async function findModel(db: Db, userId: number, kind: 'character' | 'group', id: number): Promise<ModelRow | undefined> {
  const table = kind === 'character' ? 'characters' : 'groups';
  const r = await db.selectFrom(table).select(['id', 'name', 'created_at']).where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
  return r && toModel(kind)(r);
}
