/**
 * Table types for Kysely. One interface per table; stores map rows to domain objects.
 * Times are Unix epoch milliseconds. JSON columns are TEXT on both dialects (`*Json` names).
 * Booleans are 0/1 integers on both dialects, so stores never branch on the dialect.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Id = Generated<number>;

export interface UsersTable {
  id: Id;
  /** As typed; shown to people. */
  username: string;
  /** Unique look-alike key (src/shared/username.ts); login and uniqueness use it. */
  username_key: string;
  password_hash: string;
  is_admin: number;
  created_at: number;
  /** Set while an administrator has disabled the account (migration 0004). */
  disabled_at: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface SessionsTable {
  id: Id;
  token_hash: string;
  user_id: number;
  created_at: number;
  expires_at: number;
}

export interface UserSettingsTable {
  user_id: number;
  chat_model: string | null;
  budget_session: number | null;
  budget_short_term: number | null;
  budget_long_term: number | null;
  profile_text: string | null;
  group_rounds: number | null;
  updated_at: number;
}

export interface SourcePagesTable {
  id: Id;
  source: string;
  /** The site's own id for the page (Baike lemma id, Wikipedia page id) or a content hash for pasted text. */
  source_key: string;
  title: string;
  url: string | null;
  page_json: string;
  markdown: string;
  fetched_at: number;
}

export interface CharactersTable {
  id: Id;
  user_id: number;
  name: string;
  profile_json: string;
  biography: string;
  avatar_file: string | null;
  source: string;
  source_page_id: number | null;
  /** Character Card fields we do not map to the profile, kept so a round trip loses nothing. */
  card_json: string | null;
  created_at: number;
  updated_at: number;
}

export interface ConversationsTable {
  id: Id;
  user_id: number;
  kind: 'direct' | 'group';
  character_id: number | null;
  group_id: number | null;
  created_at: number;
  updated_at: number;
}

export interface MessagesTable {
  id: Id;
  conversation_id: number;
  role: 'user' | 'assistant';
  /** The character who spoke (assistant messages); null for the user. */
  character_id: number | null;
  content: string;
  /** complete | interrupted (a reply cut short) | pending (a user message whose turn runs) | failed (a user message no reply came for) */
  status: string;
  compressed: number;
  tokens_in: number | null;
  tokens_out: number | null;
  created_at: number;
  edited_at: number | null;
  /** JSON array of every version of a reply (swipes); `content` is the chosen one. Null = one version. */
  alternatives: string | null;
  alternative_index: number | null;
}

export interface MemoryItemsTable {
  id: Id;
  /** Long-term items belong to a character; short-term items to the conversation they summarise. */
  character_id: number | null;
  conversation_id: number | null;
  kind: 'short_term' | 'long_term';
  content: string;
  importance: number;
  pinned: number;
  /** Message id range a short-term summary covers (inclusive). */
  range_start: number | null;
  range_end: number | null;
  created_at: number;
  updated_at: number;
}

export interface GroupsTable {
  id: Id;
  user_id: number;
  name: string;
  mode: string;
  max_rounds: number | null;
  created_at: number;
  updated_at: number;
}

export interface GroupMembersTable {
  group_id: number;
  character_id: number;
  position: number;
  joined_at: number;
}

export interface PromptTemplatesTable {
  id: Id;
  key: string;
  description: string;
  active_version_id: number | null;
  created_at: number;
  updated_at: number;
}

export interface PromptVersionsTable {
  id: Id;
  template_id: number;
  version: number;
  content: string;
  note: string | null;
  created_by: number | null;
  created_at: number;
}

export interface TestCasesTable {
  id: Id;
  name: string;
  prompt_key: string;
  input_json: string;
  expectations_json: string;
  created_by: number | null;
  created_at: number;
  updated_at: number;
}

export interface EvaluationRunsTable {
  id: Id;
  test_case_id: number;
  prompt_version_id: number | null;
  status: string;
  output: string | null;
  score: number | null;
  verdict_json: string | null;
  created_by: number | null;
  created_at: number;
  finished_at: number | null;
}

export interface FeedbackTable {
  id: Id;
  user_id: number;
  title: string;
  content: string;
  status: string;
  admin_reply: string | null;
  created_at: number;
  updated_at: number;
  category: ColumnType<string, string | undefined, string>;
  message_id: number | null;
  character_id: number | null;
  replied_at: number | null;
  reply_seen_at: number | null;
}

export interface AuditLogTable {
  id: Id;
  actor_id: number | null;
  action: string;
  target_user_id: number | null;
  subject: string;
  created_at: number;
}

/** A part of an assembled prompt, stored once however many messages sent it. */
export interface PromptPartsTable {
  hash: string;
  content: string;
  created_at: number;
}

export interface MessageInspectionsTable {
  message_id: number;
  record_json: string;
  created_at: number;
}

export interface ModelPricesTable {
  model: string;
  input_per_million: number;
  output_per_million: number;
  updated_at: number;
}

export interface JobsTable {
  id: string;
  user_id: number | null;
  kind: string;
  /** queued | running | done | failed | cancelled */
  state: string;
  /** The step shown to users (fetching, structuring, writing_biography …) and its counters. */
  progress_json: string;
  input_json: string;
  result_json: string | null;
  error_code: string | null;
  error_message: string | null;
  attempts: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
}

export interface LlmUsageTable {
  user_id: number;
  day: string;
  purpose: string;
  model: string;
  requests: ColumnType<number, number, number>;
  tokens_in: number;
  tokens_out: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  user_settings: UserSettingsTable;
  source_pages: SourcePagesTable;
  characters: CharactersTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  memory_items: MemoryItemsTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  prompt_templates: PromptTemplatesTable;
  prompt_versions: PromptVersionsTable;
  test_cases: TestCasesTable;
  evaluation_runs: EvaluationRunsTable;
  feedback: FeedbackTable;
  jobs: JobsTable;
  llm_usage: LlmUsageTable;
  audit_log: AuditLogTable;
  prompt_parts: PromptPartsTable;
  message_inspections: MessageInspectionsTable;
  model_prices: ModelPricesTable;
}

export type UserRow = Selectable<UsersTable>;
export type CharacterRow = Selectable<CharactersTable>;
export type NewCharacter = Insertable<CharactersTable>;
export type CharacterUpdate = Updateable<CharactersTable>;
export type MessageRow = Selectable<MessagesTable>;
export type MemoryItemRow = Selectable<MemoryItemsTable>;
export type JobRow = Selectable<JobsTable>;
