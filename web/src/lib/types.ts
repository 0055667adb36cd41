/**
 * Shapes of the server's JSON, as the web app reads them: derived from the types generated from
 * the server's OpenAPI document (./api-schema.ts, `npm run api-types`), so they cannot drift;
 * narrowed here only where the document is looser than the contract (string unions, the profile).
 */
import type { components, paths } from './api-schema.js';

/** Server ids: numbers today; strings would work as well (only compared and put in URLs). */
export type Id = number | string;

/** The JSON a route answers with 200 (or 201), read from the generated OpenAPI types. */
export type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: { 200: { content: { 'application/json': infer T } } } }
  ? T
  : paths[P][M] extends { responses: { 201: { content: { 'application/json': infer T } } } }
    ? T
    : never;
export type Schemas = components['schemas'];

export type User = Ok<'/api/auth/me', 'get'>['user'];
export type Settings = Ok<'/api/me/settings', 'get'>;

export interface Range {
  min: number;
  max: number;
  default: number;
}

export interface Meta {
  llmProvider: 'offline' | 'openai-compatible';
  models: string[];
  settingsRanges: {
    budgetSession: Range;
    budgetShortTerm: Range;
    budgetLongTerm: Range;
    groupRounds: Range;
  };
  /** False on a fresh install: the sign-in screen opens on "register". */
  hasUsers?: boolean;
}

export type SourceKind = 'baike' | 'zhwiki' | 'text';

export type CharacterSummary = Ok<'/api/characters', 'get'>['items'][number];

export type ProfileSection = Record<string, string | string[] | unknown>;
export type Profile = Record<string, ProfileSection | undefined>;

export type Character = Omit<Schemas['Character'], 'profile'> & { profile: Profile };

export interface Page<T> {
  items: T[];
  total: number;
}

export type MessageRole = 'user' | 'assistant';

/** Why a group member was chosen to speak: the rule (`by`), and the moderator's confidence and words when it chose. */
export type SpeakerReason = NonNullable<Schemas['GroupMessage']['reason']>;

export type Message = Omit<Schemas['Message'], 'status'> & {
  status: 'complete' | 'interrupted' | 'pending' | 'failed';
  /** Group replies (GroupMessage): why the member was chosen to speak. */
  reason?: SpeakerReason | null;
};

export type MessagePage = Omit<Ok<'/api/characters/{id}/messages', 'get'>, 'items'> & { items: Message[] };

export type Memory = Ok<'/api/characters/{id}/memories', 'get'>['shortTerm'][number];

export interface Memories {
  shortTerm: Memory[];
  longTerm: Memory[];
}

export interface Candidate {
  id: string;
  title: string;
  description: string;
  /** A page from the bundled offline set (its id also starts with `bundled:`). */
  bundled?: boolean;
}

export type JobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
export type JobStep = 'queued' | 'fetching' | 'structuring' | 'writing_biography' | 'saving' | 'done';

export type Job = Omit<Schemas['Job'], 'state' | 'progress'> & { state: JobState; progress: Omit<Schemas['Job']['progress'], 'step'> & { step: JobStep } };

export type GroupMode = 'natural' | 'round_robin' | 'everyone_once' | 'manual';

export type Group = Omit<Ok<'/api/groups', 'get'>['items'][number], 'mode'> & { mode: GroupMode };
export type GroupMember = Group['members'][number];

export type AdminUser = Ok<'/api/admin/users', 'get'>['items'][number];

/** The card's own fields (system prompt, post-history instructions, alternate greetings). */
export type CardFields = Character['card'];

/** One of a character's chats. */
export type ChatSummary = Schemas['Chat'];

/** Who the user plays in chats. */
export type Persona = Schemas['Persona'];
// --- providers and models (issue 18) ---
type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody: { content: { 'application/json': infer T } } } ? T : never;
export type ModelChoice = Ok<'/api/models', 'get'>['items'][number];
export type ChatLlmSettings = Ok<'/api/characters/{id}/llm', 'get'>;
export type AdminProvider = Ok<'/api/admin/providers', 'get'>['items'][number];
export type AdminModel = AdminProvider['models'][number];
export type ProviderPreset = Ok<'/api/admin/providers', 'get'>['presets'][number];
export type ProviderInput = Body<'/api/admin/providers', 'post'>;
export type ProbeResult = Ok<'/api/admin/providers/{id}/test', 'post'>;
export type ProbeError = NonNullable<ProbeResult['models']['error']>;
export type LlmDefault = Ok<'/api/admin/llm-defaults', 'get'>['items'][number];
// --- end providers and models ---
