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
  /** The user's name for a chat (migration 0007); null = shown by its first words or date. */
  title: ColumnType<string | null, string | null | undefined, string | null>;
  /** The persona the user plays in this chat; null = their default persona. */
  persona_id: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: number;
  /** When the chat was created, renamed or last became its character's current chat (the chat list's order). */
  updated_at: number;
}

/** Who the user plays in a chat (migration 0007); at most one `is_default` per user. */
export interface PersonasTable {
  id: Id;
  user_id: number;
  name: string;
  description: string;
  avatar_file: string | null;
  is_default: number;
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
  /** Group replies: JSON `{by, score?, reason?}`, why this member was chosen to speak. */
  speaker_reason: string | null;
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
  /** The persona the user plays in this group (migration 0007); null = their default persona. */
  persona_id: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: number;
  updated_at: number;
}

export interface GroupMembersTable {
  group_id: number;
  character_id: number;
  position: number;
  joined_at: number;
  /** Not chosen to speak until then (epoch ms); null = not muted. */
  muted_until: number | null;
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
  /** What the case exercises (migration 0010): chat | group_chat | structure | biography | memory_summarize | memory_integrate | moderator. */
  kind: ColumnType<string, string | undefined, string>;
  character_id: number | null;
  group_id: number | null;
  /** The expected behaviour in words, for the judge. */
  expected: ColumnType<string, string | undefined, string>;
  /** Run overrides: model, temperature, maxTokens, memory budgets. */
  config_json: string | null;
}

/** A run: test cases × a prompt version × a model × a judge version, executed as job `job_id`. */
export interface EvaluationsTable {
  id: Id;
  job_id: string;
  kind: string;
  note: string | null;
  prompt_version_id: number | null;
  judge_version_id: number | null;
  model: string;
  created_by: number | null;
  created_at: number;
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
  /** The run this result belongs to (migration 0010). */
  evaluation_id: number | null;
  judge_version_id: number | null;
  position: ColumnType<number, number | undefined, number>;
  latency_ms: number | null;
  error: string | null;
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

/** A group turn's moderator call, kept beside the reply it chose (prompt stored once in prompt_parts). */
export interface ModeratorDecisionsTable {
  message_id: number;
  record_json: string;
  created_at: number;
}

/** A standalone lorebook, stored as imported (so export gives it back) with edits applied in place. */
export interface LorebooksTable {
  id: Id;
  user_id: number;
  name: string;
  format: 'world_info' | 'character_book';
  book_json: string;
  entry_count: number;
  created_at: number;
  updated_at: number;
}

export interface CharacterLorebooksTable {
  character_id: number;
  lorebook_id: number;
  created_at: number;
}

export interface GroupLorebooksTable {
  group_id: number;
  lorebook_id: number;
  created_at: number;
}

export interface ModelPricesTable {
  model: string;
  input_per_million: number;
  output_per_million: number;
  updated_at: number;
}

export interface LlmProvidersTable {
  id: Id;
  name: string;
  /** A preset (features/providers/presets.ts) or `custom`. */
  kind: string;
  base_url: string;
  /** AES-256-GCM (features/providers/secret-box.ts); never leaves the server. */
  api_key_enc: string | null;
  /** The key's last characters, for recognising it. */
  api_key_hint: string | null;
  headers_enc: string | null;
  /** JSON array of the extra headers' names. */
  header_names: ColumnType<string, string | undefined, string>;
  connect_timeout_ms: number;
  timeout_ms: number;
  concurrency: number;
  enabled: ColumnType<number, number | undefined, number>;
  /** Users may add their own key for this provider. */
  user_keys: ColumnType<number, number | undefined, number>;
  created_at: number;
  updated_at: number;
}

export interface LlmModelsTable {
  id: Id;
  provider_id: number;
  /** The name sent upstream. */
  name: string;
  display_name: string;
  offered: ColumnType<number, number | undefined, number>;
  context_length: number | null;
  input_per_million: number | null;
  output_per_million: number | null;
  capabilities_json: ColumnType<string, string | undefined, string>;
  created_at: number;
  updated_at: number;
}

export interface LlmDefaultsTable {
  purpose: string;
  model_key: string;
  updated_at: number;
}

export interface LlmUserKeysTable {
  user_id: number;
  provider_id: number;
  api_key_enc: string;
  api_key_hint: string;
  updated_at: number;
}

/** A character's or a group's model and sampling (`target_id` is its id); null = the owner's default. */
export interface ChatLlmSettingsTable {
  target_id: number;
  model_key: string | null;
  temperature: number | null;
  max_tokens: number | null;
  context_tokens: number | null;
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

export interface ApiKeysTable {
  id: Id;
  user_id: number;
  name: string;
  /** The key's first characters (`fnpc_…`), shown in lists; the key itself is never stored. */
  prefix: string;
  token_hash: string;
  /** JSON `{characterIds, groupIds}` the key may use; null = everything the user owns. */
  scope_json: string | null;
  /** Requests a minute; null = FASTNPC_API_RATE_PER_MIN. */
  rate_per_min: number | null;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  user_settings: UserSettingsTable;
  source_pages: SourcePagesTable;
  characters: CharactersTable;
  conversations: ConversationsTable;
  personas: PersonasTable;
  messages: MessagesTable;
  memory_items: MemoryItemsTable;
  groups: GroupsTable;
  group_members: GroupMembersTable;
  prompt_templates: PromptTemplatesTable;
  prompt_versions: PromptVersionsTable;
  test_cases: TestCasesTable;
  evaluation_runs: EvaluationRunsTable;
  evaluations: EvaluationsTable;
  feedback: FeedbackTable;
  jobs: JobsTable;
  llm_usage: LlmUsageTable;
  audit_log: AuditLogTable;
  prompt_parts: PromptPartsTable;
  message_inspections: MessageInspectionsTable;
  model_prices: ModelPricesTable;
  llm_providers: LlmProvidersTable;
  llm_models: LlmModelsTable;
  llm_defaults: LlmDefaultsTable;
  llm_user_keys: LlmUserKeysTable;
  character_llm_settings: ChatLlmSettingsTable;
  group_llm_settings: ChatLlmSettingsTable;
  moderator_decisions: ModeratorDecisionsTable;
  lorebooks: LorebooksTable;
  character_lorebooks: CharacterLorebooksTable;
  group_lorebooks: GroupLorebooksTable;
  api_keys: ApiKeysTable;
}

export type UserRow = Selectable<UsersTable>;
export type CharacterRow = Selectable<CharactersTable>;
export type NewCharacter = Insertable<CharactersTable>;
export type CharacterUpdate = Updateable<CharactersTable>;
export type MessageRow = Selectable<MessagesTable>;
export type ConversationRow = Selectable<ConversationsTable>;
export type PersonaRow = Selectable<PersonasTable>;
export type MemoryItemRow = Selectable<MemoryItemsTable>;
export type JobRow = Selectable<JobsTable>;
