/**
 * Chinese Wikipedia through the MediaWiki Action API (`/w/api.php`, formatversion 2).
 *
 * Calls (spec characters.md §3.5, with the faults of §10.13 fixed):
 * - look-up: `action=query&titles={name}|{name} (消歧义)&redirects=1&converttitles=1&prop=pageprops|description`
 *   — follows redirects (孔明 → 诸葛亮), converts variants, and tells disambiguation pages apart;
 * - disambiguation entries: `action=parse&pageid=…&prop=text`, then one `action=query&titles=A|B|…` for page ids;
 * - search when the title does not exist: `list=search`;
 * - the article: one `action=parse&pageid=…&prop=text|properties&variant=zh-hans`, split into sections
 *   locally by its headings, so nested sections are not repeated and the intro excludes the infobox.
 * A candidate id is a page id; choosing by id (not by list position) fixes the re-applied index of §10.13.
 */
import * as cheerio from 'cheerio';
import type { Element } from 'domhandler';
import { AppError } from '../../errors.js';
import type { SafeFetcher } from '../../infra/fetch/safe-fetcher.js';
import type { Candidate, SourcePage, SourceSection } from './types.js';
import { cleanLabel, cleanText, clip } from './text-utils.js';
import { dropEmptySections } from './baike.js';

export function isPageId(id: string): boolean {
  return /^\d{1,12}$/.test(id);
}

/** Sections that hold references and navigation, not the subject. */
const SKIPPED_SECTIONS = new Set(['参考文献', '参考资料', '参考', '注释', '注解', '脚注', '外部链接', '外部連結', '参见', '參見', '相关条目', '延伸阅读', '来源', '引用']);
const REMOVED = 'sup.reference, sup[role="note"], .mw-editsection, style, script, .noprint, .mw-empty-elt, .mw-cite-backlink, .navbox, .metadata, .hatnote, #toc, .toc';
const DISAMBIG_SUFFIX = ' (消歧义)';

interface QueryPage {
  pageid?: number;
  ns: number;
  title: string;
  missing?: boolean;
  invalid?: boolean;
  description?: string;
  pageprops?: Record<string, string>;
}

interface QueryResult {
  normalized?: { from: string; to: string }[];
  converted?: { from: string; to: string }[];
  redirects?: { from: string; to: string }[];
  pages?: QueryPage[];
  search?: { ns: number; title: string; pageid: number; snippet?: string }[];
}

interface ParseResult {
  title: string;
  pageid: number;
  text?: string;
  properties?: Record<string, string> | { name: string; '*': string }[];
}

function isDisambiguation(p: QueryPage | undefined): boolean {
  return !!p?.pageprops && 'disambiguation' in p.pageprops;
}

function plain(html: string): string {
  return cleanText(cheerio.load(`<div>${html}</div>`)('div').first().text());
}

/** Follows normalized → converted → redirects for one requested title. */
function resolveTitle(q: QueryResult, title: string): string {
  let t = title;
  for (const list of [q.normalized, q.converted, q.redirects]) {
    const hit = list?.find((r) => r.from === t);
    if (hit) t = hit.to;
  }
  return t;
}

export interface ParsedArticle {
  summary: string;
  infobox: [string, string][];
  sections: SourceSection[];
}

/** Turns the parse API's HTML into summary, infobox and sections. */
export function parseWikiHtml(html: string): ParsedArticle {
  const $ = cheerio.load(html);
  const infobox: [string, string][] = [];
  const box = $('table.infobox').first();
  for (const tr of box.find('tr').toArray()) {
    const th = $(tr).children('th').first();
    const td = $(tr).children('td').first();
    if (!th.length || !td.length) continue;
    td.find(REMOVED).remove();
    td.find('br').replaceWith('、');
    const label = cleanLabel(th.text());
    const value = cleanText(td.text()).replace(/、{2,}/g, '、').replace(/^、|、$/g, '');
    if (label && value) infobox.push([label, value]);
  }

  $(REMOVED).remove();
  const root = $('.mw-parser-output').first();
  const children = (root.length ? root : $('body')).children().toArray() as Element[];
  const intro: string[] = [];
  const sections: SourceSection[] = [];
  let current: SourceSection | undefined;
  let skipBelow: number | undefined;

  for (const el of children) {
    const node = $(el);
    const heading = /^h([2-6])$/.exec(el.tagName) ? node : node.is('div.mw-heading') ? node.find('h2, h3, h4, h5, h6').first() : undefined;
    if (heading?.length) {
      const level = Number(heading.prop('tagName')!.slice(1)) - 1;
      const title = cleanText(heading.text());
      if (skipBelow !== undefined && level > skipBelow) continue;
      skipBelow = SKIPPED_SECTIONS.has(title) ? level : undefined;
      if (skipBelow !== undefined) {
        current = undefined;
        continue;
      }
      current = { title, level, paragraphs: [] };
      sections.push(current);
      continue;
    }
    if (skipBelow !== undefined) continue;
    let texts: string[] = [];
    if (el.tagName === 'p' || el.tagName === 'blockquote' || el.tagName === 'dl') texts = [cleanText(node.text())];
    else if (el.tagName === 'ul' || el.tagName === 'ol') texts = node.children('li').toArray().map((li) => cleanText($(li).text()));
    texts = texts.filter(Boolean);
    if (!texts.length) continue;
    if (current) current.paragraphs.push(...texts);
    else intro.push(...texts);
  }
  return { summary: intro.join('\n\n'), infobox, sections: dropEmptySections(sections) };
}

/** Entries of a disambiguation page: linked title and the rest of its line as description. */
export function parseDisambiguationHtml(html: string): { title: string; description: string }[] {
  const $ = cheerio.load(html);
  $(REMOVED).remove();
  const out: { title: string; description: string }[] = [];
  const seen = new Set<string>();
  for (const li of $('.mw-parser-output li, body li').toArray()) {
    const a = $(li).find('a[href^="/wiki/"]').first();
    if (!a.length) continue;
    const title = (a.attr('title') ?? a.text()).trim();
    if (!title || /^[^:]+:/.test(title) || seen.has(title) || title.endsWith(DISAMBIG_SUFFIX)) continue;
    seen.add(title);
    const line = cleanText($(li).text());
    const linkText = cleanText(a.text());
    const description = line.replace(linkText, '').replace(/^[\s，,：:、\-—–]+/, '').trim();
    out.push({ title, description: clip(description, 120) });
    if (out.length >= 50) break;
  }
  return out;
}

export interface ZhwikiClient {
  candidates(name: string, signal?: AbortSignal): Promise<Candidate[]>;
  fetchPage(name: string, candidateId: string | undefined, signal?: AbortSignal): Promise<SourcePage>;
}

export function createZhwikiClient(fetcher: SafeFetcher, baseUrl: string, userAgent: string): ZhwikiClient {
  const base = baseUrl.replace(/\/+$/, '');

  async function api<T>(params: Record<string, string>, signal?: AbortSignal): Promise<T> {
    const qs = new URLSearchParams({ ...params, format: 'json', formatversion: '2' });
    const res = await fetcher.get(`${base}/w/api.php?${qs}`, {
      source: 'zhwiki',
      headers: { 'user-agent': userAgent, accept: 'application/json', 'accept-language': 'zh-CN,zh;q=0.9' },
      signal,
    });
    let json: { error?: { code: string; info?: string } } & T;
    try {
      json = JSON.parse(res.body);
    } catch {
      throw new AppError('source_unavailable:upstream', 'Wikipedia answered something that is not JSON');
    }
    if (json.error) {
      if (['missingtitle', 'nosuchpageid', 'invalidtitle'].includes(json.error.code)) throw new AppError('not_found:source_page', '维基百科没有这个条目');
      throw new AppError('source_unavailable:upstream', `Wikipedia API error: ${json.error.code}`);
    }
    return json;
  }

  function pageUrl(title: string): string {
    return `${base}/wiki/${encodeURIComponent(title.replace(/ /g, '_'))}`;
  }

  async function parse(pageid: string, signal?: AbortSignal): Promise<ParseResult> {
    const res = await api<{ parse: ParseResult }>(
      { action: 'parse', pageid, prop: 'text|properties', redirects: '1', disableeditsection: '1', disabletoc: '1', variant: 'zh-hans' },
      signal,
    );
    return res.parse;
  }

  async function disambiguationCandidates(pageid: number | string, html: string | undefined, signal?: AbortSignal): Promise<Candidate[]> {
    const text = html ?? (await parse(String(pageid), signal)).text ?? '';
    const entries = parseDisambiguationHtml(text);
    if (!entries.length) return [];
    const res = await api<{ query: QueryResult }>(
      { action: 'query', titles: entries.map((e) => e.title).join('|'), redirects: '1', converttitles: '1', prop: 'pageprops|description', ppprop: 'disambiguation' },
      signal,
    );
    const byTitle = new Map((res.query.pages ?? []).map((p) => [p.title, p]));
    const out: Candidate[] = [];
    for (const e of entries) {
      const p = byTitle.get(resolveTitle(res.query, e.title));
      if (!p?.pageid || p.missing || p.ns !== 0 || isDisambiguation(p)) continue;
      out.push({ id: String(p.pageid), title: p.title, description: e.description || p.description || '' });
    }
    return uniqueById(out);
  }

  /** Candidates for a name; `searched` when they are search hits, not pages of that exact title. */
  async function lookup(name: string, signal?: AbortSignal): Promise<{ list: Candidate[]; searched: boolean }> {
    const title = name.trim();
    const res = await api<{ query: QueryResult }>(
      { action: 'query', titles: `${title}|${title}${DISAMBIG_SUFFIX}`, redirects: '1', converttitles: '1', prop: 'pageprops|description', ppprop: 'disambiguation' },
      signal,
    );
    const q = res.query;
    const pages = new Map((q.pages ?? []).map((p) => [p.title, p]));
    const main = pages.get(resolveTitle(q, title));
    const disambig = pages.get(resolveTitle(q, `${title}${DISAMBIG_SUFFIX}`));
    const mainExists = !!main?.pageid && !main.missing;
    const disambigExists = !!disambig?.pageid && !disambig.missing && disambig !== main;

    if (mainExists && isDisambiguation(main)) return { list: await disambiguationCandidates(main!.pageid!, undefined, signal), searched: false };
    const list: Candidate[] = [];
    if (mainExists) list.push({ id: String(main!.pageid), title: main!.title, description: main!.description ?? '' });
    if (disambigExists) list.push(...(await disambiguationCandidates(disambig!.pageid!, undefined, signal)));
    if (list.length) return { list: uniqueById(list), searched: false };

    const found = await api<{ query: QueryResult }>(
      { action: 'query', list: 'search', srsearch: title, srlimit: '20', srnamespace: '0', srprop: 'snippet' },
      signal,
    );
    const hits = (found.query.search ?? [])
      .filter((s) => s.ns === 0)
      .map((s) => ({ id: String(s.pageid), title: s.title, description: clip(plain(s.snippet ?? ''), 120) }));
    return { list: hits, searched: true };
  }

  function notFound(name: string): AppError {
    return new AppError('not_found:source_page', `维基百科没有找到「${name}」`);
  }

  async function fetchById(pageid: string, name: string, signal?: AbortSignal): Promise<SourcePage> {
    const p = await parse(pageid, signal);
    const props = p.properties;
    const disambiguation = Array.isArray(props) ? props.some((x) => x.name === 'disambiguation') : !!props && 'disambiguation' in props;
    if (disambiguation) {
      const candidates = await disambiguationCandidates(pageid, p.text, signal);
      if (!candidates.length) throw notFound(name);
      throw new AppError('ambiguous', `「${p.title}」是消歧义页，请选择一个条目`, { details: { candidates } });
    }
    const article = parseWikiHtml(p.text ?? '');
    return { source: 'zhwiki', key: String(p.pageid), title: p.title, url: pageUrl(p.title), ...article };
  }

  return {
    async candidates(name, signal) {
      const { list } = await lookup(name, signal);
      if (!list.length) throw notFound(name);
      return list;
    },
    async fetchPage(name, candidateId, signal) {
      if (candidateId !== undefined) {
        if (!isPageId(candidateId)) throw new AppError('bad_request:candidate_id', 'a Wikipedia candidate id is a number');
        return fetchById(candidateId, name, signal);
      }
      const { list, searched } = await lookup(name, signal);
      if (!list.length) throw notFound(name);
      // Search hits are guesses: the user confirms even a single one.
      if (list.length > 1 || searched) throw new AppError('ambiguous', `「${name}」有多个同名条目，请选择一个`, { details: { candidates: list } });
      return fetchById(list[0]!.id, name, signal);
    },
  };
}

function uniqueById(list: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  return list.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
}
