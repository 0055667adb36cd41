/**
 * The HTTP app on top of the core (src/core.ts builds config → infra → services → job handlers):
 * plugins, security headers, auth, every feature's routes, the web app. Tests build the same app
 * and talk HTTP to it; src/server.ts owns listening and signals; `fastnpc worker` uses the core only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvCompiler from '@fastify/ajv-compiler';
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import helmet from 'helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from './config.js';
import { buildCore, type Core, type CoreOptions } from './core.js';
import { type DatabaseHandle } from './infra/db/index.js';
import { LATENCY_BUCKETS, Metrics } from './infra/metrics.js';
import { registerErrorHandling, sendError, toAppError } from './http/errors.js';
import { registerJsonCompression, registerWebApp } from './http/static.js';
import { registerReadYourWrites, replicaReadiness } from './http/read-your-writes.js';
import { registerDrainRefusal } from './http/drain.js';
import { registerAuth, SESSION_COOKIE } from './http/auth.js';
import { registerInputGuards } from './http/input-guards.js';
import { ErrorResponse } from './http/schemas.js';
import type { TurnStreaming } from './http/sse.js';
import { registerUserRoutes } from './features/users/routes.js';
import { registerSystemRoutes, type ReadinessCheck } from './features/system/routes.js';
import multipart from '@fastify/multipart';
import cluster from 'node:cluster';
import { clusterMetricsText } from './cluster.js';
import { registerCharacterRoutes } from './features/characters/routes.js';
import { registerConsole } from './console-routes.js';
import { registerChatRoutes } from './features/chat/routes.js';
import { registerCreationRoutes } from './features/creation/routes.js';
import { registerGroupRoutes } from './features/groups/index.js';
import { registerProviderRoutes } from './features/providers/routes.js';
import { registerLorebookRoutes } from './features/lorebooks/routes.js';
import { registerPersonaRoutes } from './features/personas/routes.js';
import { registerApiKeyRoutes } from './features/api-keys/routes.js';
import { registerOpenAiRoutes } from './features/openai-api/routes.js';

/** The core's services, plus every route registered (for the OpenAPI completeness test). */
export interface AppContext extends Omit<Core, 'groups' | 'lorebooks' | 'readiness' | 'close'> {
  routes: { method: string; url: string; hidden: boolean }[];
}

export interface BuildOptions extends CoreOptions {
  /** Pino options or false; default logs at FASTNPC_LOG_LEVEL. */
  logger?: FastifyServerOptions['logger'];
  /** Extra readiness checks (Redis in scaled mode). */
  readiness?: ReadinessCheck[];
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
    trustProxy: config.trustProxy.length ? config.trustProxy : false,
    // Streams (SSE) can be long; the server's own timeouts are set in server.ts.
    requestTimeout: 0,
    // Router errors (bad percent-escapes, over-long path segments) and draining use our error shape.
    frameworkErrors: (err, _request, reply) => void sendError(reply, toAppError(err)),
    return503OnClosing: false,
    schemaController: { compilersFactory: { buildValidator: buildValidators as never, buildSerializer: buildSerializers as never } },
  });
  const log = { info: (o: object, m?: string) => app.log.info(o, m), warn: (o: object, m?: string) => app.log.warn(o, m), error: (o: object, m?: string) => app.log.error(o, m) };
  const core = await buildCore(config, { ...options, log });
  const { database, cache, queue, limiter, metrics, pubsub, files, locks, llm, providers, chatLlm, prompts, promptVersions, inspections, users, characters, memory, chat, sources, creation, groups, personas, apiKeys, openai, evaluations } = core;
  const ctx: AppContext = { config, database, cache, queue, limiter, metrics, pubsub, files, locks, llm, providers, chatLlm, prompts, promptVersions, inspections, users, characters, memory, chat, sources, creation, personas, apiKeys, openai, evaluations, routes: [] };

  // HTTP ----------------------------------------------------------------------------------------
  const routes: { method: string; url: string; hidden: boolean }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url, hidden: !!(r.schema as { hide?: boolean } | undefined)?.hide });
  });
  app.addSchema(ErrorResponse);
  registerErrorHandling(app);
  registerDrainRefusal(app);
  registerInputGuards(app);
  registerHttpMetrics(app, metrics, database);
  registerJsonCompression(app);

  // Security headers, computed once: they depend on configuration only (no nonces), so each
  // request sets them in one loop instead of running helmet's dozen middlewares.
  const securityHeaders = headersOf(helmet({
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
  }));
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of securityHeaders) reply.raw.setHeader(name, value);
    done();
  });
  if (config.corsOrigins.length) await app.register(cors, { origin: config.corsOrigins, credentials: true });
  await app.register(cookie);
  if (config.databaseReadUrl) registerReadYourWrites(app, { cookieSecure: config.cookieSecure });
  await app.register(multipart, { limits: { fileSize: 10 * 1024 * 1024, files: 1, fields: 10 } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'FastNPC API', version: '0.1.0', description: 'Characters from encyclopedia pages, streamed chat with three-layer memory, group chat.' },
      components: { securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'fastnpc_session' }, apiKey: { type: 'http', scheme: 'bearer', description: 'An API key (`fnpc_…`, Settings → API keys); only on /v1' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (json.$id as string) ?? `def-${i}` },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    uiConfig: { validatorUrl: null },
    // Swagger UI sets inline styles; and plain-HTTP installs must not upgrade to HTTPS (as above).
    transformStaticCSP: (csp) => {
      const withStyles = csp.replace(/style-src ([^;]*);/, (_m, v: string) => `style-src ${v.trim()} 'unsafe-inline';`);
      return config.cookieSecure ? withStyles : withStyles.replace(/\s*upgrade-insecure-requests;?/, '');
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  registerAuth(app, (token) => users.resolveSession(token));
  app.addHook('onSend', (request, reply, payload, done) => {
    // Personal data must never be served from a shared or browser cache after it changed.
    if (request.url.startsWith('/api/') && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });

  const checks: ReadinessCheck[] = [{ name: 'database', critical: true, check: () => database.ping() }, ...replicaReadiness(database), ...core.readiness, ...(options.readiness ?? [])];
  registerSystemRoutes(app, {
    metrics,
    checks,
    llmProvider: () => llm.provider,
    models: () => llm.models(),
    hasUsers: () => users.hasUsers(),
    metricsText: options.metricsText ?? (cluster.isWorker ? clusterMetricsText : undefined),
    metricsPublic: config.metricsPublic,
    metricsToken: config.metricsToken,
    isAdmin: async (request) => {
      const token = request.cookies[SESSION_COOKIE];
      return !!token && !!(await users.resolveSession(token))?.isAdmin;
    },
  });
  registerUserRoutes(app, { users, limiter, authRatePerMin: config.authRatePerMin, cookieSecure: config.cookieSecure });
  registerCharacterRoutes(app, { characters });
  const firstToken = metrics.histogram('chat_turn_first_token_seconds', 'Request received to the first token written, as the server sees it', [], [0.5, 0.52, 0.55, 0.6, 0.7, 0.8, 1, 1.5, 2, 3, 5, 10, 30]);
  const streaming: TurnStreaming = { observeFirstToken: (s) => firstToken.observe(s), coalesceMs: config.streamFrameMs };
  registerChatRoutes(app, { chat, memory, limiter, chatRatePerMin: config.chatRatePerMin, streaming });
  registerCreationRoutes(app, { creation, sources, limiter, creationRatePerMin: config.creationRatePerMin });
  registerGroupRoutes(app, { groups, limiter, chatRatePerMin: config.chatRatePerMin, streaming });
  registerProviderRoutes(app, { providers, chatLlm });
  registerLorebookRoutes(app, { lorebooks: core.lorebooks });
  registerPersonaRoutes(app, { personas });
  registerApiKeyRoutes(app, { apiKeys });
  registerOpenAiRoutes(app, { openai, apiKeys, limiter, apiRatePerMin: config.apiRatePerMin, chatRatePerMin: config.chatRatePerMin, streaming });
  registerConsole(app, ctx);

  await registerWebApp(app, config.webDir ? resolve(config.webDir) : join(packageRoot, 'dist', 'web'));
  ctx.routes = routes;

  app.addHook('onClose', () => core.close());

  return { app, ctx };
}

// One pool for the process: Fastify asks for a validator compiler again for every route added after
// a shared schema, and the pool hands back the same two Ajv instances instead of building two more
// (each compiles JSON Schema's meta-schema: 200 routes × 2 of those were most of a start-up).
const ajvPool = AjvCompiler();

/**
 * Query strings and path params arrive as text and are coerced to the schema's types; JSON bodies
 * are not, so `{"username": 12345}` is a 400 rather than silently becoming "12345".
 */
function buildValidators(externalSchemas: unknown, options: { customOptions?: object }) {
  const base = { ...options.customOptions, removeAdditional: false, useDefaults: true, allErrors: false };
  const strict = ajvPool(externalSchemas as never, { ...options, customOptions: { ...base, coerceTypes: false } } as never);
  const coercing = ajvPool(externalSchemas as never, { ...options, customOptions: { ...base, coerceTypes: 'array' } } as never);
  return (route: { httpPart?: string }) => (route.httpPart === 'body' ? strict : coercing)(route as never);
}

/**
 * Response serializers, compiled on a route's first response rather than at start-up (~150 routes'
 * fast-json-stringify builds were a second at every start, and every test file starts the app).
 * Validators stay compiled up front: a bad request schema must stop the start, not a request.
 */
function buildSerializers(externalSchemas: unknown, options: unknown) {
  const selector = SerializerSelector()(externalSchemas as never, options as never);
  return (route: unknown) => {
    let compiled: ((data: unknown) => string) | undefined;
    return (data: unknown) => (compiled ??= selector(route as never) as (data: unknown) => string)(data);
  };
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
  metrics.gauge('db_replica_usable', 'Whether reads may go to the replica now (1 fresh, 0 down or behind, absent without DATABASE_READ_URL)', [], function () {
    const { replica } = database.readStats();
    if (replica !== 'none') this.set(replica === 'usable' ? 1 : 0);
  });
  metrics.gauge('db_read_connections', 'Connections taken for lag-tolerant reads since start, by where they went', ['target'], function () {
    const { routed } = database.readStats();
    for (const target of ['primary', 'replica'] as const) this.set({ target }, routed[target]);
  });
}

/** The headers a middleware sets when it never looks at the request (helmet with a static policy). */
function headersOf(middleware: (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void): [string, string][] {
  const headers = new Map<string, string>();
  const res = { setHeader: (name: string, value: unknown) => headers.set(name, String(value)), removeHeader: (name: string) => headers.delete(name) };
  let finished = false;
  middleware({} as IncomingMessage, res as unknown as ServerResponse, (err) => {
    if (err) throw err;
    finished = true;
  });
  if (!finished) throw new Error('the security-header middleware did not finish synchronously');
  return [...headers];
}
