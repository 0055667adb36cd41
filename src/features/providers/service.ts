/**
 * Providers and models (issue 18): what admins manage, and the registry the LLM gateway routes
 * through (an `LlmRouter` in front of the environment's one).
 *
 * The hot path reads an in-process snapshot (providers, models by key, per-purpose defaults),
 * so `keyFor`/`route` cost a Map lookup. Every change reloads it here and publishes on `channel`;
 * the other processes reload at once (a TTL covers a lost message: pub/sub is best effort).
 * Model keys: `p<providerId>:<model name>` for registry models; environment models keep their
 * plain names, so settings written before the registry still resolve.
 */
import { createHash } from 'node:crypto';
import { AppError, notFound } from '../../errors.js';
import { isUniqueViolation, type Db } from '../../infra/db/index.js';
import type { PubSub } from '../../infra/pubsub/pubsub.js';
import type { LlmProvider, LlmPurpose, LlmRoute, LlmRouter, ModelCapabilities } from '../../infra/llm/index.js';
import { createOpenAiCompatibleProvider } from '../../infra/llm/openai-compatible.js';
import { PROVIDER_PRESETS, defaultCapabilities, type ProviderKind } from './presets.js';
import { probeProvider } from './probe.js';
import { createSecretBox, keyHint } from './secret-box.js';
import * as store from './store.js';
import type { ModelRecord, ProviderRecord } from './store.js';
import { LLM_PURPOSES, type ProviderInput as SharedProviderInput, type ModelChoice, type ModelView, type ProbeResult, type ProviderView } from '../../shared/llm.js';

export const PURPOSES: readonly LlmPurpose[] = LLM_PURPOSES;
const KEY_PATTERN = /^p(\d+):(.+)$/s;
export const modelKey = (m: Pick<ModelRecord, 'providerId' | 'name'>) => `p${m.providerId}:${m.name}`;
const KEY_AAD = 'provider-key';
const MAX_TRANSPORTS = 500;
const HEADERS_AAD = 'provider-headers';
const USER_KEY_AAD = 'user-provider-key';

export interface ProvidersDeps {
  db: Db;
  pubsub: PubSub;
  /** The pub/sub channel that announces a change (namespaced per deployment). */
  channel: string;
  /** FASTNPC_SECRET: keys are encrypted with a key derived from it. */
  secret: string;
  /** The environment's provider and models: read-only, the fallback of every purpose. */
  env: LlmRouter;
  /** What the read-only environment provider shows (never its key). */
  envInfo: { baseUrl: string | null };
  /** How long a replaced transport lives on, so streams it carries can finish. */
  retireGraceMs: number;
  snapshotTtlMs?: number;
  now?: () => number;
  onError?: (err: unknown) => void;
}

export interface ProviderInput extends SharedProviderInput {
  kind: ProviderKind;
}

export interface ModelInput {
  name: string;
  displayName?: string;
  offered?: boolean;
  contextLength?: number | null;
  inputPerMillion?: number | null;
  outputPerMillion?: number | null;
  capabilities?: ModelCapabilities;
}

interface Snapshot {
  loadedAt: number;
  providers: Map<number, ProviderRecord>;
  models: ModelRecord[];
  byKey: Map<string, { model: ModelRecord; provider: ProviderRecord }>;
  defaults: Record<string, string>;
  /** Some enabled provider has a model: replies no longer come from the environment's alone. */
  connected: boolean;
}

/** A transport, remembered with the provider version (and key) it was built for. */
interface Held {
  stamp: string;
  transport: LlmProvider;
}

export function createProvidersService(deps: ProvidersDeps) {
  const { db, env } = deps;
  const now = deps.now ?? Date.now;
  const ttl = deps.snapshotTtlMs ?? 30_000;
  const box = createSecretBox(deps.secret);
  let snap: Snapshot = { loadedAt: 0, providers: new Map(), models: [], byKey: new Map(), defaults: {}, connected: false };
  let loading: Promise<void> | undefined;
  let dirty = false;
  const transports = new Map<string, Held>();
  const userKeys = new Map<string, Promise<string | null>>();
  let refresher: NodeJS.Timeout | undefined;

  async function load(): Promise<void> {
    const [providers, models, defaults] = await Promise.all([store.listProviders(db), store.listModels(db), store.listDefaults(db)]);
    const byId = new Map(providers.map((p) => [p.id, p]));
    const byKey = new Map<string, { model: ModelRecord; provider: ProviderRecord }>();
    for (const m of models) {
      const p = byId.get(m.providerId);
      if (p) byKey.set(modelKey(m), { model: m, provider: p });
    }
    snap = { loadedAt: now(), providers: byId, models, byKey, defaults, connected: models.some((m) => byId.get(m.providerId)?.enabled) };
    userKeys.clear();
    retireStale();
  }

  /** Reloads now; calls during a load share it and make it read once more, so none sees stale rows. */
  function reload(): Promise<void> {
    dirty = true;
    loading ??= (async () => {
      try {
        while (dirty) {
          dirty = false;
          await load().catch((err) => deps.onError?.(err));
        }
      } finally {
        loading = undefined;
      }
    })();
    return loading;
  }

  async function changed(): Promise<void> {
    await reload();
    await deps.pubsub.publish(deps.channel, { at: now() });
  }

  // Transports ---------------------------------------------------------------------------------

  const stampOf = (p: ProviderRecord, key: string) => `${p.updatedAt}|${createHash('sha256').update(key).digest('base64url').slice(0, 16)}`;

  function retire(id: string) {
    const held = transports.get(id);
    if (!held) return;
    transports.delete(id);
    setTimeout(() => void held.transport.close().catch(() => {}), deps.retireGraceMs).unref();
  }

  function retireStale() {
    for (const [id, held] of transports) {
      const providerId = Number(id.split(':')[0]);
      const p = snap.providers.get(providerId);
      if (!p || !held.stamp.startsWith(`${p.updatedAt}|`)) retire(id);
    }
  }

  function headersOf(p: ProviderRecord): Record<string, string> {
    const preset = PROVIDER_PRESETS[p.kind as ProviderKind] as { headers?: Record<string, string> } | undefined;
    return { ...preset?.headers, ...(p.headersEnc ? (JSON.parse(box.open(p.headersEnc, HEADERS_AAD)) as Record<string, string>) : {}) };
  }

  const providerKey = (p: ProviderRecord) => (p.apiKeyEnc ? box.open(p.apiKeyEnc, KEY_AAD) : undefined);

  function transportFor(p: ProviderRecord, userId?: number, userKey?: string): LlmProvider {
    const id = userKey ? `${p.id}:u${userId}` : `${p.id}`;
    const apiKey = userKey ?? providerKey(p) ?? 'none';
    const stamp = stampOf(p, apiKey);
    const held = transports.get(id);
    if (held?.stamp === stamp) return held.transport;
    if (held) retire(id);
    // Users' own keys each get a connection pool; keep a bounded number (the oldest goes first).
    if (userKey && transports.size >= MAX_TRANSPORTS) {
      const oldest = [...transports.keys()].find((k) => k.includes(':u'));
      if (oldest) retire(oldest);
    }
    const transport = createOpenAiCompatibleProvider({
      baseUrl: p.baseUrl,
      apiKey,
      connectTimeoutMs: p.connectTimeoutMs,
      requestTimeoutMs: p.timeoutMs,
      headers: headersOf(p),
      connections: p.concurrency,
    });
    transports.set(id, { stamp, transport });
    return transport;
  }

  async function userKeyOf(providerId: number, userId: number): Promise<string | null> {
    const id = `${providerId}:${userId}`;
    let k = userKeys.get(id);
    if (!k) {
      k = store.findUserKey(db, userId, providerId).then((r) => (r ? box.open(r.apiKeyEnc, USER_KEY_AAD) : null));
      k.catch(() => userKeys.delete(id));
      userKeys.set(id, k);
    }
    return k;
  }

  // Router -------------------------------------------------------------------------------------

  function current(): Snapshot {
    if (now() - snap.loadedAt > ttl && !loading) void reload();
    return snap;
  }

  function defaultKey(purpose: LlmPurpose): string {
    const s = current();
    const key = s.defaults[purpose];
    return key && (!KEY_PATTERN.test(key) || s.byKey.has(key)) ? key : env.keyFor(purpose);
  }

  function keyFor(purpose: LlmPurpose, requested?: string): string {
    if (requested && KEY_PATTERN.test(requested)) return requested;
    if (requested) return env.keyFor(purpose, requested);
    return defaultKey(purpose);
  }

  function notServed(key: string, purpose: LlmPurpose, why: string, provider?: string): AppError {
    const fallback = defaultKey(purpose);
    const suggestion = fallback !== key ? ` Choose another model, or the default (${fallback}).` : '';
    return new AppError(`llm_unavailable:model`, `${why}${suggestion}`, { details: { model: key, ...(provider ? { provider } : {}), ...(suggestion ? { defaultModel: fallback } : {}) } });
  }

  const router: LlmRouter = {
    // "offline" makes the web app say replies are canned: not once an admin connected a model.
    get providerName() {
      return current().connected ? 'openai-compatible' : env.providerName;
    },
    keyFor,
    models: () => [...current().models.filter((m) => m.offered && snap.providers.get(m.providerId)?.enabled).map(modelKey), ...env.models()],
    async route(key, ctx): Promise<LlmRoute> {
      if (!KEY_PATTERN.test(key)) return env.route(key, ctx);
      const hit = current().byKey.get(key);
      if (!hit) throw notServed(key, ctx.purpose, `The model "${key}" is no longer available.`);
      const { model, provider } = hit;
      if (!provider.enabled) throw notServed(key, ctx.purpose, `The provider "${provider.name}" is disabled.`, provider.name);
      const own = provider.userKeys && ctx.userId !== undefined ? await userKeyOf(provider.id, ctx.userId) : null;
      return {
        key,
        model: model.name,
        transport: transportFor(provider, ctx.userId, own ?? undefined),
        provider: { id: String(provider.id), name: provider.name },
        capabilities: { ...defaultCapabilities(provider.baseUrl), ...model.capabilities },
      };
    },
    async close() {
      clearInterval(refresher);
      for (const held of transports.values()) await held.transport.close().catch(() => {});
      transports.clear();
      await env.close();
    },
  };

  // Admin --------------------------------------------------------------------------------------

  function modelView(m: ModelRecord, p: ProviderRecord | undefined): ModelView {
    return { ...m, key: modelKey(m), capabilities: { ...defaultCapabilities(p?.baseUrl ?? ''), ...m.capabilities } };
  }

  function providerView(p: ProviderRecord, models: ModelRecord[]): ProviderView {
    return {
      id: p.id,
      name: p.name,
      kind: p.kind,
      baseUrl: p.baseUrl,
      readOnly: false,
      hasKey: p.apiKeyEnc !== null,
      apiKeyHint: p.apiKeyHint,
      headerNames: p.headerNames,
      connectTimeoutMs: p.connectTimeoutMs,
      timeoutMs: p.timeoutMs,
      concurrency: p.concurrency,
      enabled: p.enabled,
      userKeys: p.userKeys,
      models: models.filter((m) => m.providerId === p.id).map((m) => modelView(m, p)),
    };
  }

  function envView(): ProviderView {
    const empty = { id: 0, providerId: 0, offered: true, contextLength: null, inputPerMillion: null, outputPerMillion: null, createdAt: 0, updatedAt: 0 };
    return {
      id: 'env',
      name: env.providerName === 'offline' ? 'offline' : deps.envInfo.baseUrl ? new URL(deps.envInfo.baseUrl).host : env.providerName,
      kind: env.providerName,
      baseUrl: deps.envInfo.baseUrl,
      readOnly: true,
      hasKey: false,
      apiKeyHint: null,
      headerNames: [],
      connectTimeoutMs: null,
      timeoutMs: null,
      concurrency: null,
      enabled: true,
      userKeys: false,
      models: env.models().map((name) => ({ ...empty, name, displayName: name, key: name, capabilities: defaultCapabilities(deps.envInfo.baseUrl ?? '') })),
    };
  }

  async function provider(id: number): Promise<ProviderRecord> {
    const p = await store.findProvider(db, id);
    if (!p) throw notFound('provider');
    return p;
  }

  function checkBaseUrl(raw: string): string {
    let u: URL;
    try {
      u = new URL(raw.trim());
    } catch {
      throw new AppError('validation:baseUrl', 'baseUrl must be a URL such as https://api.example.com/v1');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new AppError('validation:baseUrl', 'baseUrl must use http or https');
    if (u.username || u.password) throw new AppError('validation:baseUrl', 'Put credentials in the API key, not in the URL');
    return u.toString().replace(/\/+$/, '');
  }

  function sealed(input: Pick<ProviderInput, 'apiKey' | 'headers'>): Partial<store.ProviderWrite> {
    const out: Partial<store.ProviderWrite> = {};
    if (input.apiKey !== undefined) {
      const key = input.apiKey?.trim() || null;
      out.apiKeyEnc = key ? box.seal(key, KEY_AAD) : null;
      out.apiKeyHint = key ? keyHint(key) : null;
    }
    if (input.headers !== undefined) {
      const names = Object.keys(input.headers);
      out.headersEnc = names.length ? box.seal(JSON.stringify(input.headers), HEADERS_AAD) : null;
      out.headerNames = names;
    }
    return out;
  }

  async function write<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('conflict:name', 'This provider already has a model of that name');
      throw err;
    }
  }

  /**
   * Purposes whose default model is gone fall back to the environment's. Characters keep their
   * choice on purpose: their next turn is refused naming the model and the default, never switched.
   */
  async function forgetKeys(keys: string[]): Promise<void> {
    if (!keys.length) return;
    await db.deleteFrom('llm_defaults').where('model_key', 'in', keys).execute();
  }

  function checkChoosable(key: string | null, field: string) {
    if (key === null) return;
    if (!router.models().includes(key)) throw new AppError(`validation:${field}`, `${field} must be one of the offered models`, { details: { field } });
  }

  return {
    router,

    /** Loads the snapshot and follows other processes' changes. */
    async start(): Promise<() => Promise<void>> {
      await reload();
      const unsubscribe = await deps.pubsub.subscribe(deps.channel, () => void reload());
      refresher = setInterval(() => void reload(), ttl).unref();
      return async () => {
        clearInterval(refresher);
        await unsubscribe();
      };
    },

    presets: () => Object.entries(PROVIDER_PRESETS).map(([kind, p]) => ({ kind, label: p.label, baseUrl: p.baseUrl, needsKey: p.needsKey })),

    async list(): Promise<ProviderView[]> {
      const [providers, models] = await Promise.all([store.listProviders(db), store.listModels(db)]);
      return [envView(), ...providers.map((p) => providerView(p, models))];
    },

    async get(id: number): Promise<ProviderView> {
      const p = await provider(id);
      return providerView(p, await store.listModels(db));
    },

    async create(input: ProviderInput): Promise<ProviderView> {
      const baseUrl = checkBaseUrl(input.baseUrl);
      const id = await write(() =>
        store.insertProvider(
          db,
          {
            name: input.name.trim(),
            kind: input.kind,
            baseUrl,
            apiKeyEnc: null,
            apiKeyHint: null,
            headersEnc: null,
            headerNames: [],
            connectTimeoutMs: input.connectTimeoutMs,
            timeoutMs: input.timeoutMs,
            concurrency: input.concurrency,
            enabled: input.enabled,
            userKeys: input.userKeys,
            ...sealed(input),
          },
          now(),
        ),
      );
      await changed();
      return this.get(id);
    },

    async update(id: number, input: ProviderInput): Promise<ProviderView> {
      await provider(id);
      const baseUrl = checkBaseUrl(input.baseUrl);
      const { apiKey: _k, headers: _h, ...plain } = input;
      await write(() => store.updateProvider(db, id, { ...plain, name: input.name.trim(), baseUrl, ...sealed(input) }, now()));
      await changed();
      return this.get(id);
    },

    async remove(id: number): Promise<void> {
      const p = await provider(id);
      const keys = (await store.listModels(db)).filter((m) => m.providerId === p.id).map(modelKey);
      await store.deleteProvider(db, id);
      await forgetKeys(keys);
      await changed();
    },

    /** Lists the provider's models and makes one tiny completion (a saved provider, its stored key). */
    async test(id: number, model?: string): Promise<ProbeResult> {
      const p = await provider(id);
      const firstOffered = (await store.listModels(db)).find((m) => m.providerId === id);
      return probeProvider({ baseUrl: p.baseUrl, apiKey: providerKey(p), headers: headersOf(p), connectTimeoutMs: p.connectTimeoutMs, timeoutMs: p.timeoutMs, model: model ?? firstOffered?.name });
    },

    async addModel(providerId: number, input: ModelInput): Promise<ModelView> {
      const p = await provider(providerId);
      const id = await write(() =>
        store.insertModel(
          db,
          providerId,
          {
            name: input.name.trim(),
            displayName: input.displayName?.trim() || input.name.trim(),
            offered: input.offered ?? true,
            contextLength: input.contextLength ?? null,
            inputPerMillion: input.inputPerMillion ?? null,
            outputPerMillion: input.outputPerMillion ?? null,
            capabilities: input.capabilities ?? {},
          },
          now(),
        ),
      );
      await changed();
      return modelView((await store.findModel(db, id))!, p);
    },

    async updateModel(id: number, input: Omit<ModelInput, 'name'>): Promise<ModelView> {
      const m = await store.findModel(db, id);
      if (!m) throw notFound('model');
      await store.updateModel(db, id, { ...input, ...(input.displayName !== undefined && { displayName: input.displayName.trim() || m.name }) }, now());
      await changed();
      return modelView((await store.findModel(db, id))!, await store.findProvider(db, m.providerId));
    },

    async removeModel(id: number): Promise<void> {
      const m = await store.findModel(db, id);
      if (!m) throw notFound('model');
      await store.deleteModel(db, id);
      await forgetKeys([modelKey(m)]);
      await changed();
    },

    /** Each purpose: the admin's choice (null = the environment's) and the model in effect. */
    async defaults(): Promise<{ purpose: LlmPurpose; model: string | null; effective: string }[]> {
      const stored = await store.listDefaults(db);
      return PURPOSES.map((purpose) => ({ purpose, model: stored[purpose] ?? null, effective: defaultKey(purpose) }));
    },

    async putDefaults(input: Partial<Record<LlmPurpose, string | null>>) {
      const known = new Set([...snap.byKey.keys(), ...env.models()]);
      for (const [purpose, key] of Object.entries(input)) {
        if (key && !known.has(key)) throw new AppError(`validation:${purpose}`, `Unknown model "${key}" for ${purpose}`, { details: { field: purpose } });
      }
      await store.putDefaults(db, input, now());
      await changed();
      return this.defaults();
    },

    /** The models users may pick, with names to show. */
    choices(): ModelChoice[] {
      const s = current();
      const fromRegistry = s.models
        .filter((m) => m.offered && s.providers.get(m.providerId)?.enabled)
        .map((m) => ({ key: modelKey(m), displayName: m.displayName, provider: s.providers.get(m.providerId)!.name, contextLength: m.contextLength }));
      const envName = envView().name;
      return [...fromRegistry, ...env.models().map((key) => ({ key, displayName: key, provider: envName, contextLength: null }))];
    },

    /** The price of a model key for usage estimates (registry models; null = not priced here). */
    priceOf(key: string): { inputPerMillion: number; outputPerMillion: number } | null {
      const m = snap.byKey.get(key)?.model;
      return m && m.inputPerMillion !== null && m.outputPerMillion !== null ? { inputPerMillion: m.inputPerMillion, outputPerMillion: m.outputPerMillion } : null;
    },

    checkChoosable,

    /** A registry model's context length, when the admin gave one. */
    contextLengthOf: (key: string): number | null => snap.byKey.get(key)?.model.contextLength ?? null,

    // Users' own keys (when the provider allows them) ------------------------------------------

    async userKeys(userId: number) {
      const [mine, providers] = await Promise.all([store.listUserKeys(db, userId), store.listProviders(db)]);
      const hints = new Map(mine.map((k) => [k.providerId, k.apiKeyHint]));
      return providers.filter((p) => p.userKeys && p.enabled).map((p) => ({ providerId: p.id, name: p.name, hasKey: hints.has(p.id), apiKeyHint: hints.get(p.id) ?? null }));
    },

    async putUserKey(userId: number, providerId: number, apiKey: string) {
      const p = await store.findProvider(db, providerId);
      if (!p || !p.userKeys || !p.enabled) throw notFound('provider');
      await store.putUserKey(db, userId, providerId, box.seal(apiKey.trim(), USER_KEY_AAD), keyHint(apiKey.trim()), now());
      await changed();
    },

    async removeUserKey(userId: number, providerId: number) {
      if (!(await store.deleteUserKey(db, userId, providerId))) throw notFound('key');
      await changed();
    },
  };
}

export type ProvidersService = ReturnType<typeof createProvidersService>;
