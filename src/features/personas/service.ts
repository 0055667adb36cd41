/**
 * Personas: the user's roles (name, description, optional avatar), one of them the default.
 * A chat or group may choose one; otherwise the default plays. `{{user}}` is the active persona's
 * name and its description goes into the prompt (chat/prompt.ts `user_profile`).
 */
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import type { FileStore } from '../../infra/files.js';
import { AppError, notFound } from '../../errors.js';
import { processAvatar, type CropBox } from '../characters/avatar-image.js';
import * as store from './store.js';
import type { Persona } from './store.js';

export type { Persona } from './store.js';

/** Enough for every role a person plays, and a bound on what one account stores. */
export const MAX_PERSONAS = 50;
const PERSONA_TTL_S = 300;

export const personaCacheKey = (id: number) => `persona:${id}`;
export const defaultPersonaCacheKey = (userId: number) => `persona-default:${userId}`;

export interface PersonaView {
  id: number;
  name: string;
  description: string;
  /** Null: no picture (the client draws initials). */
  avatarUrl: string | null;
  isDefault: boolean;
  createdAt: number;
  updatedAt: number;
}

export function personaView(p: Persona): PersonaView {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    avatarUrl: p.avatarFile ? `/api/personas/${p.id}/avatar?v=${p.avatarFile.split('.')[0]}` : null,
    isDefault: p.isDefault,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

/** The user's part of a prompt: the playing persona's description, else the settings' profile text. */
export function userProfileText(p: Persona | undefined, settings: { profileText: string }): string {
  const description = p?.description.trim();
  return description ? `${p!.name}：${description}` : settings.profileText;
}

export interface PersonasDeps {
  db: Db;
  cache: Cache;
  files: FileStore;
  now?: () => number;
}

export function createPersonasService(deps: PersonasDeps) {
  const { db, cache, files } = deps;
  const now = deps.now ?? Date.now;

  async function invalidate(userId: number, ...ids: number[]) {
    await cache.delete(defaultPersonaCacheKey(userId), ...ids.map(personaCacheKey));
  }

  async function owned(userId: number, id: number): Promise<Persona> {
    const p = await store.findPersona(db, userId, id);
    if (!p) throw notFound('persona');
    return p;
  }

  /** One persona of the user (cached): the hot path reads it every turn. */
  async function cachedPersona(userId: number, id: number): Promise<Persona | undefined> {
    const p = await cache.wrap(personaCacheKey(id), PERSONA_TTL_S, async () => (await store.findPersona(db, userId, id)) ?? null);
    return p && p.userId === userId ? p : undefined;
  }

  return {
    list: (userId: number) => store.listPersonas(db, userId),

    get: (userId: number, id: number) => owned(userId, id),

    /** Checks a persona id a chat or group is about to use: another user's is not found. */
    async assertOwned(userId: number, id: number | null | undefined): Promise<void> {
      if (id !== null && id !== undefined) await owned(userId, id);
    },

    /** The persona a chat plays: its own choice (if it still exists), else the user's default; none if the user has no personas. */
    async active(userId: number, chosenId: number | null | undefined): Promise<Persona | undefined> {
      if (chosenId) {
        const chosen = await cachedPersona(userId, chosenId);
        if (chosen) return chosen;
      }
      const p = await cache.wrap(defaultPersonaCacheKey(userId), PERSONA_TTL_S, async () => (await store.findDefaultPersona(db, userId)) ?? null);
      return p ?? undefined;
    },

    /** A new persona; the user's first one becomes the default. */
    async create(userId: number, input: { name: string; description?: string; isDefault?: boolean }): Promise<Persona> {
      if ((await store.countPersonas(db, userId)) >= MAX_PERSONAS) throw new AppError('conflict:too_many_personas', `You can have at most ${MAX_PERSONAS} personas`);
      const id = await db.transaction().execute(async (trx) => {
        const p = await store.insertPersona(trx, { userId, name: input.name.trim(), description: (input.description ?? '').trim(), now: now() });
        if (input.isDefault || !(await store.findDefaultPersona(trx, userId))) await store.setDefaultPersona(trx, userId, p.id);
        return p.id;
      });
      await invalidate(userId, id);
      return owned(userId, id);
    },

    /** Edits a persona; `isDefault: true` makes it the default (there is always one while any exist). */
    async update(userId: number, id: number, patch: { name?: string; description?: string; isDefault?: boolean }): Promise<Persona> {
      await db.transaction().execute(async (trx) => {
        const p = await store.updatePersona(trx, userId, id, { name: patch.name?.trim(), description: patch.description?.trim() }, now());
        if (!p) throw notFound('persona');
        if (patch.isDefault && !p.isDefault) await store.setDefaultPersona(trx, userId, id);
      });
      await invalidate(userId, id);
      return owned(userId, id);
    },

    /** Deletes a persona; chats that chose it fall back to the default (foreign keys set null). */
    async remove(userId: number, id: number): Promise<void> {
      const gone = await db.transaction().execute(async (trx) => {
        const p = await store.deletePersona(trx, userId, id);
        if (!p) throw notFound('persona');
        const next = p.isDefault ? await store.oldestPersona(trx, userId) : undefined;
        if (next) await store.setDefaultPersona(trx, userId, next.id);
        return p;
      });
      await invalidate(userId, id);
      if (gone.avatarFile) await files.delete(gone.avatarFile);
    },

    /** Re-encodes and stores an avatar as character avatars are (type by content, size caps, fresh WebP). */
    async setAvatar(userId: number, id: number, bytes: Buffer, crop?: CropBox): Promise<Persona> {
      const old = await owned(userId, id);
      const img = await processAvatar(bytes, crop);
      const file = await files.put(img.webp, 'webp');
      const p = await store.updatePersona(db, userId, id, { avatarFile: file }, now());
      if (!p) {
        await files.delete(file);
        throw notFound('persona');
      }
      await invalidate(userId, id);
      if (old.avatarFile) await files.delete(old.avatarFile);
      return p;
    },

    async removeAvatar(userId: number, id: number): Promise<Persona> {
      const old = await owned(userId, id);
      const p = (await store.updatePersona(db, userId, id, { avatarFile: null }, now()))!;
      await invalidate(userId, id);
      if (old.avatarFile) await files.delete(old.avatarFile);
      return p;
    },

    async avatar(userId: number, id: number): Promise<{ bytes: Buffer; etag: string }> {
      const p = await owned(userId, id);
      const bytes = p.avatarFile ? await files.get(p.avatarFile) : undefined;
      if (!p.avatarFile || !bytes) throw notFound('avatar');
      return { bytes, etag: p.avatarFile.split('.')[0] };
    },
  };
}

export type PersonasService = ReturnType<typeof createPersonasService>;
