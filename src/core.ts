/**
 * The core: config → infrastructure (database, cache, queue, rate limiter, metrics, LLM gateway,
 * sources) → services → job handlers, explicitly and in order, with no HTTP. `fastnpc worker` runs
 * this alone; src/app.ts puts the HTTP app on top.
 */
import { join } from 'node:path';
import cluster from 'node:cluster';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Config } from './config.js';
import { openDatabase, migrateToLatest, type DatabaseHandle } from './infra/db/index.js';
import type { Cache } from './infra/cache/cache.js';
import { MemoryCache } from './infra/cache/memory-cache.js';
import type { JobContext, JobQueue } from './infra/queue/job-queue.js';
import { MemoryJobQueue } from './infra/queue/memory-queue.js';
import { MemoryRateLimiter, type RateLimiter } from './infra/rate-limit/rate-limiter.js';
import { Metrics } from './infra/metrics.js';
import { createScaledInfra } from './infra/redis/scaled-infra.js';
import { serveMetricsToPrimary } from './cluster.js';
import { DiskFileStore, type FileStore } from './infra/files.js';
import { MemoryPubSub, type PubSub } from './infra/pubsub/pubsub.js';
import { createEnvRouter, createLlmGateway, remoteLlmBaseUrl, type LlmGateway } from './infra/llm/index.js';
import { createProvidersService, type ProvidersService } from './features/providers/service.js';
import { createChatLlmSettings, type ChatLlmSettingsService } from './features/providers/chat-settings.js';
import { MemoryLocks, type Locks } from './infra/locks/locks.js';
import { createUsersService, type UsersService } from './features/users/service.js';
import { createCharactersService, type CharactersService } from './features/characters/service.js';
import { createPromptRegistry, type PromptRegistry } from './features/prompts/registry.js';
import { createPromptsService, type PromptsService } from './features/prompts/service.js';
import { createInspectionRecorder, type InspectionRecorder } from './features/inspect/recorder.js';
import { createUsageRecorder } from './features/users/usage.js';
import { createMemoryService, MEMORY_JOB, type MemoryService, type ConversationMemoryContext } from './features/memory/service.js';
import { createChatService, type ChatService } from './features/chat/service.js';
import { createTurnEngine } from './features/conversations/engine.js';
import { enableHistoryCache } from './features/conversations/store.js';
import * as characterStore from './features/characters/store.js';
import { createSourceService, type SourceService } from './features/sources/service.js';
import { createCreationService, CREATION_ATTEMPTS, CREATION_JOB, type CreationService } from './features/creation/service.js';
import { createGroupsService, groupMemoryContextOf, type GroupsService } from './features/groups/index.js';
import { createLorebooksService, type LorebooksService } from './features/lorebooks/service.js';
import { createPersonasService, type PersonasService } from './features/personas/service.js';
import { createApiKeysService, type ApiKeysService } from './features/api-keys/service.js';
import { createOpenAiService, type OpenAiService } from './features/openai-api/service.js';
import { createEvaluationsService, EVALUATION_JOB, type EvaluationsService } from './features/evaluations/service.js';

export interface CoreLog {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
}

/** A command's log: warnings and errors on stderr, one line each; nothing else. */
const logLine = (level: string, o: object, m?: string) => process.stderr.write(`${level}: ${m ?? ''} ${JSON.stringify(o, (_k, v: unknown) => (v instanceof Error ? v.message : v))}\n`);
export const cliLog: CoreLog = {
  info() {},
  warn: (o, m) => logLine('warning', o, m),
  error: (o, m) => logLine('error', o, m),
};

export interface CoreOptions {
  /** Run background jobs in this process (default: config.runJobs). */
  runJobs?: boolean;
  /** Override infrastructure (scaled mode passes Redis-backed ones). */
  infra?: Partial<Pick<Core, 'cache' | 'queue' | 'limiter' | 'pubsub' | 'locks'>>;
  /** Pause between the offline model's streamed chunks (tests use 0). */
  offlineChunkDelayMs?: number;
  /** Keep every statement's SQL in `database.queries.trace` (tests that count a turn's queries). */
  traceQueries?: boolean;
}

export interface Core {
  config: Config;
  database: DatabaseHandle;
  cache: Cache;
  queue: JobQueue;
  limiter: RateLimiter;
  metrics: Metrics;
  pubsub: PubSub;
  files: FileStore;
  locks: Locks;
  llm: LlmGateway;
  /** Providers and models admins manage; the gateway routes through its registry. */
  providers: ProvidersService;
  /** Characters' and groups' own model and sampling. */
  chatLlm: ChatLlmSettingsService;
  prompts: PromptRegistry;
  /** Versioned prompts (admin); the registry reads the active texts from it. */
  promptVersions: PromptsService;
  /** What each reply really sent (written after the reply is stored). */
  inspections: InspectionRecorder;
  users: UsersService;
  characters: CharactersService;
  memory: MemoryService;
  chat: ChatService;
  sources: SourceService;
  creation: CreationService;
  groups: GroupsService;
  lorebooks: LorebooksService;
  personas: PersonasService;
  /** API keys for the OpenAI-compatible endpoint. */
  apiKeys: ApiKeysService;
  /** Characters and groups as OpenAI-compatible models. */
  openai: OpenAiService;
  /** Test cases and judged evaluation runs (admin). */
  evaluations: EvaluationsService;
  /** Checks /readyz adds for the core's own connections (Redis in scaled mode). */
  readiness: { name: string; critical: boolean; check(): Promise<void> }[];
  close(): Promise<void>;
}

/** Judges never shape a reply: a reply's inspection record lists the other prompts' versions. */
const withoutJudges = (ids: Record<string, number>) => Object.fromEntries(Object.entries(ids).filter(([key]) => !key.startsWith('judge.')));

/** Every background job: its name and the payload it carries, checked when the job runs. */
export const JOBS = {
  [MEMORY_JOB]: Type.Object({ conversationId: Type.Integer({ minimum: 1 }), force: Type.Optional(Type.Boolean()) }),
  [CREATION_JOB]: Type.Object({ jobId: Type.String({ minLength: 1 }) }),
  [EVALUATION_JOB]: Type.Object({ jobId: Type.String({ minLength: 1 }) }),
} satisfies Record<string, TSchema>;
export type JobName = keyof typeof JOBS;
export type JobPayload<N extends JobName> = Static<(typeof JOBS)[N]>;

/** Registers a handler whose payload is validated against the job map first (a stale or foreign payload fails loudly). */
export function handleJob<N extends JobName>(queue: JobQueue, name: N, handler: (payload: JobPayload<N>, job: JobContext) => Promise<unknown>, options: { concurrency: number }): void {
  queue.process<JobPayload<N>>(
    name,
    async (payload, job) => {
      if (!Value.Check(JOBS[name], payload)) throw new Error(`job ${name}: invalid payload ${JSON.stringify(payload).slice(0, 200)}`);
      await handler(payload, job);
    },
    options,
  );
}

export async function buildCore(config: Config, options: CoreOptions & { log: CoreLog }): Promise<Core> {
  const { log } = options;
  // Infrastructure ------------------------------------------------------------------------------
  const metrics = new Metrics();
  const database = openDatabase({
    databaseUrl: config.databaseUrl,
    readUrl: config.databaseReadUrl,
    sqliteFile: join(config.dataDirAbs, 'fastnpc.db'),
    poolMax: config.dbPoolMax,
    acquireTimeoutMs: config.dbAcquireTimeoutMs,
    traceQueries: options.traceQueries,
  });
  await migrateToLatest(database.db);
  // Scaled mode: REDIS_URL moves cache, queue, limits, pub/sub and leases to Redis.
  const scaled = config.redisUrl && !options.infra ? await createScaledInfra(config, { metrics, logger: log, prefix: config.redisPrefix, onJobError: (name, err, final) => log.warn({ err, job: name, final }, 'job failed') }) : undefined;
  const infra = options.infra ?? scaled ?? {};
  // Embedded mode: this process is the database's only writer, so a conversation's recent messages
  // can stay in memory between turns (src/features/conversations/history-cache.ts).
  const singleProcess = !config.databaseUrl && !config.redisUrl && !options.infra;
  if (singleProcess) enableHistoryCache(database.db);
  const cache = infra.cache ?? new MemoryCache();
  const queue = infra.queue ?? new MemoryJobQueue((name, err, final) => log.warn({ err, job: name, final }, 'job failed'));
  const limiter = infra.limiter ?? new MemoryRateLimiter();
  const pubsub = infra.pubsub ?? new MemoryPubSub();
  const locks = infra.locks ?? new MemoryLocks();
  const files = new DiskFileStore(join(config.dataDirAbs, 'avatars'));
  if (cluster.isWorker) serveMetricsToPrimary(metrics.registry);
  const usage = createUsageRecorder(database.db, { onError: (err) => log.warn({ err }, 'usage flush failed') });
  const providers = createProvidersService({
    db: database.db,
    pubsub,
    channel: `${config.redisPrefix}:providers:changed`,
    secret: config.secretValue,
    env: createEnvRouter(config, { offlineChunkDelayMs: options.offlineChunkDelayMs ?? 15 }),
    envInfo: { baseUrl: remoteLlmBaseUrl(config) ?? null },
    retireGraceMs: config.llmTotalTimeoutMs,
    onError: (err) => log.warn({ err }, 'provider registry reload failed'),
  });
  const stopProviderSync = await providers.start();
  const llm = createLlmGateway(config, { cache, metrics, logger: log, onUsage: (u) => usage.record(u), router: providers.router });
  const promptVersions = createPromptsService({ db: database.db, pubsub, channel: `${config.redisPrefix}:prompts:changed` });
  const stopPromptSync = await promptVersions.start();
  const prompts = createPromptRegistry({ override: (id) => promptVersions.activeText(id), onOverrideError: (err, id) => log.warn({ err, prompt: id }, 'prompt store failed; using the built-in text') });

  // Features ------------------------------------------------------------------------------------
  const apiKeys = createApiKeysService({ db: database.db, cache, onBackgroundError: (err) => log.warn({ err }, 'could not record an API key\'s last use') });
  const users = createUsersService({
    db: database.db,
    cache,
    adminUser: config.adminUser,
    sessionTtlDays: config.sessionTtlDays,
    allowedModels: () => llm.models(),
    files,
    forgetCredentials: (userId) => apiKeys.forget(userId),
  });
  const characters = createCharactersService({ db: database.db, cache, files });
  const chatLlm = createChatLlmSettings({
    db: database.db,
    cache,
    checkChoosable: (key, field) => providers.checkChoosable(key, field),
    contextLengthOf: (key) => providers.contextLengthOf(key),
    assertOwner: async (actor, target, id) => {
      if (target === 'character') await characters.get({ userId: actor.userId }, id);
      else await groups.get({ userId: actor.userId }, id);
    },
  });
  const personas = createPersonasService({ db: database.db, cache, files });
  const memoryJobs = metrics.counter('memory_jobs_total', 'Memory jobs by what they did', ['result']);
  const memory = createMemoryService({
    db: database.db,
    cache,
    queue,
    llm,
    prompts,
    contextOf: (id) => memoryContextOf(id),
    onJobDone: (r) => memoryJobs.inc({ result: r.compressed ? 'compressed' : r.folded ? 'integrated' : 'nothing_to_do' }),
  });
  const inspections = createInspectionRecorder({
    db: database.db,
    // Read at record time: the chat default is the admin's choice now, and it may change while we run.
    get defaultModel() {
      return providers.router.keyFor('chat');
    },
    activeVersions: () => promptVersions.activeVersionIds().then(withoutJudges),
    onError: (err) => log.warn({ err }, 'inspection record dropped'),
  });
  const engine = createTurnEngine({
    onReply: (r) => inspections.record({ messageId: r.messageId, messages: r.request.messages, model: r.request.model, temperature: r.request.temperature, maxTokens: r.request.maxTokens, usage: r.usage, latencyMs: r.latencyMs, lore: r.lore }),
    db: database.db,
    llm,
    locks,
    memory,
    leaseMs: config.turnLeaseMs,
    singleProcess,
    onBackgroundError: (err) => log.warn({ err }, 'could not schedule memory work'),
  });
  const lorebooks = createLorebooksService({ db: database.db, cache, characters });
  const prelude = metrics.histogram('chat_turn_prelude_seconds', 'Server time before a turn\'s LLM call starts (auth, storage, prompt)', [], [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
  const observePrelude = (s: number) => prelude.observe(s);
  const lore = (character: Parameters<typeof lorebooks.loreFor>[0], messages: readonly string[]) => lorebooks.loreFor(character, messages);
  const chat = createChatService({ db: database.db, readDb: database.read, cache, engine, prompts, characters, users, memory, personas, observePrelude, lore, llmSettings: chatLlm.of });
  const sources = createSourceService(config, { metrics, contact: config.sourceContact });
  const creation = createCreationService({ db: database.db, queue, pubsub, llm, prompts, sources, characters, sectionConcurrency: config.creationSectionConcurrency });

  /** Who a conversation's memory is about, with the owner's budgets. */
  async function memoryContextOf(conversationId: number): Promise<ConversationMemoryContext | undefined> {
    const conv = await database.db.selectFrom('conversations').selectAll().where('id', '=', conversationId).executeTakeFirst();
    if (!conv) return undefined;
    const settings = await users.getSettings(conv.user_id);
    const budgets = { session: settings.budgetSession, shortTerm: settings.budgetShortTerm, longTerm: settings.budgetLongTerm };
    if (conv.kind === 'direct' && conv.character_id) {
      const c = await characterStore.findCharacter(database.db, { userId: conv.user_id }, conv.character_id);
      if (!c) return undefined;
      return { userId: conv.user_id, characterIds: [c.id], characterName: c.name, budgets, speakerNames: new Map([[c.id, c.name]]) };
    }
    return groupMemoryContext?.(conv.group_id!, conv.user_id, budgets);
  }
  let groupMemoryContext: ((groupId: number, userId: number, budgets: ConversationMemoryContext['budgets']) => Promise<ConversationMemoryContext | undefined>) | undefined;
  const groups = createGroupsService({
    db: database.db,
    readDb: database.read,
    cache,
    engine,
    llm,
    prompts,
    characters,
    users,
    memory,
    llmSettings: chatLlm.of,
    personas,
    onModeratorError: (err) => log.warn({ err }, 'group moderator failed; round-robin for this round'),
    // The moderator's model is the per-purpose one when configured (the recorder's default is the chat model).
    recordDecision: (trace) => inspections.recordDecision({ ...trace, model: trace.model ?? config.llmModelModerator ?? undefined }),
    lore: (character, messages, groupId) => lorebooks.loreFor(character, messages, groupId),
  });
  groupMemoryContext = groupMemoryContextOf(groups);
  const openai = createOpenAiService({ db: database.db, engine, chat, groups, characters, observePrelude });
  const evaluations = createEvaluationsService({ db: database.db, llm, queue, pubsub, prompts: promptVersions, jobs: creation, defaultModel: config.llmModelChat ?? config.llmModel });

  if (options.runJobs ?? config.runJobs) {
    handleJob(queue, MEMORY_JOB, (payload, job) => memory.run(payload, job.signal), { concurrency: config.memoryConcurrency });
    handleJob(queue, CREATION_JOB, (payload, job) => creation.run(payload.jobId, job.signal, job.attempt, job.maxAttempts ?? CREATION_ATTEMPTS), { concurrency: config.creationConcurrency });
    // One run at a time: a run's cases already go one after another, and judging is not urgent.
    handleJob(queue, EVALUATION_JOB, (payload, job) => evaluations.run(payload.jobId, job.signal), { concurrency: 1 });
    // The embedded queue forgets jobs on restart; their records in the database do not.
    if (!infra.queue) {
      await creation.resumeUnfinished();
      await evaluations.resumeUnfinished();
    }
  }

  return {
    config,
    database,
    cache,
    queue,
    limiter,
    metrics,
    pubsub,
    files,
    locks,
    llm,
    providers,
    chatLlm,
    prompts,
    promptVersions,
    inspections,
    users,
    characters,
    memory,
    chat,
    sources,
    creation,
    groups,
    lorebooks,
    personas,
    apiKeys,
    openai,
    evaluations,
    readiness: scaled ? [scaled.readiness] : [],
    async close() {
      await queue.close(config.shutdownGraceMs);
      await stopPromptSync();
      await stopProviderSync();
      await inspections.flush();
      await usage.close();
      await llm.close();
      await sources.close();
      await locks.close();
      await limiter.close();
      await pubsub.close();
      await scaled?.close();
      await cache.close();
      await database.close();
    },
  };
}
