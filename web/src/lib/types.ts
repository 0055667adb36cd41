/**
 * Shapes of the server's JSON, as the web app reads them (the API contract in issue 8).
 * Kept separate from the server's own types on purpose: the browser build must not import server code.
 */

/** Server ids: numbers today; strings would work as well (only compared and put in URLs). */
export type Id = number | string;

export interface User {
  id: Id;
  username: string;
  isAdmin: boolean;
  createdAt: string;
}

export interface Settings {
  chatModel: string | null;
  budgetSession: number;
  budgetShortTerm: number;
  budgetLongTerm: number;
  profileText: string;
  groupRounds: number;
}

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

export interface CharacterSummary {
  id: Id;
  name: string;
  biography: string;
  avatarUrl: string | null;
  source: string;
  createdAt: string;
  updatedAt: string;
}

export type ProfileSection = Record<string, string | string[] | unknown>;
export type Profile = Record<string, ProfileSection | undefined>;

export interface Character extends CharacterSummary {
  profile: Profile;
}

export interface Page<T> {
  items: T[];
  total: number;
}

export type MessageRole = 'user' | 'assistant';

export interface Message {
  id: Id;
  role: MessageRole;
  content: string;
  status: 'complete' | 'interrupted' | 'pending' | 'failed';
  characterId: Id | null;
  createdAt: string;
  editedAt: string | null;
  /** Swipes: the shown version of a reply and how many there are. */
  alternatives?: { index: number; count: number } | null;
  /** Group replies: why the member was chosen to speak. */
  reason?: SpeakerReason | null;
}

/** Why a group member was chosen to speak: the rule (`by`), and the moderator's confidence and words when it chose. */
export interface SpeakerReason {
  by: string;
  score?: number;
  reason?: string;
}

export interface MessagePage {
  items: Message[];
  nextBefore: Id | null;
}

export interface Memory {
  id: Id;
  kind: string;
  content: string;
  importance: number;
  pinned: boolean;
  rangeStart: number | null;
  rangeEnd: number | null;
  createdAt: string;
  updatedAt: string;
}

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

export interface Job {
  id: string;
  kind: 'creation';
  state: JobState;
  progress: { step: JobStep; done: number; total: number };
  result?: { characterId: Id };
  error?: { code: string; message: string };
  /** The page used, once fetched; `bundled` when it came from the bundled offline set. */
  source?: { bundled?: boolean; title?: string };
  createdAt: string;
  updatedAt: string;
}

export type GroupMode = 'natural' | 'round_robin' | 'everyone_once' | 'manual';

export interface GroupMember {
  characterId: Id;
  name: string;
  avatarUrl: string | null;
  /** Not chosen to speak before this time (epoch ms); null when not muted. */
  mutedUntil?: number | null;
}

export interface Group {
  id: Id;
  name: string;
  mode: GroupMode;
  maxRounds: number;
  members: GroupMember[];
  createdAt: string;
  updatedAt: string;
}

export interface AdminUser {
  id: Id;
  username: string;
  isAdmin: boolean;
  createdAt: string;
  characterCount: number;
}
