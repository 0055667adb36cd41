/**
 * A character's or a group's own model, temperature, reply length and context size, and how they
 * combine with the owner's settings for a turn: the most specific value set wins (group, then
 * character, then the user's default), field by field.
 */
import type { Cache } from '../../infra/cache/cache.js';
import type { Db } from '../../infra/db/index.js';
import { AppError } from '../../errors.js';
import type { Actor } from '../characters/store.js';
import type { UserSettings } from '../users/settings.js';
import { CHAT_LLM_RANGES } from '../../shared/llm.js';
import * as store from './store.js';
import type { ChatLlmSettings } from './store.js';

export type { ChatLlmSettings } from './store.js';
export type ChatLlmTarget = 'character' | 'group';

export { CHAT_LLM_RANGES } from '../../shared/llm.js';

export const NO_CHAT_LLM_SETTINGS: ChatLlmSettings = { model: null, temperature: null, maxTokens: null, contextTokens: null };

/** The owner's settings with a turn's own sampling. */
export interface TurnSettings extends UserSettings {
  temperature?: number;
  maxTokens?: number;
}

export function effectiveSettings(user: UserSettings, ...own: ChatLlmSettings[]): TurnSettings {
  const pick = <K extends keyof ChatLlmSettings>(k: K) => own.map((o) => o[k]).find((v) => v !== null && v !== undefined) ?? undefined;
  return {
    ...user,
    chatModel: pick('model') ?? user.chatModel,
    budgetSession: pick('contextTokens') ?? user.budgetSession,
    temperature: pick('temperature'),
    maxTokens: pick('maxTokens'),
  };
}

/** Sampling a request asks for itself (the OpenAI-compatible API); unset fields leave the settings below it. */
export interface AskedSampling {
  temperature?: number;
  maxTokens?: number;
  stop?: string[];
}

/** A request's own sampling as the first layer of `effectiveSettings` (over the chat's, group's and character's own). */
export function askedLayer(asked: AskedSampling | undefined): ChatLlmSettings[] {
  return asked ? [{ model: null, temperature: asked.temperature ?? null, maxTokens: asked.maxTokens ?? null, contextTokens: null }] : [];
}

/** The LLM request fields a turn's settings decide. */
export const samplingOf = (s: TurnSettings) => ({ model: s.chatModel ?? undefined, temperature: s.temperature, maxTokens: s.maxTokens });

const TABLE = { character: 'character_llm_settings', group: 'group_llm_settings' } as const;
const cacheKey = (target: ChatLlmTarget, id: number) => `llmset:${target}:${id}`;

export interface ChatLlmSettingsDeps {
  db: Db;
  cache: Cache;
  /** Throws 404 unless the actor owns it. */
  assertOwner(actor: Actor, target: ChatLlmTarget, id: number): Promise<void>;
  /** Throws 400 unless users may choose the model. */
  checkChoosable(key: string | null, field: string): void;
  /** The model's context length, when known: a context size cannot exceed it. */
  contextLengthOf?(key: string): number | null;
  now?: () => number;
}

export function createChatLlmSettings(deps: ChatLlmSettingsDeps) {
  const now = deps.now ?? Date.now;

  /** Cached read for the turn path (ownership was checked by the caller). */
  const of = (target: ChatLlmTarget, id: number): Promise<ChatLlmSettings> => deps.cache.wrap(cacheKey(target, id), 3600, () => store.findChatSettings(deps.db, TABLE[target], id));

  return {
    of,

    async get(actor: Actor, target: ChatLlmTarget, id: number): Promise<ChatLlmSettings> {
      await deps.assertOwner(actor, target, id);
      return of(target, id);
    },

    async put(actor: Actor, target: ChatLlmTarget, id: number, s: ChatLlmSettings): Promise<ChatLlmSettings> {
      await deps.assertOwner(actor, target, id);
      const model = s.model?.trim() || null;
      deps.checkChoosable(model, 'model');
      if (s.temperature !== null && (s.temperature < CHAT_LLM_RANGES.temperature.min || s.temperature > CHAT_LLM_RANGES.temperature.max)) {
        throw new AppError('validation:temperature', 'temperature must be from 0 to 2', { details: { field: 'temperature' } });
      }
      const limit = model ? deps.contextLengthOf?.(model) : null;
      if (limit && s.contextTokens !== null && s.contextTokens > limit) {
        throw new AppError('validation:contextTokens', `contextTokens must be at most the model's context length (${limit})`, { details: { field: 'contextTokens' } });
      }
      const clean = { ...s, model };
      await store.putChatSettings(deps.db, TABLE[target], id, clean, now());
      await deps.cache.delete(cacheKey(target, id));
      return clean;
    },
  };
}

export type ChatLlmSettingsService = ReturnType<typeof createChatLlmSettings>;
