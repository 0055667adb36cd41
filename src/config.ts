/**
 * Every setting FastNPC reads, in one place. Nothing else reads `process.env`.
 *
 * Each entry names its variable, default and meaning; `loadConfig` validates all of them and
 * stops start-up with one error listing every bad variable. The README's table of environment
 * variables is checked against `configVariables()` by a test, so the two cannot drift apart.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { resolve, join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';

type Env = Record<string, string | undefined>;

interface Setting<T> {
  env: string;
  /** Shown in the README; `undefined` means "unset". */
  defaultText: string;
  description: string;
  parse(raw: string | undefined, env: Env): T;
}

class InvalidSetting extends Error {}

function str(env: string, def: string, description: string): Setting<string> {
  return { env, defaultText: def === '' ? '(unset)' : def, description, parse: (raw) => (raw === undefined || raw === '' ? def : raw) };
}

function optStr(env: string, description: string): Setting<string | undefined> {
  return { env, defaultText: '(unset)', description, parse: (raw) => (raw === undefined || raw.trim() === '' ? undefined : raw.trim()) };
}

function int(env: string, def: number, min: number, max: number, description: string): Setting<number> {
  return {
    env,
    defaultText: String(def),
    description: `${description} (${min}–${max})`,
    parse(raw) {
      if (raw === undefined || raw.trim() === '') return def;
      const n = Number(raw);
      if (!Number.isInteger(n) || n < min || n > max) throw new InvalidSetting(`must be an integer from ${min} to ${max}, got "${raw}"`);
      return n;
    },
  };
}

function optInt(env: string, min: number, max: number, description: string): Setting<number | undefined> {
  const base = int(env, 0, min, max, description);
  return { ...base, defaultText: '(auto)', parse: (raw, e) => (raw === undefined || raw.trim() === '' ? undefined : base.parse(raw, e)) };
}

function bool(env: string, def: boolean, description: string): Setting<boolean> {
  return {
    env,
    defaultText: String(def),
    description,
    parse(raw) {
      if (raw === undefined || raw.trim() === '') return def;
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw new InvalidSetting(`must be true or false, got "${raw}"`);
    },
  };
}

function oneOf<T extends string>(env: string, def: T, values: readonly T[], description: string): Setting<T> {
  return {
    env,
    defaultText: def,
    description: `${description} (${values.join(' | ')})`,
    parse(raw) {
      if (raw === undefined || raw.trim() === '') return def;
      const v = raw.trim() as T;
      if (!values.includes(v)) throw new InvalidSetting(`must be one of ${values.join(', ')}, got "${raw}"`);
      return v;
    },
  };
}

function url(env: string, def: string | undefined, protocols: string[], description: string): Setting<string | undefined> {
  return {
    env,
    defaultText: def ?? '(unset)',
    description,
    parse(raw) {
      const v = raw === undefined || raw.trim() === '' ? def : raw.trim();
      if (v === undefined) return undefined;
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        throw new InvalidSetting(`must be a URL, got "${redactUrl(v)}"`);
      }
      if (!protocols.includes(u.protocol)) throw new InvalidSetting(`must use ${protocols.join(' or ')}, got "${u.protocol}"`);
      return v.replace(/\/+$/, '');
    },
  };
}

function list(env: string, description: string): Setting<string[]> {
  return {
    env,
    defaultText: '(empty)',
    description,
    parse: (raw) => (raw ?? '').split(',').map((s) => s.trim()).filter(Boolean),
  };
}

/** Addresses or CIDR ranges (or proxy-addr's names loopback, linklocal, uniquelocal) of trusted proxies. */
function proxyList(env: string, description: string): Setting<string[]> {
  const base = list(env, description);
  return {
    ...base,
    parse(raw, e) {
      const items = base.parse(raw, e);
      for (const item of items) {
        const [addr, bits, extra] = item.split('/');
        const family = isIP(addr);
        const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
        if (!(['loopback', 'linklocal', 'uniquelocal'].includes(item) || (family && bitsOk && extra === undefined))) throw new InvalidSetting(`must list IP addresses or CIDR ranges, got "${item}"`);
      }
      return items;
    },
  };
}

/** Hides the password in a connection URL so it can be shown in an error or a log. */
export function redactUrl(value: string): string {
  try {
    const u = new URL(value);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return value.replace(/\/\/[^@/]*@/, '//***@');
  }
}

const settings = {
  // Server
  host: str('FASTNPC_HOST', '127.0.0.1', 'Address the HTTP server listens on (0.0.0.0 for all interfaces)'),
  port: int('FASTNPC_PORT', 8000, 0, 65535, 'HTTP port'),
  dataDir: str('FASTNPC_DATA_DIR', './data', 'Folder for the SQLite database, avatars and the generated secret'),
  logLevel: oneOf('FASTNPC_LOG_LEVEL', 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'Log level'),
  bodyLimitBytes: int('FASTNPC_BODY_LIMIT_BYTES', 1_048_576, 1024, 50_000_000, 'Largest JSON request body accepted'),
  corsOrigins: list('FASTNPC_CORS_ORIGINS', 'Comma-separated origins allowed by CORS; empty turns CORS off'),
  workers: optInt('FASTNPC_WORKERS', 0, 64, 'HTTP worker processes for `serve` (0 = one per CPU core); default 1, or one per core when REDIS_URL is set'),
  runJobs: bool('FASTNPC_RUN_JOBS', true, 'Whether `serve` also runs background jobs (set false when separate `fastnpc worker` processes run them)'),
  shutdownGraceMs: int('FASTNPC_SHUTDOWN_GRACE_MS', 20_000, 0, 600_000, 'On SIGTERM, how long open streams may finish before the process closes'),
  webDir: optStr('FASTNPC_WEB_DIR', 'Folder of the built web app (default: dist/web in the package)'),
  trustProxy: proxyList('FASTNPC_TRUST_PROXY', 'Comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For/-Proto are believed (e.g. the nginx address); empty trusts none'),

  // Storage
  databaseUrl: url('DATABASE_URL', undefined, ['postgres:', 'postgresql:'], 'PostgreSQL URL; unset uses SQLite at <data dir>/fastnpc.db'),
  databaseReadUrl: url('DATABASE_READ_URL', undefined, ['postgres:', 'postgresql:'], 'PostgreSQL streaming replica for reads that tolerate lag (message pages, admin reports); unset reads from DATABASE_URL'),
  dbPoolMax: int('FASTNPC_DB_POOL_MAX', 20, 1, 1000, 'PostgreSQL pool size per process'),
  dbAcquireTimeoutMs: int('FASTNPC_DB_ACQUIRE_TIMEOUT_MS', 5000, 100, 60_000, 'Longest wait for a pooled connection before 503 db_busy'),
  redisPrefix: str('FASTNPC_REDIS_PREFIX', 'fastnpc', 'Namespace of every Redis key, channel and queue (lets deployments or test runs share one Redis)'),
  redisUrl: url('REDIS_URL', undefined, ['redis:', 'rediss:'], 'Redis URL; set it to share cache, rate limits and jobs between processes'),

  // Accounts and security
  secret: optStr('FASTNPC_SECRET', 'Server secret (≥ 32 characters); generated into <data dir>/secret when unset'),
  adminUser: optStr('FASTNPC_ADMIN_USER', 'Username that becomes admin on registration (otherwise the first user is admin)'),
  cookieSecure: bool('FASTNPC_COOKIE_SECURE', false, 'Mark the session cookie Secure (set true behind HTTPS)'),
  sessionTtlDays: int('FASTNPC_SESSION_TTL_DAYS', 30, 1, 365, 'Sliding session lifetime in days'),
  authRatePerMin: int('FASTNPC_AUTH_RATE_PER_MIN', 10, 0, 100_000, 'Register/login attempts per IP per minute (0 = unlimited)'),
  chatRatePerMin: int('FASTNPC_CHAT_RATE_PER_MIN', 30, 0, 100_000, 'Chat turns per user per minute (0 = unlimited)'),
  streamFrameMs: int('FASTNPC_STREAM_FRAME_MS', 100, 0, 1000, "Streamed replies: tokens after the first go out in frames of this many ms, and the model's stream is read at that pace (also for replies answered as one JSON body; 0 = each token as it comes: least delay, most CPU)"),
  apiRatePerMin: int('FASTNPC_API_RATE_PER_MIN', 60, 0, 100_000, 'Requests per API key per minute on the OpenAI-compatible /v1 routes, unless the key sets its own (0 = unlimited)'),
  creationRatePerMin: int('FASTNPC_CREATION_RATE_PER_MIN', 10, 0, 100_000, 'Character creations per user per minute (0 = unlimited)'),

  // LLM
  llmProvider: oneOf('FASTNPC_LLM_PROVIDER', 'auto', ['auto', 'offline', 'openai-compatible'] as const, 'auto picks openai-compatible when a key or base URL is set, else the built-in offline model'),
  openrouterApiKey: optStr('OPENROUTER_API_KEY', 'OpenRouter key; selects https://openrouter.ai/api/v1 unless FASTNPC_LLM_BASE_URL is set'),
  llmBaseUrl: url('FASTNPC_LLM_BASE_URL', undefined, ['http:', 'https:'], 'Any OpenAI-compatible endpoint (OpenAI, DeepSeek, GLM, Qwen, Ollama, vLLM, llama.cpp)'),
  llmApiKey: optStr('FASTNPC_LLM_API_KEY', 'Key for FASTNPC_LLM_BASE_URL'),
  llmModel: str('FASTNPC_LLM_MODEL', 'z-ai/glm-4-32b', 'Default model'),
  llmModelChat: optStr('FASTNPC_LLM_MODEL_CHAT', 'Model for chat replies (a user\'s chosen model wins)'),
  llmModelStructure: optStr('FASTNPC_LLM_MODEL_STRUCTURE', 'Model for profile structuring'),
  llmModelMemory: optStr('FASTNPC_LLM_MODEL_MEMORY', 'Model for memory summaries'),
  llmModelModerator: optStr('FASTNPC_LLM_MODEL_MODERATOR', 'Model for the group-chat moderator'),
  llmModels: list('FASTNPC_LLM_MODELS', 'Models users may choose in settings (default: FASTNPC_LLM_MODEL only)'),
  llmConcurrency: int('FASTNPC_LLM_CONCURRENCY', 256, 1, 100_000, 'LLM calls in flight per process'),
  llmQueueMax: int('FASTNPC_LLM_QUEUE_MAX', 1024, 0, 1_000_000, 'LLM calls allowed to wait for a slot; past it 503 llm_busy'),
  llmQueueWaitMs: int('FASTNPC_LLM_QUEUE_WAIT_MS', 10_000, 0, 600_000, 'Longest wait for an LLM slot'),
  llmConnectTimeoutMs: int('FASTNPC_LLM_CONNECT_TIMEOUT_MS', 10_000, 100, 600_000, 'LLM connect timeout'),
  llmFirstTokenTimeoutMs: int('FASTNPC_LLM_FIRST_TOKEN_TIMEOUT_MS', 30_000, 100, 600_000, 'Longest wait for the first token'),
  llmIdleTimeoutMs: int('FASTNPC_LLM_IDLE_TIMEOUT_MS', 30_000, 100, 600_000, 'Longest silence between tokens'),
  llmTotalTimeoutMs: int('FASTNPC_LLM_TOTAL_TIMEOUT_MS', 300_000, 1000, 3_600_000, 'Longest whole LLM call'),
  llmMaxRetries: int('FASTNPC_LLM_MAX_RETRIES', 3, 0, 10, 'Retries before the first token on 429, 5xx and connection errors'),
  llmBreakerFailurePercent: int('FASTNPC_LLM_BREAKER_FAILURE_PERCENT', 50, 1, 100, 'Share of failed LLM attempts (before the first token) over the window that opens the circuit breaker'),
  llmBreakerWindowMs: int('FASTNPC_LLM_BREAKER_WINDOW_MS', 10_000, 1000, 600_000, 'The circuit breaker\'s sampling window'),
  llmBreakerMinCalls: int('FASTNPC_LLM_BREAKER_MIN_CALLS', 20, 1, 1_000_000, 'Attempts in the window before the breaker may open (no trips at low volume)'),
  turnLeaseMs: int('FASTNPC_TURN_LEASE_MS', 10_000, 1000, 600_000, 'A turn\'s hold on its conversation, renewed while it streams; a dead holder frees it after this'),
  llmBreakerCooldownMs: int('FASTNPC_LLM_BREAKER_COOLDOWN_MS', 30_000, 100, 3_600_000, 'How long an open breaker fails fast before a probe'),
  llmCacheTtlS: int('FASTNPC_LLM_CACHE_TTL_S', 3600, 0, 30 * 86_400, 'TTL of cached temperature-0 JSON answers (0 = off)'),

  // Sources
  baikeBaseUrl: url('FASTNPC_BAIKE_BASE_URL', 'https://baike.baidu.com', ['http:', 'https:'], 'Baidu Baike base URL (tests point it at a fixture server)'),
  zhwikiBaseUrl: url('FASTNPC_ZHWIKI_BASE_URL', 'https://zh.wikipedia.org', ['http:', 'https:'], 'Chinese Wikipedia base URL'),
  fetchTimeoutMs: int('FASTNPC_FETCH_TIMEOUT_MS', 15_000, 100, 120_000, 'Total timeout of one encyclopedia request'),
  fetchMaxBytes: int('FASTNPC_FETCH_MAX_BYTES', 5_000_000, 1024, 100_000_000, 'Largest encyclopedia response read'),
  sourceContact: optStr('FASTNPC_SOURCE_CONTACT', 'Operator contact (URL or e-mail) sent in the Wikipedia User-Agent, as Wikimedia policy asks'),
  bundledSources: oneOf('FASTNPC_BUNDLED_SOURCES', 'fallback', ['fallback', 'first', 'off'] as const, 'Use the bundled offline pages when a site is unreachable, before trying it, or never'),

  // Jobs
  creationConcurrency: int('FASTNPC_CREATION_CONCURRENCY', 4, 1, 1000, 'Creation jobs run at once per process'),
  creationSectionConcurrency: int('FASTNPC_CREATION_SECTION_CONCURRENCY', 9, 1, 9, 'Section LLM calls in parallel within one creation'),
  memoryConcurrency: int('FASTNPC_MEMORY_CONCURRENCY', 8, 1, 1000, 'Memory jobs run at once per process'),

  // Operations
  metricsPublic: bool('FASTNPC_METRICS_PUBLIC', false, 'Serve /metrics to anyone; otherwise only to loopback callers and FASTNPC_METRICS_TOKEN holders'),
  metricsToken: optStr('FASTNPC_METRICS_TOKEN', 'Bearer token that lets a remote Prometheus read /metrics (Authorization: Bearer …)'),
};

export type Config = { [K in keyof typeof settings]: ReturnType<(typeof settings)[K]['parse']> } & {
  /** Resolved absolute data folder. */
  dataDirAbs: string;
  /** FASTNPC_SECRET, or the one generated into the data folder. */
  secretValue: string;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Variables for documentation: name, default, meaning. */
export function configVariables(): { env: string; default: string; description: string }[] {
  return Object.values(settings).map((s) => ({ env: s.env, default: s.defaultText, description: s.description }));
}

/** Reads `.env` from the working directory (real environment variables win). */
export function readDotenv(cwd = process.cwd()): Env {
  const file = join(cwd, '.env');
  return existsSync(file) ? parseDotenv(readFileSync(file)) : {};
}

/**
 * Validates every setting and returns a typed config. `env` defaults to the process environment
 * over `.env`; tests pass their own object. Throws ConfigError naming every bad variable.
 */
export function loadConfig(env: Env = { ...readDotenv(), ...process.env }, options: { ensureSecret?: boolean } = {}): Config {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings) as [string, Setting<unknown>][]) {
    try {
      out[key] = setting.parse(env[setting.env], env);
    } catch (err) {
      problems.push(`${setting.env} ${(err as Error).message}`);
    }
  }
  const secret = out.secret as string | undefined;
  // Several processes must share cache invalidation, leases and jobs: that needs Redis.
  const workers = out.workers as number | undefined;
  if (workers !== undefined && workers !== 1 && !out.redisUrl && !problems.length) problems.push('FASTNPC_WORKERS other than 1 needs REDIS_URL (processes must share cache, locks and jobs)');
  if (out.databaseReadUrl && !out.databaseUrl && !problems.length) problems.push('DATABASE_READ_URL needs DATABASE_URL (the replica reads from a PostgreSQL primary)');
  // Between frames the model's stream is not read: a silence limit near the frame would fire on healthy streams.
  if ((out.streamFrameMs as number) * 2 > (out.llmIdleTimeoutMs as number) && !problems.length) problems.push('FASTNPC_STREAM_FRAME_MS must be at most half of FASTNPC_LLM_IDLE_TIMEOUT_MS (the stream is read once per frame)');
  if (secret !== undefined && secret.length < 32) problems.push('FASTNPC_SECRET must be at least 32 characters');
  if (problems.length) throw new ConfigError(problems);

  const config = out as Config;
  config.dataDirAbs = resolve(config.dataDir);
  config.secretValue = secret ?? (options.ensureSecret === false ? 'test-secret-not-for-production-use-0000' : ensureSecretFile(config.dataDirAbs));
  return config;
}

/** Keeps a generated secret in the data folder so sessions survive restarts. */
function ensureSecretFile(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = randomBytes(32).toString('base64url');
  writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
  return value;
}
