/**
 * Characters: reads through the cache, writes that invalidate it, avatars and Character Cards.
 * Other features (chat, groups, creation) load characters through `get`/`getForChat`.
 */
import type { Cache } from '../../infra/cache/cache.js';
import { isUniqueViolation, type Db } from '../../infra/db/index.js';
import type { FileStore } from '../../infra/files.js';
import { AppError, notFound } from '../../errors.js';
import * as store from './store.js';
import type { Actor, Character } from './store.js';
import type { Profile } from './profile.js';
import { avatarToPng, defaultAvatar, processAvatar, type CropBox } from './avatar-image.js';
import { isPng } from './png-chunks.js';
import { cardToCharacter, characterToCard, parseCard, writeCardPng } from './card.js';

const CHARACTER_TTL_S = 300;
const LIST_TTL_S = 60;

export interface CharacterSummary {
  id: number;
  name: string;
  biography: string;
  avatarUrl: string;
  source: string;
  createdAt: number;
  updatedAt: number;
}

export interface CharacterView extends CharacterSummary {
  profile: Profile;
  /** The card's own prompt fields and extra greetings (V2/V3), editable in the profile editor. */
  card: CardFields;
}

/** The card fields a profile section does not hold (first_mes, mes_example, personality and scenario do). */
export interface CardFields {
  systemPrompt: string;
  postHistoryInstructions: string;
  alternateGreetings: string[];
}

function cardFieldsOf(c: Character): CardFields {
  const data = (c.cardExtras as { data?: Record<string, unknown> } | null)?.data ?? {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    systemPrompt: str(data.system_prompt),
    postHistoryInstructions: str(data.post_history_instructions),
    alternateGreetings: Array.isArray(data.alternate_greetings) ? data.alternate_greetings.filter((g): g is string => typeof g === 'string') : [],
  };
}

export const characterCacheKey = (id: number) => `char:${id}`;
/** Lists are cached per (user, generation): a write drops the generation, orphaning every cached page. */
const listGenKey = (userId: number) => `charlist-gen:${userId}`;

export function avatarUrl(c: { id: number; avatarFile: string | null; updatedAt: number }): string {
  return `/api/characters/${c.id}/avatar?v=${c.avatarFile ? c.avatarFile.split('.')[0] : 'default'}`;
}

export function toView(c: Character): CharacterView {
  return { id: c.id, name: c.name, biography: c.biography, avatarUrl: avatarUrl(c), source: c.source, profile: c.profile, card: cardFieldsOf(c), createdAt: c.createdAt, updatedAt: c.updatedAt };
}

export interface CharactersDeps {
  db: Db;
  cache: Cache;
  files: FileStore;
  now?: () => number;
}

export function createCharactersService(deps: CharactersDeps) {
  const { db, cache, files } = deps;
  const now = deps.now ?? Date.now;
  const defaultAvatars = new Map<string, { webp: Buffer; etag: string }>();

  async function invalidate(c: { id: number; userId: number }) {
    await cache.delete(characterCacheKey(c.id), listGenKey(c.userId));
  }

  /** The character if `actor` may see it; cached. Another user's character is "not found". */
  async function get(actor: Actor, id: number): Promise<Character> {
    const c = await cache.wrap(characterCacheKey(id), CHARACTER_TTL_S, async () => (await store.findCharacter(db, { userId: 0, isAdmin: true }, id)) ?? null);
    if (!c || (c.userId !== actor.userId && !actor.isAdmin)) throw notFound('character');
    return c;
  }

  /** Like `get`, but only the owner passes (admins read, they do not write). */
  const owned = (actor: Actor, id: number) => get({ userId: actor.userId }, id);

  async function create(input: store.NewCharacterInput): Promise<Character> {
    const c = await store.insertCharacter(db, input);
    await invalidate(c);
    return c;
  }

  async function update(actor: Actor, id: number, patch: Parameters<typeof store.updateCharacter>[3]): Promise<Character> {
    const c = await store.updateCharacter(db, actor.userId, id, patch, now());
    if (!c) throw notFound('character');
    await invalidate(c);
    return c;
  }

  return {
    get,
    create,
    invalidate,

    async list(userId: number, opts: { q?: string; limit: number; offset: number }): Promise<{ items: CharacterSummary[]; total: number }> {
      const gen = await cache.wrap(listGenKey(userId), 3600, async () => `${now().toString(36)}${Math.random().toString(36).slice(2, 6)}`);
      const key = `charlist:${userId}:${gen}:${opts.limit}:${opts.offset}:${opts.q ?? ''}`;
      return cache.wrap(key, LIST_TTL_S, async () => {
        const { rows, total } = await store.listCharacters(db, userId, opts);
        return {
          items: rows.map((r) => ({
            id: r.id,
            name: r.name,
            biography: r.biography,
            avatarUrl: avatarUrl({ id: r.id, avatarFile: r.avatar_file, updatedAt: r.updated_at }),
            source: r.source,
            createdAt: r.created_at,
            updatedAt: r.updated_at,
          })),
          total,
        };
      });
    },

    async patch(actor: Actor, id: number, patch: { name?: string; biography?: string }): Promise<Character> {
      if (patch.name !== undefined) {
        const current = await owned(actor, id);
        if (patch.name !== current.name) {
          try {
            return await update(actor, id, patch);
          } catch (err) {
            if (isUniqueViolation(err)) throw new AppError('conflict:name', `You already have a character named ${patch.name}`);
            throw err;
          }
        }
      }
      return update(actor, id, patch);
    },

    /**
     * Sets the card's own fields, kept in `cardExtras.data` under their V2 names so export writes
     * them back (a created character gets the same place on first edit).
     */
    async setCardFields(actor: Actor, id: number, fields: Partial<CardFields>): Promise<Character> {
      const c = await owned(actor, id);
      const extras = { ...((c.cardExtras as Record<string, unknown> | null) ?? {}) };
      const data = { ...((extras.data as Record<string, unknown> | undefined) ?? {}) };
      if (fields.systemPrompt !== undefined) data.system_prompt = fields.systemPrompt;
      if (fields.postHistoryInstructions !== undefined) data.post_history_instructions = fields.postHistoryInstructions;
      if (fields.alternateGreetings !== undefined) data.alternate_greetings = fields.alternateGreetings.filter((g) => g.trim() !== '');
      return update(actor, id, { cardExtras: { ...extras, data } });
    },

    /** Replaces the profile; unknown extra fields are kept as sent. */
    putProfile: (actor: Actor, id: number, profile: Profile) => update(actor, id, { profile }),
    /**
     * Replaces the card fields kept for export (the lorebook editor changes `data.character_book`
     * this way) if the character is still at version `ifUpdatedAt`; false when it changed meanwhile.
     */
    async putCardExtras(actor: Actor, id: number, cardExtras: Record<string, unknown>, ifUpdatedAt: number): Promise<boolean> {
      // A new version even within the same millisecond: compiled lorebooks are cached by it.
      const c = await store.updateCharacter(db, actor.userId, id, { cardExtras }, Math.max(now(), ifUpdatedAt + 1), ifUpdatedAt);
      if (!c) return false;
      await invalidate(c);
      return true;
    },

    async copy(actor: Actor, id: number): Promise<Character> {
      const c = await owned(actor, id);
      let avatarFile: string | null = null;
      if (c.avatarFile) {
        const bytes = await files.get(c.avatarFile);
        if (bytes) avatarFile = await files.put(bytes, 'webp');
      }
      return create({ userId: actor.userId, name: c.name, profile: c.profile, biography: c.biography, source: c.source, sourcePageId: c.sourcePageId, avatarFile, cardExtras: c.cardExtras, now: now() });
    },

    /** Deletes the character; its conversation, messages, memories and group memberships cascade. */
    async remove(actor: Actor, id: number): Promise<void> {
      const c = await store.deleteCharacter(db, actor.userId, id);
      if (!c) throw notFound('character');
      await invalidate(c);
      if (c.avatarFile) await files.delete(c.avatarFile);
    },

    async setAvatar(actor: Actor, id: number, bytes: Buffer, crop?: CropBox): Promise<Character> {
      const c = await owned(actor, id);
      const img = await processAvatar(bytes, crop);
      const file = await files.put(img.webp, 'webp');
      const updated = await update(actor, id, { avatarFile: file });
      if (c.avatarFile) await files.delete(c.avatarFile);
      return updated;
    },

    /** The avatar bytes (WebP) and an ETag; a generated default when none was uploaded. */
    async avatar(actor: Actor, id: number): Promise<{ bytes: Buffer; etag: string }> {
      const c = await get(actor, id);
      if (c.avatarFile) {
        const bytes = await files.get(c.avatarFile);
        if (bytes) return { bytes, etag: c.avatarFile.split('.')[0] };
      }
      let generated = defaultAvatars.get(c.name);
      if (!generated) {
        generated = await defaultAvatar(c.name);
        if (defaultAvatars.size > 1000) defaultAvatars.clear();
        defaultAvatars.set(c.name, generated);
      }
      // The ETag follows the picture, so a change in how defaults are drawn reaches clients.
      return { bytes: generated.webp, etag: `default-${generated.etag}` };
    },

    async importCard(userId: number, upload: { bytes: Buffer; filename?: string; contentType?: string }): Promise<Character> {
      const parsed = parseCard(upload);
      const mapped = cardToCharacter(parsed);
      const name = mapped.name.trim().slice(0, 64);
      if (!name) throw new AppError('validation:card', 'The card has no name');
      let avatarFile: string | null = null;
      if (isPng(upload.bytes)) {
        // The card's picture becomes the avatar, re-encoded like any upload.
        const img = await processAvatar(upload.bytes).catch(() => undefined);
        if (img) avatarFile = await files.put(img.webp, 'webp');
      }
      return create({ userId, name, profile: mapped.profile, biography: mapped.biography, source: 'card', avatarFile, cardExtras: mapped.cardExtras as unknown as Record<string, unknown>, now: now() });
    },

    async exportCard(actor: Actor, id: number, format: 'png' | 'json'): Promise<{ body: Buffer | object; filename: string; contentType: string }> {
      const c = await get(actor, id);
      const input = { name: c.name, profile: c.profile, biography: c.biography, cardExtras: c.cardExtras, createdAt: c.createdAt, updatedAt: c.updatedAt };
      const v3 = characterToCard(input, 'v3');
      if (format === 'json') return { body: v3, filename: `${c.name}.json`, contentType: 'application/json' };
      const v2 = characterToCard(input, 'v2');
      const { bytes } = await this.avatar(actor, id);
      return { body: writeCardPng(v2, v3, await avatarToPng(bytes)), filename: `${c.name}.png`, contentType: 'image/png' };
    },
  };
}

export type CharactersService = ReturnType<typeof createCharactersService>;
