/**
 * The composition root: builds the infrastructure from config (database, cache, queue, rate
 * limiter, metrics, LLM gateway, sources), then the features, then the HTTP app — explicitly and
 * in order. Tests build the same app and talk HTTP to it; src/server.ts owns listening and signals.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvCompiler from '@fastify/ajv-compiler';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from './config.js';
import { openDatabase, migrateToLatest, type DatabaseHandle } from './infra/db/index.js';
import type { Cache } from './infra/cache/cache.js';
import { MemoryCache } from './infra/cache/memory-cache.js';
import type { JobQueue } from './infra/queue/job-queue.js';
import { MemoryJobQueue } from './infra/queue/memory-queue.js';
import { MemoryRateLimiter, type RateLimiter } from './infra/rate-limit/rate-limiter.js';
import { LATENCY_BUCKETS, Metrics } from './infra/metrics.js';
import { registerErrorHandling, registerNotFound } from './http/errors.js';
import { registerAuth } from './http/auth.js';
import { ErrorResponse } from './http/schemas.js';
import { AppError } from './errors.js';
import { createUsersService, type UsersService } from './features/users/service.js';
import { registerUserRoutes } from './features/users/routes.js';
import { registerSystemRoutes, type ReadinessCheck } from './features/system/routes.js';
import multipart from '@fastify/multipart';
import cluster from 'node:cluster';
import { createScaledInfra } from './infra/redis/scaled-infra.js';
import { clusterMetricsText, serveMetricsToPrimary } from './cluster.js';
import { DiskFileStore, type FileStore } from './infra/files.js';
import { MemoryPubSub, type PubSub } from './infra/pubsub/pubsub.js';
import { createCharactersService, type CharactersService } from './features/characters/service.js';
import { registerCharacterRoutes } from './features/characters/routes.js';
import { createLlmGateway, type LlmGateway } from './infra/llm/index.js';
import { MemoryLocks, type Locks } from './infra/locks/locks.js';
import { createPromptRegistry, type PromptRegistry } from './features/prompts/registry.js';
import { createPromptsService, type PromptsService } from './features/prompts/service.js';
import { registerConsole } from './features/admin/register.js';
import { createInspectionRecorder, type InspectionRecorder } from './features/inspect/recorder.js';
import { createUsageRecorder } from './features/users/usage.js';
import { createMemoryService, MEMORY_JOB, type MemoryJobPayload, type MemoryService, type ConversationMemoryContext } from './features/memory/service.js';
import { createChatService, type ChatService } from './features/chat/service.js';
import { createTurnEngine } from './features/conversations/engine.js';
import { registerChatRoutes } from './features/chat/routes.js';
import * as characterStore from './features/characters/store.js';
import { createSourceService, type SourceService } from './features/sources/service.js';
import { createCreationService, CREATION_ATTEMPTS, CREATION_JOB, type CreationService } from './features/creation/service.js';
import { registerCreationRoutes } from './features/creation/routes.js';
import { createGroupsService, groupMemoryContextOf, registerGroupRoutes } from './features/groups/index.js';

export interface AppContext {
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
  /** Every route registered (for the OpenAPI completeness test). */
  routes: { method: string; url: string; hidden: boolean }[];
}

export interface BuildOptions {
  /** Pino options or false; default logs at FASTNPC_LOG_LEVEL. */
  logger?: FastifyServerOptions['logger'];
  /** Run background jobs in this process (default: config.runJobs). */
  runJobs?: boolean;
  /** Override infrastructure (scaled mode passes Redis-backed ones). */
  infra?: Partial<Pick<AppContext, 'cache' | 'queue' | 'limiter' | 'pubsub' | 'locks'>>;
  /** Extra readiness checks (Redis in scaled mode). */
  readiness?: ReadinessCheck[];
  /** Pause between the offline model's streamed chunks (tests use 0). */
  offlineChunkDelayMs?: number;
  metricsText?: () => Promise<{ contentType: string; body: string }>;
}

/** The package folder, whether this file runs from src/ (tsx) or dist/src/ (built). */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}
const packageRoot = findPackageRoot();

export async function buildApp(config: Config, options: BuildOptions = {}): Promise<{ app: FastifyInstance; ctx: AppContext }> {
  // The Fastify instance comes first so every piece below can log through it.
  const app = Fastify({
    logger:
      options.logger ??
      ({
        level: config.logLevel,
        redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'], censor: '[redacted]' },
      } as FastifyServerOptions['logger']),
    bodyLimit: config.bodyLimitBytes,
    // Per-request info logs cost more than they tell at thousands of requests a second;
    // /metrics has latency by route and status, and errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    trustProxy: false,
    // Streams (SSE) can be long; the server's own timeouts are set in server.ts.
    requestTimeout: 0,
    schemaController: { compilersFactory: { buildValidator: buildValidators as never } },
  });
  // Infrastructure ------------------------------------------------------------------------------
  const metrics = new Metrics();
  const database = openDatabase({
    databaseUrl: config.databaseUrl,
    sqliteFile: join(config.dataDirAbs, 'fastnpc.db'),
    poolMax: config.dbPoolMax,
    acquireTimeoutMs: config.dbAcquireTimeoutMs,
  });
  await migrateToLatest(database.db);
  const log = { info: (o: object, m?: string) => app.log.info(o, m), warn: (o: object, m?: string) => app.log.warn(o, m), error: (o: object, m?: string) => app.log.error(o, m) };
  // Scaled mode: REDIS_URL moves cache, queue, limits, pub/sub and leases to Redis.
  const scaled = config.redisUrl && !options.infra ? await createScaledInfra(config, { metrics, logger: log, prefix: config.redisPrefix, onJobError: (name, err, final) => log.warn({ err, job: name, final }, 'job failed') }) : undefined;
  const infra = options.infra ?? scaled ?? {};
  const cache = infra.cache ?? new MemoryCache();
  const queue = infra.queue ?? new MemoryJobQueue((name, err, final) => log.warn({ err, job: name, final }, 'job failed'));
  const limiter = infra.limiter ?? new MemoryRateLimiter();
  const pubsub = infra.pubsub ?? new MemoryPubSub();
  const locks = infra.locks ?? new MemoryLocks();
  const files = new DiskFileStore(join(config.dataDirAbs, 'avatars'));
  if (cluster.isWorker) serveMetricsToPrimary(metrics.registry);
  const usage = createUsageRecorder(database.db, { onError: (err) => log.warn({ err }, 'usage flush failed') });
  const llm = createLlmGateway(config, { cache, metrics, logger: log, onUsage: (u) => usage.record(u), offlineChunkDelayMs: options.offlineChunkDelayMs });
  const promptVersions = createPromptsService({ db: database.db, pubsub, channel: `${config.redisPrefix}:prompts:changed` });
  const stopPromptSync = await promptVersions.start();
  const prompts = createPromptRegistry({ override: (id) => promptVersions.activeText(id), onOverrideError: (err, id) => log.warn({ err, prompt: id }, 'prompt store failed; using the built-in text') });

  // Features ------------------------------------------------------------------------------------
  const users = createUsersService({
    db: database.db,
    cache,
    adminUser: config.adminUser,
    sessionTtlDays: config.sessionTtlDays,
    allowedModels: () => llm.models(),
  });
  const characters = createCharactersService({ db: database.db, cache, files });
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
  const inspections = createInspectionRecorder({ db: database.db, defaultModel: config.llmModel, activeVersions: () => promptVersions.activeVersionIds(), onError: (err) => log.warn({ err }, 'inspection record dropped') });
  const engine = createTurnEngine({
    onReply: (r) => inspections.record({ messageId: r.messageId, messages: r.request.messages, model: r.request.model, temperature: r.request.temperature, maxTokens: r.request.maxTokens, usage: r.usage, latencyMs: r.latencyMs }),
    db: database.db,
    llm,
    locks,
    memory,
    leaseMs: config.turnLeaseMs,
    onBackgroundError: (err) => log.warn({ err }, 'could not schedule memory work'),
  });
  const chat = createChatService({
    db: database.db,
    cache,
    engine,
    prompts,
    characters,
    users,
    memory,
    observePrelude: (() => {
      const h = metrics.histogram('chat_turn_prelude_seconds', 'Server time before a turn\'s LLM call starts (auth, storage, prompt)', [], [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
      return (s: number) => h.observe(s);
    })(),
  });
  const sources = createSourceService(config, { metrics, contact: config.sourceContact });
  const creation = createCreationService({ db: database.db, queue, pubsub, llm, prompts, sources, characters, sectionConcurrency: config.creationSectionConcurrency });
  const ctx: AppContext = { config, database, cache, queue, limiter, metrics, pubsub, files, locks, llm, prompts, promptVersions, inspections, users, characters, memory, chat, sources, creation, routes: [] };

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
    cache,
    engine,
    llm,
    prompts,
    characters,
    users,
    memory,
    onModeratorError: (err) => log.warn({ err }, 'group moderator failed; round-robin for this round'),
  });
  groupMemoryContext = groupMemoryContextOf(groups);

  if (options.runJobs ?? config.runJobs) {
    queue.process<MemoryJobPayload>(MEMORY_JOB, async (payload, job) => void (await memory.run(payload, job.signal)), { concurrency: config.memoryConcurrency });
    queue.process<{ jobId: string }>(CREATION_JOB, (payload, job) => creation.run(payload.jobId, job.signal, job.attempt, job.maxAttempts ?? CREATION_ATTEMPTS), { concurrency: config.creationConcurrency });
    // The embedded queue forgets jobs on restart; their records in the database do not.
    if (!infra.queue) await creation.resumeUnfinished();
  }

  // HTTP ----------------------------------------------------------------------------------------
  const routes: { method: string; url: string; hidden: boolean }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url, hidden: !!(r.schema as { hide?: boolean } | undefined)?.hide });
  });
  app.addSchema(ErrorResponse);
  registerErrorHandling(app);
  registerHttpMetrics(app, metrics, database);

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        styleSrc: ["'self'", "'unsafe-inline'"],
        scriptSrc: ["'self'"],
        connectSrc: ["'self'"],
        // Only behind HTTPS: on plain HTTP (a LAN address) upgrading would break every asset.
        upgradeInsecureRequests: config.cookieSecure ? [] : null,
      },
    },
    hsts: config.cookieSecure,
    crossOriginEmbedderPolicy: false,
  });
  if (config.corsOrigins.length) await app.register(cors, { origin: config.corsOrigins, credentials: true });
  await app.register(cookie);
  await app.register(multipart, { limits: { fileSize: 10 * 1024 * 1024, files: 1, fields: 10 } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'FastNPC API', version: '0.1.0', description: 'Characters from encyclopedia pages, streamed chat with three-layer memory, group chat.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'fastnpc_session' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) ?? `def-${i}` },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerAuth(app, (token) => users.resolveSession(token));
  app.addHook('onSend', (request, reply, payload, done) => {
    // Personal data must never be served from a shared or browser cache after it changed.
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  const checks: ReadinessCheck[] = [{ name: 'database', critical: true, check: () => database.ping() }, ...(scaled ? [scaled.readiness] : []), ...(options.readiness ?? [])];
  registerSystemRoutes(app, {
    metrics,
    checks,
    llmProvider: () => llm.provider,
    models: () => llm.models(),
    metricsText: options.metricsText ?? (cluster.isWorker ? clusterMetricsText : undefined),
  });
  registerUserRoutes(app, { users, limiter, authRatePerMin: config.authRatePerMin, cookieSecure: config.cookieSecure });
  registerCharacterRoutes(app, { characters });
  const firstToken = metrics.histogram('chat_turn_first_token_seconds', 'Request received to the first token written, as the server sees it', [], [0.5, 0.52, 0.55, 0.6, 0.7, 0.8, 1, 1.5, 2, 3, 5, 10, 30]);
  registerChatRoutes(app, { chat, memory, limiter, chatRatePerMin: config.chatRatePerMin, observeFirstToken: (s) => firstToken.observe(s) });
  registerCreationRoutes(app, { creation, sources, limiter, creationRatePerMin: config.creationRatePerMin });
  registerGroupRoutes(app, { groups, limiter, chatRatePerMin: config.chatRatePerMin, observeFirstToken: (s) => firstToken.observe(s) });
  registerConsole(app, ctx);

  await registerWebApp(app, config);
  ctx.routes = routes;

  app.addHook('onClose', async () => {
    await queue.close(config.shutdownGraceMs);
    await stopPromptSync();
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
  });

  return { app, ctx };
}

/**
 * Query strings and path params arrive as text and are coerced to the schema's types; JSON bodies
 * are not, so `{"username": 12345}` is a 400 rather than silently becoming "12345".
 */
function buildValidators(externalSchemas: unknown, options: { customOptions?: object }) {
  const factory = AjvCompiler();
  const base = { ...options.customOptions, removeAdditional: false, useDefaults: true, allErrors: false };
  const strict = factory(externalSchemas as never, { ...options, customOptions: { ...base, coerceTypes: false } } as never);
  const coercing = factory(externalSchemas as never, { ...options, customOptions: { ...base, coerceTypes: 'array' } } as never);
  return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict : coercing)(route as never);
}

function registerHttpMetrics(app: FastifyInstance, metrics: Metrics, database: DatabaseHandle) {
  const duration = metrics.histogram('http_request_duration_seconds', 'HTTP request duration by route and status', ['method', 'route', 'status'], LATENCY_BUCKETS);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  metrics.gauge('db_pool_connections_in_use', 'Database connections checked out', [], function () {
    const s = database.poolStats();
    this.set(s.total - s.idle);
  });
  metrics.gauge('db_pool_waiting', 'Callers waiting for a database connection', [], function () {
    this.set(database.poolStats().waiting);
  });
}

/** Serves the built web app at `/`, with index.html for client-side routes. */
async function registerWebApp(app: FastifyInstance, config: Config): Promise<void> {
  const dir = config.webDir ? resolve(config.webDir) : join(packageRoot, 'dist', 'web');
  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => reply.type('text/plain').send('FastNPC API is running. The web app is not built: run `npm run build:web`. API docs: /docs'));
    registerNotFound(app, false);
    return;
  }
  await app.register(fastifyStatic, { root: dir, prefix: '/', wildcard: false, index: ['index.html'] });
  registerNotFound(app, true);
}
