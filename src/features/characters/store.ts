/**
 * SQL for characters. Every read and write takes the acting user and ANDs the ownership
 * predicate, so a user can never see or change another user's character; admin reads are explicit.
 */
import type { Kysely, Transaction } from 'kysely';
import type { CharacterRow, Database } from '../../infra/db/schema.js';
import { isUniqueViolation, likeFilter } from '../../infra/db/index.js';
import type { Profile } from './profile.js';

type Db = Kysely<Database> | Transaction<Database>;

export interface Character {
  id: number;
  userId: number;
  name: string;
  profile: Profile;
  biography: string;
  avatarFile: string | null;
  source: string;
  sourcePageId: number | null;
  cardExtras: Record<string, unknown> | null;
  createdAt: number;
  updatedAt: number;
}

export interface Actor {
  userId: number;
  isAdmin?: boolean;
  /** The user's name for `{{user}}` in role-play text; 'User' when not given. */
  userName?: string;
}

export function rowToCharacter(r: CharacterRow): Character {
  return {
    id: r.id,
    userId: r.user_id,
    name: r.name,
    profile: JSON.parse(r.profile_json) as Profile,
    biography: r.biography,
    avatarFile: r.avatar_file,
    source: r.source,
    sourcePageId: r.source_page_id,
    cardExtras: r.card_json ? (JSON.parse(r.card_json) as Record<string, unknown>) : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function findCharacter(db: Db, actor: Actor, id: number): Promise<Character | undefined> {
  let q = db.selectFrom('characters').selectAll().where('id', '=', id);
  if (!actor.isAdmin) q = q.where('user_id', '=', actor.userId);
  const r = await q.executeTakeFirst();
  return r && rowToCharacter(r);
}

export async function listCharacters(db: Db, userId: number, opts: { q?: string; limit: number; offset: number }) {
  let base = db.selectFrom('characters').where('user_id', '=', userId);
  if (opts.q) base = base.where(likeFilter('name', opts.q, 'contains'));
  const [rows, total] = await Promise.all([
    base
      .select(['id', 'name', 'biography', 'avatar_file', 'source', 'created_at', 'updated_at'])
      .orderBy('updated_at', 'desc')
      .orderBy('id', 'desc')
      .limit(opts.limit)
      .offset(opts.offset)
      .execute(),
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

export interface NewCharacterInput {
  userId: number;
  name: string;
  profile: Profile;
  biography: string;
  source: string;
  sourcePageId?: number | null;
  avatarFile?: string | null;
  cardExtras?: Record<string, unknown> | null;
  now: number;
}

/**
 * Inserts a character; a name the user already has gets a visible suffix (「李白 (2)」).
 * Retries on a unique violation, so two concurrent creations of the same name both succeed.
 */
export async function insertCharacter(db: Db, c: NewCharacterInput): Promise<Character> {
  const base = c.name.replace(/ \(\d+\)$/, '');
  for (let attempt = 0; attempt < 20; attempt++) {
    const name = await firstFreeName(db, c.userId, base, c.name);
    try {
      const row = await db
        .insertInto('characters')
        .values({
          user_id: c.userId,
          name,
          profile_json: JSON.stringify(c.profile),
          biography: c.biography,
          avatar_file: c.avatarFile ?? null,
          source: c.source,
          source_page_id: c.sourcePageId ?? null,
          card_json: c.cardExtras ? JSON.stringify(c.cardExtras) : null,
          created_at: c.now,
          updated_at: c.now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return rowToCharacter(row);
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
  }
  throw new Error('could not find a free character name');
}

async function firstFreeName(db: Db, userId: number, base: string, wanted: string): Promise<string> {
  const rows = await db.selectFrom('characters').select('name').where('user_id', '=', userId).where(likeFilter('name', base, 'prefix')).execute();
  const taken = new Set(rows.map((r) => r.name));
  if (!taken.has(wanted)) return wanted;
  for (let n = 2; ; n++) if (!taken.has(`${base} (${n})`)) return `${base} (${n})`;
}

export async function updateCharacter(
  db: Db,
  userId: number,
  id: number,
  patch: Partial<Pick<Character, 'name' | 'biography' | 'profile' | 'avatarFile' | 'cardExtras'>>,
  now: number,
  /** Only if the row is still at this version (a read-modify-write that must not lose a concurrent one). */
  ifUpdatedAt?: number,
): Promise<Character | undefined> {
  const row = await db
    .updateTable('characters')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.biography !== undefined ? { biography: patch.biography } : {}),
      ...(patch.profile !== undefined ? { profile_json: JSON.stringify(patch.profile) } : {}),
      ...(patch.avatarFile !== undefined ? { avatar_file: patch.avatarFile } : {}),
      ...(patch.cardExtras !== undefined ? { card_json: patch.cardExtras ? JSON.stringify(patch.cardExtras) : null } : {}),
      updated_at: now,
    })
    .where('id', '=', id)
    .where('user_id', '=', userId)
    .$if(ifUpdatedAt !== undefined, (q) => q.where('updated_at', '=', ifUpdatedAt!))
    .returningAll()
    .executeTakeFirst();
  return row && rowToCharacter(row);
}

export async function deleteCharacter(db: Db, userId: number, id: number): Promise<Character | undefined> {
  const row = await db.deleteFrom('characters').where('id', '=', id).where('user_id', '=', userId).returningAll().executeTakeFirst();
  return row && rowToCharacter(row);
}

export async function insertSourcePage(
  db: Db,
  p: { source: string; key: string; title: string; url?: string; pageJson: string; markdown: string; now: number },
): Promise<number> {
  const r = await db
    .insertInto('source_pages')
    .values({ source: p.source, source_key: p.key, title: p.title, url: p.url ?? null, page_json: p.pageJson, markdown: p.markdown, fetched_at: p.now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return r.id;
}
