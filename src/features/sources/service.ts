/**
 * Sources: the one entry point the creation job and the HTTP routes use to turn a name (or pasted
 * text) into a normalised page and then Markdown.
 *
 * Failure codes (never an invented page, spec characters.md §10.8):
 * - `ambiguous` (409) — several same-name pages; `details.candidates` lists them; call again with a candidateId;
 * - `not_found:source_page` (404) — no page of that name;
 * - `not_found:source_content` (404) — the page exists but has no real text;
 * - `source_blocked:*` (502) — 403, 429 after retries, a verification page, a host outside the allow-list;
 * - `source_unavailable:*` (502) — unreachable, 5xx after retries, or a response over the size limit;
 * - `bad_request:candidate_id` (400) — a candidate id not of the server's formats;
 * - `bad_request:name` (400), `payload_too_large` (413) — bad text input.
 *
 * Site failures (`source_unavailable:unreachable|upstream`, `source_blocked:*`) carry `details.bundledNames`:
 * the names that still work without the site (empty when bundled pages are off).
 *
 * Bundled pages (FASTNPC_BUNDLED_SOURCES): `first` answers from them when the name matches; `fallback`
 * only when the site is unavailable (`source_unavailable:unreachable` or `:upstream`), never when the
 * site says "not found"; `off` never. A bundled candidate has the id `bundled:<slug>`.
 */
import type { Config } from '../../config.js';
import { AppError, isAppError } from '../../errors.js';
import type { Metrics } from '../../infra/metrics.js';
import { apiUserAgent, createSafeFetcher, type SafeFetcher } from '../../infra/fetch/safe-fetcher.js';
import { createBaikeClient } from './baike.js';
import { createZhwikiClient } from './zhwiki.js';
import { pageFromText } from './text.js';
import { DEFAULT_MARKDOWN_MAX_CHARS, pageToMarkdown } from './markdown.js';
import { BUNDLED_ENTRIES, bundledCandidate, bundledPage, findBundled, findBundledById, BUNDLED_ID_PREFIX } from './bundled/index.js';
import { textLength } from './text-utils.js';
import type { Candidate, LiveSource, SourcePage } from './types.js';

export type { Candidate, SourcePage, LiveSource } from './types.js';

/** Fewer characters of real text than this is an empty page. */
export const MIN_PAGE_CHARS = 30;
export const MAX_NAME_CHARS = 64;

/** Identifies us to Wikimedia (User-Agent policy); override with deps.contact. */
export const DEFAULT_CONTACT = 'https://github.com/fastnpc/fastnpc; self-hosted FastNPC instance';

export type SourceConfig = Pick<Config, 'baikeBaseUrl' | 'zhwikiBaseUrl' | 'fetchTimeoutMs' | 'fetchMaxBytes' | 'bundledSources'>;

export interface SourceServiceDeps {
  metrics?: Metrics;
  /** Contact put in the Wikipedia User-Agent (URL or e-mail of the operator). */
  contact?: string;
  /** Retries of the fetcher (default 2) and its backoff base (default 250 ms). */
  retries?: number;
  backoffMs?: number;
  fetcher?: SafeFetcher;
}

export interface SourceService {
  candidates(source: LiveSource, name: string, signal?: AbortSignal): Promise<Candidate[]>;
  fetchPage(source: LiveSource, input: { name: string; candidateId?: string }, signal?: AbortSignal): Promise<SourcePage>;
  fromText(name: string, text: string): SourcePage;
  toMarkdown(page: SourcePage, maxChars?: number): string;
  close(): Promise<void>;
}

function checkName(name: string): string {
  const n = name.replace(/\s+/g, ' ').trim();
  if (!n) throw new AppError('bad_request:name', '名字不能为空');
  if ([...n].length > MAX_NAME_CHARS) throw new AppError('bad_request:name', `名字不能超过 ${MAX_NAME_CHARS} 个字`);
  return n;
}

function isSiteDown(err: unknown): boolean {
  return isAppError(err, 'source_unavailable') && (err.code === 'source_unavailable:unreachable' || err.code === 'source_unavailable:upstream');
}

const SITE_NAMES: Record<LiveSource, string> = { baike: 'Baidu Baike', zhwiki: 'Chinese Wikipedia' };

/**
 * The site could not be reached or refused us: say so plainly and list the names that still work
 * offline (`bundledNames`), so a client can offer them and the pasted-text source instead.
 */
function siteFailure(err: unknown, source: LiveSource, bundledNames: string[]): unknown {
  if (!isAppError(err) || (err.kind !== 'source_unavailable' && err.kind !== 'source_blocked') || err.code === 'source_unavailable:too_large') return err;
  const site = SITE_NAMES[source];
  const offline = bundledNames.length ? ` Names that work offline: ${bundledNames.join(', ')}.` : '';
  const message =
    err.code === 'source_unavailable:unreachable'
      ? `${site} cannot be reached from this server (no network, DNS failure, connection refused or timed out). Paste the page text instead.${offline}`
      : err.kind === 'source_blocked'
        ? `${site} refused the request from this server (${err.message}). Try again later or paste the page text instead.${offline}`
        : `${site} is not answering properly right now (${err.message}). Try again later or paste the page text instead.${offline}`;
  return new AppError(err.code, message, { cause: err, retryAfter: err.retryAfter, details: { ...err.details, bundledNames } });
}

export function createSourceService(config: SourceConfig, deps: SourceServiceDeps = {}): SourceService {
  const baseUrls = [config.baikeBaseUrl, config.zhwikiBaseUrl].filter((u): u is string => !!u);
  const fetcher =
    deps.fetcher ??
    createSafeFetcher({
      allowedBaseUrls: baseUrls,
      timeoutMs: config.fetchTimeoutMs,
      maxBytes: config.fetchMaxBytes,
      retries: deps.retries,
      backoffMs: deps.backoffMs,
      metrics: deps.metrics,
    });
  const clients = {
    baike: config.baikeBaseUrl ? createBaikeClient(fetcher, config.baikeBaseUrl) : undefined,
    zhwiki: config.zhwikiBaseUrl ? createZhwikiClient(fetcher, config.zhwikiBaseUrl, apiUserAgent(deps.contact ?? DEFAULT_CONTACT)) : undefined,
  };
  const bundledUse = deps.metrics?.counter('fastnpc_source_bundled_total', 'Pages answered from the bundled offline set', ['source', 'reason']);
  const mode = config.bundledSources;
  const bundledNames = mode === 'off' ? [] : BUNDLED_ENTRIES.map((e) => e.title);

  function client(source: LiveSource) {
    const c = clients[source];
    if (!c) throw new AppError('bad_request:source', `unknown source ${String(source)}`);
    return c;
  }

  function checked(page: SourcePage): SourcePage {
    if (textLength(page) < MIN_PAGE_CHARS) throw new AppError('not_found:source_content', `「${page.title}」页面没有可用的正文`);
    return page;
  }

  return {
    async candidates(source, rawName, signal) {
      const name = checkName(rawName);
      const c = client(source);
      const entry = mode === 'off' ? undefined : findBundled(name);
      if (entry && mode === 'first') return [bundledCandidate(entry)];
      try {
        return await c.candidates(name, signal);
      } catch (err) {
        if (entry && isSiteDown(err)) {
          bundledUse?.inc({ source, reason: 'fallback' });
          return [bundledCandidate(entry)];
        }
        throw siteFailure(err, source, bundledNames);
      }
    },

    async fetchPage(source, input, signal) {
      const name = checkName(input.name);
      const c = client(source);
      const id = input.candidateId?.trim() || undefined;
      if (id?.startsWith(BUNDLED_ID_PREFIX)) {
        const byId = mode === 'off' ? undefined : findBundledById(id);
        if (!byId) throw new AppError('bad_request:candidate_id', '没有这个候选条目');
        bundledUse?.inc({ source, reason: 'chosen' });
        return bundledPage(byId, source);
      }
      const entry = mode === 'off' || id !== undefined ? undefined : findBundled(name);
      if (entry && mode === 'first') {
        bundledUse?.inc({ source, reason: 'first' });
        return bundledPage(entry, source);
      }
      try {
        return checked(await c.fetchPage(name, id, signal));
      } catch (err) {
        if (entry && isSiteDown(err)) {
          bundledUse?.inc({ source, reason: 'fallback' });
          return bundledPage(entry, source);
        }
        throw siteFailure(err, source, bundledNames);
      }
    },

    fromText(name, text) {
      return pageFromText(checkName(name), text);
    },

    toMarkdown(page, maxChars = DEFAULT_MARKDOWN_MAX_CHARS) {
      return pageToMarkdown(page, maxChars);
    },

    async close() {
      if (!deps.fetcher) await fetcher.close();
    },
  };
}
