/** SQL for providers, models, per-purpose defaults, users' keys and per-character/group model settings. */
import type { Selectable } from 'kysely';
import type { Db } from '../../infra/db/index.js';
import type { ChatLlmSettingsTable, LlmModelsTable, LlmProvidersTable } from '../../infra/db/schema.js';
import type { ChatLlmSettings, ModelCapabilities, ModelView } from '../../shared/llm.js';

export interface ProviderRecord {
  id: number;
  name: string;
  kind: string;
  baseUrl: string;
  apiKeyEnc: string | null;
  apiKeyHint: string | null;
  headersEnc: string | null;
  headerNames: string[];
  connectTimeoutMs: number;
  timeoutMs: number;
  concurrency: number;
  enabled: boolean;
  userKeys: boolean;
  createdAt: number;
  updatedAt: number;
}

/** A models row; the API's view adds its key and fills capabilities in from the provider. */
export type ModelRecord = Omit<ModelView, 'key' | 'capabilities'> & { capabilities: ModelCapabilities };

export type { ChatLlmSettings } from '../../shared/llm.js';

export type ProviderWrite = Omit<ProviderRecord, 'id' | 'createdAt' | 'updatedAt'>;
export type ModelWrite = Omit<ModelRecord, 'id' | 'providerId' | 'createdAt' | 'updatedAt'>;
export type SettingsTable = 'character_llm_settings' | 'group_llm_settings';

function rowToProvider(r: Selectable<LlmProvidersTable>): ProviderRecord {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    baseUrl: r.base_url,
    apiKeyEnc: r.api_key_enc,
    apiKeyHint: r.api_key_hint,
    headersEnc: r.headers_enc,
    headerNames: JSON.parse(r.header_names) as string[],
    connectTimeoutMs: r.connect_timeout_ms,
    timeoutMs: r.timeout_ms,
    concurrency: r.concurrency,
    enabled: r.enabled === 1,
    userKeys: r.user_keys === 1,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function providerRow(p: Partial<ProviderWrite>) {
  return {
    ...(p.name !== undefined && { name: p.name }),
    ...(p.kind !== undefined && { kind: p.kind }),
    ...(p.baseUrl !== undefined && { base_url: p.baseUrl }),
    ...(p.apiKeyEnc !== undefined && { api_key_enc: p.apiKeyEnc }),
    ...(p.apiKeyHint !== undefined && { api_key_hint: p.apiKeyHint }),
    ...(p.headersEnc !== undefined && { headers_enc: p.headersEnc }),
    ...(p.headerNames !== undefined && { header_names: JSON.stringify(p.headerNames) }),
    ...(p.connectTimeoutMs !== undefined && { connect_timeout_ms: p.connectTimeoutMs }),
    ...(p.timeoutMs !== undefined && { timeout_ms: p.timeoutMs }),
    ...(p.concurrency !== undefined && { concurrency: p.concurrency }),
    ...(p.enabled !== undefined && { enabled: p.enabled ? 1 : 0 }),
    ...(p.userKeys !== undefined && { user_keys: p.userKeys ? 1 : 0 }),
  };
}

function rowToModel(r: Selectable<LlmModelsTable>): ModelRecord {
  return {
    id: r.id,
    providerId: r.provider_id,
    name: r.name,
    displayName: r.display_name,
    offered: r.offered === 1,
    contextLength: r.context_length,
    inputPerMillion: r.input_per_million === null ? null : Number(r.input_per_million),
    outputPerMillion: r.output_per_million === null ? null : Number(r.output_per_million),
    capabilities: JSON.parse(r.capabilities_json) as ModelCapabilities,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function modelRow(m: Partial<ModelWrite>) {
  return {
    ...(m.name !== undefined && { name: m.name }),
    ...(m.displayName !== undefined && { display_name: m.displayName }),
    ...(m.offered !== undefined && { offered: m.offered ? 1 : 0 }),
    ...(m.contextLength !== undefined && { context_length: m.contextLength }),
    ...(m.inputPerMillion !== undefined && { input_per_million: m.inputPerMillion }),
    ...(m.outputPerMillion !== undefined && { output_per_million: m.outputPerMillion }),
    ...(m.capabilities !== undefined && { capabilities_json: JSON.stringify(m.capabilities) }),
  };
}

export async function listProviders(db: Db): Promise<ProviderRecord[]> {
  return (await db.selectFrom('llm_providers').selectAll().orderBy('id').execute()).map(rowToProvider);
}

export async function findProvider(db: Db, id: number): Promise<ProviderRecord | undefined> {
  const r = await db.selectFrom('llm_providers').selectAll().where('id', '=', id).executeTakeFirst();
  return r && rowToProvider(r);
}

export async function insertProvider(db: Db, p: ProviderWrite, now: number): Promise<number> {
  const r = await db
    .insertInto('llm_providers')
    .values({ ...providerRow(p), name: p.name, kind: p.kind, base_url: p.baseUrl, connect_timeout_ms: p.connectTimeoutMs, timeout_ms: p.timeoutMs, concurrency: p.concurrency, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(r.id);
}

export async function updateProvider(db: Db, id: number, p: Partial<ProviderWrite>, now: number): Promise<boolean> {
  const r = await db.updateTable('llm_providers').set({ ...providerRow(p), updated_at: now }).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteProvider(db: Db, id: number): Promise<boolean> {
  const r = await db.deleteFrom('llm_providers').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listModels(db: Db): Promise<ModelRecord[]> {
  return (await db.selectFrom('llm_models').selectAll().orderBy('provider_id').orderBy('id').execute()).map(rowToModel);
}

export async function findModel(db: Db, id: number): Promise<ModelRecord | undefined> {
  const r = await db.selectFrom('llm_models').selectAll().where('id', '=', id).executeTakeFirst();
  return r && rowToModel(r);
}

export async function insertModel(db: Db, providerId: number, m: ModelWrite, now: number): Promise<number> {
  const r = await db
    .insertInto('llm_models')
    .values({ ...modelRow(m), provider_id: providerId, name: m.name, display_name: m.displayName, created_at: now, updated_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(r.id);
}

export async function updateModel(db: Db, id: number, m: Partial<ModelWrite>, now: number): Promise<boolean> {
  const r = await db.updateTable('llm_models').set({ ...modelRow(m), updated_at: now }).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function deleteModel(db: Db, id: number): Promise<boolean> {
  const r = await db.deleteFrom('llm_models').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export async function listDefaults(db: Db): Promise<Record<string, string>> {
  const rows = await db.selectFrom('llm_defaults').selectAll().execute();
  return Object.fromEntries(rows.map((r) => [r.purpose, r.model_key]));
}

/** Sets (a key) or clears (null) each purpose's default. */
export async function putDefaults(db: Db, defaults: Record<string, string | null>, now: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const [purpose, key] of Object.entries(defaults)) {
      await trx.deleteFrom('llm_defaults').where('purpose', '=', purpose).execute();
      if (key) await trx.insertInto('llm_defaults').values({ purpose, model_key: key, updated_at: now }).execute();
    }
  });
}

export async function findUserKey(db: Db, userId: number, providerId: number): Promise<{ apiKeyEnc: string; apiKeyHint: string } | undefined> {
  const r = await db.selectFrom('llm_user_keys').select(['api_key_enc', 'api_key_hint']).where('user_id', '=', userId).where('provider_id', '=', providerId).executeTakeFirst();
  return r && { apiKeyEnc: r.api_key_enc, apiKeyHint: r.api_key_hint };
}

export async function listUserKeys(db: Db, userId: number): Promise<{ providerId: number; apiKeyHint: string }[]> {
  const rows = await db.selectFrom('llm_user_keys').select(['provider_id', 'api_key_hint']).where('user_id', '=', userId).execute();
  return rows.map((r) => ({ providerId: r.provider_id, apiKeyHint: r.api_key_hint }));
}

export async function putUserKey(db: Db, userId: number, providerId: number, apiKeyEnc: string, apiKeyHint: string, now: number): Promise<void> {
  await db
    .insertInto('llm_user_keys')
    .values({ user_id: userId, provider_id: providerId, api_key_enc: apiKeyEnc, api_key_hint: apiKeyHint, updated_at: now })
    .onConflict((oc) => oc.columns(['user_id', 'provider_id']).doUpdateSet({ api_key_enc: apiKeyEnc, api_key_hint: apiKeyHint, updated_at: now }))
    .execute();
}

export async function deleteUserKey(db: Db, userId: number, providerId: number): Promise<boolean> {
  const r = await db.deleteFrom('llm_user_keys').where('user_id', '=', userId).where('provider_id', '=', providerId).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

function rowToSettings(r: Selectable<ChatLlmSettingsTable> | undefined): ChatLlmSettings {
  return {
    model: r?.model_key ?? null,
    temperature: r?.temperature === null || r?.temperature === undefined ? null : Number(r.temperature),
    maxTokens: r?.max_tokens ?? null,
    contextTokens: r?.context_tokens ?? null,
  };
}

export async function findChatSettings(db: Db, table: SettingsTable, targetId: number): Promise<ChatLlmSettings> {
  return rowToSettings(await db.selectFrom(table).selectAll().where('target_id', '=', targetId).executeTakeFirst());
}

export async function putChatSettings(db: Db, table: SettingsTable, targetId: number, s: ChatLlmSettings, now: number): Promise<void> {
  const values = { model_key: s.model, temperature: s.temperature, max_tokens: s.maxTokens, context_tokens: s.contextTokens, updated_at: now };
  await db
    .insertInto(table)
    .values({ target_id: targetId, ...values })
    .onConflict((oc) => oc.column('target_id').doUpdateSet(values))
    .execute();
}
