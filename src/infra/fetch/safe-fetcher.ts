/**
 * The one HTTP client for encyclopedia sources (Baike, Wikipedia).
 *
 * Why it exists (spec characters.md §10.1, §10.7, §10.12): the original fetched any URL a client sent,
 * followed redirects anywhere, had no size limit and treated anti-bot pages as content. Here:
 * - only the configured origins are reached; anything else is refused before a socket is opened;
 *   a public host name that resolves to a private address is refused at connect time;
 * - redirects are followed by hand, and only while they stay on an allowed origin;
 * - connect timeout plus one deadline for the whole call (attempts and backoff included);
 * - the body is streamed (and decompressed) with a byte limit, reading stops past it;
 * - 5xx, 429 and connection errors are retried with exponential backoff and full jitter;
 * - 403, 429 after retries and verification pages (per-request markers) become `source_blocked`.
 *
 * Error codes: `source_blocked:host_not_allowed | private_address | forbidden | rate_limited | captcha`,
 * `source_unavailable:unreachable` (DNS, refused, reset, timeout), `source_unavailable:upstream` (5xx after
 * retries, other unexpected statuses), `source_unavailable:too_large`. A caller's abort is rethrown as is.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Readable } from 'node:stream';
import { Agent, request } from 'undici';
import { AppError, isAppError } from '../../errors.js';
import type { Metrics } from '../metrics.js';
import { LATENCY_BUCKETS } from '../metrics.js';
import { isLocalHostName, isPrivateAddress, originOf } from './address.js';

/** Chrome on Windows, as Baike serves its full page to browsers (spec §3.2). */
export const BROWSER_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

/**
 * Wikimedia's User-Agent policy asks API clients for a name and a way to reach the operator
 * (https://meta.wikimedia.org/wiki/User-Agent_policy); the original's placeholder risked a block (§10.7).
 */
export function apiUserAgent(contact: string): string {
  return `FastNPC/0.1 (${contact}) undici/7`;
}

export type LookupFn = (
  hostname: string,
  options: { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

export interface SafeFetcherOptions {
  /** Base URLs whose origins may be reached (e.g. https://baike.baidu.com). */
  allowedBaseUrls: string[];
  /** Deadline for one `get` call, attempts and backoff included. */
  timeoutMs: number;
  /** Largest (decompressed) body read. */
  maxBytes: number;
  connectTimeoutMs?: number;
  /** Retries after the first attempt on 5xx, 429 and connection errors. Default 2. */
  retries?: number;
  /** Base of the exponential backoff. Default 250 ms. */
  backoffMs?: number;
  maxRedirects?: number;
  metrics?: Metrics;
  /** DNS lookup, replaceable in tests. */
  lookup?: LookupFn;
}

export interface GetOptions {
  /** Label for metrics and messages, e.g. `baike`. */
  source: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Body substrings (case-insensitive) that mean "verification page"; checked on 200 answers. */
  blockedMarkers?: string[];
  /** Redirect targets on other hosts that mean "verification page" (e.g. wappass.baidu.com). */
  blockedRedirectHosts?: string[];
}

export interface FetchedPage {
  /** URL after redirects. */
  url: string;
  status: number;
  contentType: string;
  body: string;
}

export interface SafeFetcher {
  /**
   * GETs an URL on an allowed origin. Resolves for 2xx and for 404/410 (the caller decides what
   * "not found" means); throws AppError for everything else.
   */
  get(url: string, options: GetOptions): Promise<FetchedPage>;
  /** Whether the URL is on an allowed origin (no network). */
  isAllowed(url: string): boolean;
  close(): Promise<void>;
}

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);

class RetryableFailure extends Error {
  constructor(readonly final: AppError, readonly retryAfterMs?: number) {
    super(final.message);
  }
}

export function createSafeFetcher(options: SafeFetcherOptions): SafeFetcher {
  const allowed = new Set<string>();
  const localHosts = new Set<string>();
  for (const base of options.allowedBaseUrls) {
    const u = new URL(base);
    allowed.add(originOf(u));
    if (isLocalHostName(u.hostname)) localHosts.add(u.hostname.toLowerCase());
  }
  const retries = options.retries ?? 2;
  const backoffMs = options.backoffMs ?? 250;
  const maxRedirects = options.maxRedirects ?? 5;
  const connectTimeoutMs = Math.min(options.connectTimeoutMs ?? 6000, options.timeoutMs);
  const resolver = options.lookup ?? (dnsLookup as unknown as LookupFn);

  // A host name on the allow-list could still be pointed at an internal address (DNS rebinding):
  // check what it resolves to, unless the configured host is itself local.
  const guardedLookup = (hostname: string, opts: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    resolver(hostname, { all: true }, (err, addresses) => {
      if (err) return callback(err);
      if (!localHosts.has(hostname.toLowerCase()) && addresses.some((a) => isPrivateAddress(a.address))) {
        const e = Object.assign(new Error(`${hostname} resolves to a private address`), { code: 'EPRIVATEADDR' });
        return callback(e);
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
      if (opts.all) return callback(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };

  const agent = new Agent({
    connect: { timeout: connectTimeoutMs, lookup: guardedLookup as never },
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 120_000,
    connections: 16,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
  });

  const requests = options.metrics?.counter('fastnpc_source_requests_total', 'Encyclopedia HTTP requests by outcome', ['source', 'outcome']);
  const duration = options.metrics?.histogram('fastnpc_source_request_seconds', 'Encyclopedia GET calls, retries included', ['source'], LATENCY_BUCKETS);

  function isAllowed(raw: string | URL): boolean {
    let u: URL;
    try {
      u = typeof raw === 'string' ? new URL(raw) : raw;
    } catch {
      return false;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    if (u.username || u.password) return false;
    return allowed.has(originOf(u));
  }

  async function readBody(body: Readable, encoding: string | undefined, limit: number): Promise<string> {
    let stream: Readable = body;
    const enc = (encoding ?? '').trim().toLowerCase();
    if (enc === 'gzip' || enc === 'x-gzip') stream = body.pipe(createGunzip());
    else if (enc === 'br') stream = body.pipe(createBrotliDecompress());
    else if (enc === 'deflate') stream = body.pipe(createInflate());
    if (stream !== body) body.on('error', (err) => stream.destroy(err));
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of stream) {
        const buf = chunk as Buffer;
        size += buf.length;
        if (size > limit) {
          throw new AppError('source_unavailable:too_large', `the source page is larger than ${limit} bytes`);
        }
        chunks.push(buf);
      }
    } finally {
      if (size > limit) {
        stream.destroy();
        body.destroy();
      }
    }
    return new TextDecoder('utf-8').decode(Buffer.concat(chunks));
  }

  /** One attempt: follows redirects by hand; throws RetryableFailure or AppError. */
  async function attempt(url: URL, opts: GetOptions, signal: AbortSignal): Promise<FetchedPage> {
    let current = url;
    for (let hop = 0; ; hop++) {
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(current, {
          method: 'GET',
          dispatcher: agent,
          signal,
          headers: {
            'accept-encoding': 'gzip, deflate, br',
            ...opts.headers,
          },
        });
      } catch (err) {
        if ((err as { code?: string }).code === 'EPRIVATEADDR' || (err as { cause?: { code?: string } }).cause?.code === 'EPRIVATEADDR') {
          throw new AppError('source_blocked:private_address', `${current.hostname} resolves to a private address`);
        }
        throw err;
      }
      const status = res.statusCode;
      const header = (name: string) => {
        const v = res.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };

      if (status >= 300 && status < 400 && header('location')) {
        res.body.resume();
        const next = new URL(header('location')!, current);
        if (opts.blockedRedirectHosts?.some((h) => next.hostname.toLowerCase() === h || next.hostname.toLowerCase().endsWith(`.${h}`))) {
          throw new AppError('source_blocked:captcha', `${opts.source} asked for a human verification`);
        }
        if (!isAllowed(next)) {
          throw new AppError('source_blocked:host_not_allowed', `${opts.source} redirected to a host that is not allowed`);
        }
        if (hop >= maxRedirects) throw new AppError('source_unavailable:upstream', `${opts.source} redirected too many times`);
        current = next;
        continue;
      }
      if (status === 403) {
        res.body.resume();
        throw new AppError('source_blocked:forbidden', `${opts.source} refused the request (403)`);
      }
      if (RETRYABLE_STATUS.has(status)) {
        res.body.resume();
        const final =
          status === 429
            ? new AppError('source_blocked:rate_limited', `${opts.source} keeps answering 429 Too Many Requests`)
            : new AppError('source_unavailable:upstream', `${opts.source} answered ${status}`);
        const ra = Number(header('retry-after'));
        throw new RetryableFailure(final, Number.isFinite(ra) && ra >= 0 ? ra * 1000 : undefined);
      }
      if (!(status >= 200 && status < 300) && status !== 404 && status !== 410) {
        res.body.resume();
        throw new AppError('source_unavailable:upstream', `${opts.source} answered ${status}`);
      }
      const body = await readBody(res.body as unknown as Readable, header('content-encoding'), options.maxBytes);
      if (status === 200 && opts.blockedMarkers?.length) {
        const head = body.slice(0, 20_000).toLowerCase();
        if (opts.blockedMarkers.some((m) => head.includes(m.toLowerCase()))) {
          throw new AppError('source_blocked:captcha', `${opts.source} answered with a verification page`);
        }
      }
      return { url: current.toString(), status, contentType: header('content-type') ?? '', body };
    }
  }

  async function get(rawUrl: string, opts: GetOptions): Promise<FetchedPage> {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw new AppError('source_blocked:host_not_allowed', 'not a URL');
    }
    if (!isAllowed(url)) {
      requests?.inc({ source: opts.source, outcome: 'refused' });
      throw new AppError('source_blocked:host_not_allowed', `${url.host} is not an allowed source host`);
    }
    const started = performance.now();
    const deadline = AbortSignal.timeout(options.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
    try {
      const page = await withRetries(url, opts, signal, deadline);
      requests?.inc({ source: opts.source, outcome: String(page.status) });
      return page;
    } catch (err) {
      requests?.inc({ source: opts.source, outcome: isAppError(err) ? err.code : 'aborted' });
      throw err;
    } finally {
      duration?.observe({ source: opts.source }, (performance.now() - started) / 1000);
    }
  }

  async function withRetries(url: URL, opts: GetOptions, signal: AbortSignal, deadline: AbortSignal): Promise<FetchedPage> {
    const timedOut = () => new AppError('source_unavailable:unreachable', `${opts.source} did not answer within ${options.timeoutMs} ms`);
    let lastFailure: AppError = new AppError('source_unavailable:unreachable', `${opts.source} is unreachable`);
    for (let i = 0; i <= retries; i++) {
      let waitMs: number | undefined;
      try {
        return await attempt(url, opts, signal);
      } catch (err) {
        if (opts.signal?.aborted) throw opts.signal.reason ?? err;
        if (err instanceof RetryableFailure) {
          lastFailure = err.final;
          waitMs = backoff(i, err.retryAfterMs);
        } else if (isAppError(err)) {
          throw err;
        } else if (deadline.aborted) {
          throw timedOut();
        } else {
          lastFailure = new AppError('source_unavailable:unreachable', `${opts.source} is unreachable`, { cause: err });
          waitMs = backoff(i);
        }
      }
      if (i < retries) {
        try {
          await sleep(waitMs, signal);
        } catch (err) {
          if (opts.signal?.aborted) throw opts.signal.reason ?? err;
          // The deadline fell during backoff: report what the site last did.
          throw lastFailure.code === 'source_unavailable:unreachable' ? timedOut() : lastFailure;
        }
      }
    }
    throw lastFailure;
  }

  function backoff(attemptIndex: number, retryAfterMs?: number): number {
    const cap = backoffMs * 2 ** attemptIndex;
    const jittered = Math.random() * cap;
    return Math.min(Math.max(jittered, retryAfterMs ?? 0), 5_000);
  }

  return {
    get,
    isAllowed: (u) => isAllowed(u),
    close: () => agent.close(),
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
