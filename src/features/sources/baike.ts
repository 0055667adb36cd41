/**
 * Baidu Baike over plain HTTP: item pages, the same-name (多义词) panel and page, and the search page.
 *
 * URL scheme (spec characters.md §3.3): an article is `/item/{name}/{lemmaId}`, the default page for a
 * name is `/item/{name}`, search is `/search?word={name}`. A candidate id is the numeric lemma id; the
 * server turns it back into `/item/{name}/{id}` on the configured base, so no client text ever
 * becomes a host or a path of its own (§10.1).
 *
 * Parsing fixes §10.12: headings (`div.paraTitle_*`, h2/h3) are followed by their paragraphs in order,
 * footnotes are removed, the summary is not repeated, padded infobox labels are collapsed, and only
 * footer boilerplate is dropped (a paragraph mentioning 登录 is still a paragraph).
 */
import * as cheerio from 'cheerio';
import type { AnyNode, Element } from 'domhandler';
import { AppError } from '../../errors.js';
import type { SafeFetcher } from '../../infra/fetch/safe-fetcher.js';
import { BROWSER_USER_AGENT } from '../../infra/fetch/safe-fetcher.js';
import type { Candidate, SourcePage, SourceSection } from './types.js';
import { cleanLabel, cleanText, clip, collapseSpace, shortHash, stripFootnotes } from './text-utils.js';

/** What Baike's human-verification page says (title 百度安全验证) or where it sends us. */
export const BAIKE_BLOCKED_MARKERS = ['<title>百度安全验证</title>', 'wappass.baidu.com/static/captcha', 'id="captcha-container"'];
export const BAIKE_BLOCKED_REDIRECT_HOSTS = ['wappass.baidu.com'];

const BROWSER_HEADERS = {
  'user-agent': BROWSER_USER_AGENT,
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'accept-language': 'zh-CN,zh;q=0.9,en;q=0.8',
};

export function isLemmaId(id: string): boolean {
  return /^\d{1,15}$/.test(id);
}

/** `/item/{name}` or `/item/{name}/{lemmaId}` on the configured base. */
export function baikeItemUrl(baseUrl: string, name: string, lemmaId?: string): string {
  if (lemmaId !== undefined && !isLemmaId(lemmaId)) throw new AppError('bad_request:candidate_id', 'a Baike candidate id is a number');
  const path = `/item/${encodeURIComponent(name.trim())}` + (lemmaId ? `/${lemmaId}` : '');
  return baseUrl.replace(/\/+$/, '') + path;
}

export function baikeSearchUrl(baseUrl: string, name: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/search?word=${encodeURIComponent(name.trim())}`;
}

/** Name and lemma id of an `/item/…` link (relative or absolute); undefined for anything else. */
export function parseItemHref(href: string): { name: string; lemmaId?: string; query: URLSearchParams } | undefined {
  let u: URL;
  try {
    u = new URL(href, 'https://baike.baidu.com/');
  } catch {
    return undefined;
  }
  const m = /^\/item\/([^/]+)(?:\/(\d+))?\/?$/.exec(u.pathname);
  if (!m) return undefined;
  let name: string;
  try {
    name = decodeURIComponent(m[1]!);
  } catch {
    name = m[1]!;
  }
  return { name, lemmaId: m[2], query: u.searchParams };
}

export type BaikeDocument =
  | { kind: 'article'; page: SourcePage; candidates: Candidate[] }
  | { kind: 'polysemant'; title: string; candidates: Candidate[] }
  | { kind: 'not_found' };

const SUMMARY_SELECTOR = 'div.J-summary, div[class^="lemmaSummary"], div.lemma-summary, div.lemmaWgt-lemmaSummary';
const INFOBOX_SELECTOR = 'div.J-basic-info, div[class^="basicInfo_"], div.basic-info, div.lemmaWgt-basicInfo';
const PANEL_ANCHORS = [
  'div[class^="newPolysemantList"] a[href*="/item/"]',
  '#newPolysemantList a[href*="/item/"]',
  'div[class^="contentItemChildren"] a[href*="/item/"]',
  'a[class^="contentItemChild"][href*="/item/"]',
  'ul.polysemantList-wrapper a[href*="/item/"]',
  'div.polysemantList a[href*="/item/"]',
].join(', ');
const POLYSEMANT_PAGE_ANCHORS = 'ul.custom_dot a[href*="/item/"], div.lemmaWgt-subLemmaListTitle ~ ul a[href*="/item/"], div[class*="subLemmaList"] a[href*="/item/"]';
const HEADING_SELECTOR = 'div[class*="paraTitle"], h2, h3';
const PARAGRAPH_SELECTOR = 'div[data-tag="paragraph"], div[class^="para_"], div.para, p';
/** Elements whose text is UI, not content. */
const NOISE_SELECTOR =
  'sup, [class*="supWrap"], .J-supWrap, script, style, noscript, [class*="editLemma"], [class*="edit-icon"], [class*="audio"], [class*="lemmaPicture"], .title-prefix, [class*="albumList"]';
/** Containers whose paragraphs are not article sections. */
const EXCLUDED_CONTAINERS = `${SUMMARY_SELECTOR}, ${INFOBOX_SELECTOR}, [class*="lemmaTitle"], [class*="lemmaCatalog"], [class*="catalog"], footer, #footer, [class*="footer"], [class*="reference"], [class*="Reference"], [class*="polysemant"], [class*="Polysemant"], #side, [class*="sideContent"], table`;
/** Site footer boilerplate; only exact footer phrases, so real paragraphs survive (§10.12). */
const FOOTER_PHRASES = ['使用百度前必读', '百科协议', '隐私政策', '京ICP', '京公网安备', '百度百科合作平台'];
const DROPPED_OPTION_TEXT = new Set(['百度百科', '更多', '更多>', '更多 >', '展开', '收起']);

function textOf($: cheerio.CheerioAPI, el: AnyNode, lineBreak = ' '): string {
  const copy = $(el).clone();
  copy.find(NOISE_SELECTOR).remove();
  copy.find('br').replaceWith(lineBreak);
  return cleanText(copy.text());
}

function headingText($: cheerio.CheerioAPI, el: Element): string {
  const inner = el.tagName === 'div' ? $(el).find('h2, h3, h4').first() : $(el);
  const t = textOf($, inner.length ? inner[0]! : el);
  return t.replace(/\s*(编辑|播报)+$/g, '').trim();
}

function headingLevel($: cheerio.CheerioAPI, el: Element): number {
  // Modern headings carry `level-1_<hash>`; the legacy `para-title level-2` is an h2 and goes by tag.
  const m = /level-(\d)_/.exec($(el).attr('class') ?? '');
  if (m) return Number(m[1]);
  const tag = el.tagName === 'div' ? $(el).find('h2, h3, h4').first().prop('tagName')?.toLowerCase() : el.tagName;
  return tag === 'h3' ? 2 : tag === 'h4' ? 3 : 1;
}

function meaningfulLength(text: string): number {
  return text.replace(/[\s·\-:：、/\\，。；;,.（）()【】[\]<>“”"']/g, '').length;
}

/** Lemma id of the page: canonical link, og:url, or the URL it was fetched from. */
function pageLemmaId($: cheerio.CheerioAPI, pageUrl: string): string | undefined {
  for (const href of [$('link[rel="canonical"]').attr('href'), $('meta[property="og:url"]').attr('content'), pageUrl]) {
    const id = href ? parseItemHref(href)?.lemmaId : undefined;
    if (id) return id;
  }
  const data = $('[data-lemmaid]').first().attr('data-lemmaid');
  return data && isLemmaId(data) ? data : undefined;
}

function pageTitle($: cheerio.CheerioAPI): string {
  const h1 = $('dd.lemmaWgt-lemmaTitle-title h1, h1').first();
  return h1.length ? textOf($, h1[0]!) : '';
}

function pageDescription($: cheerio.CheerioAPI, summary: string): string {
  const desc = $('[class^="lemmaDesc"], #lemmaDesc, .lemma-desc, .lemmaWgt-lemmaTitle-title h2').first();
  const text = desc.length ? textOf($, desc[0]!).replace(/^[（(]|[）)]$/g, '') : '';
  return text || clip(summary, 80);
}

/** A candidate from one same-name anchor; the text is "title：description" or just a description. */
function anchorCandidate($: cheerio.CheerioAPI, a: Element, fallbackTitle: string): Candidate | undefined {
  const href = $(a).attr('href') ?? '';
  const item = parseItemHref(href);
  if (!item?.lemmaId) return undefined;
  // Inline article links are not same-name entries (spec §3.3 exclusion rule).
  for (const value of item.query.values()) if (value.includes('inlink')) return undefined;
  const text = collapseSpace($(a).text());
  if (!text || DROPPED_OPTION_TEXT.has(text) || meaningfulLength(text) < 2) return undefined;
  const m = /^(.{1,40}?)\s*[：:]\s*(.+)$/.exec(text);
  if (m) return { id: item.lemmaId, title: m[1]!, description: m[2]! };
  const title = item.name || fallbackTitle;
  return { id: item.lemmaId, title, description: text === title ? '' : text };
}

function uniqueById(list: Candidate[]): Candidate[] {
  const seen = new Set<string>();
  return list.filter((c) => (seen.has(c.id) ? false : (seen.add(c.id), true)));
}

function parseSummary($: cheerio.CheerioAPI): string {
  const box = $(SUMMARY_SELECTOR).first();
  if (box.length) {
    const paras = box
      .find('div[data-tag="paragraph"], div[class^="para_"], div.para')
      .toArray()
      .map((p) => textOf($, p))
      .filter(Boolean);
    const text = paras.length ? paras.join('\n\n') : textOf($, box[0]!);
    if (text) return text;
  }
  return cleanText($('meta[name="description"]').attr('content') ?? '');
}

function parseInfobox($: cheerio.CheerioAPI): [string, string][] {
  const out: [string, string][] = [];
  const box = $(INFOBOX_SELECTOR).first();
  if (!box.length) return out;
  const dts = box.find('dt').toArray();
  const dds = box.find('dd').toArray();
  dts.forEach((dt, i) => {
    const next = $(dt).next('dd');
    const dd = next.length ? next[0]! : dds[i];
    if (!dd) return;
    const label = cleanLabel($(dt).text());
    const value = textOf($, dd, '、').replace(/\s*(展开|收起)$/, '').replace(/^、+|、+$/g, '');
    if (label && value) out.push([label, value]);
  });
  return out;
}

function parseSections($: cheerio.CheerioAPI, summary: string): SourceSection[] {
  const rootSelector = ['div.J-lemma-content', 'div[class*="mainContent"]', 'div.main-content'].find((sel) => $(sel).length);
  const scope = rootSelector ? $(rootSelector).first() : $('body');
  const summaryParas = new Set(summary.split('\n\n'));
  const sections: SourceSection[] = [];
  let current: SourceSection | undefined;
  const loose: string[] = [];

  for (const el of scope.find(`${HEADING_SELECTOR}, ${PARAGRAPH_SELECTOR}`).toArray()) {
    const node = $(el);
    if (node.parents(EXCLUDED_CONTAINERS).length || node.is(EXCLUDED_CONTAINERS)) continue;
    if (node.is(HEADING_SELECTOR)) {
      if (node.parents('div[class*="paraTitle"]').length) continue;
      const title = headingText($, el);
      if (!title || title === '目录') continue;
      current = { title, level: headingLevel($, el), paragraphs: [] };
      sections.push(current);
      continue;
    }
    if (node.parents(`${PARAGRAPH_SELECTOR}, ${HEADING_SELECTOR}`).length) continue;
    const text = textOf($, el);
    if (!text || summaryParas.has(text)) continue;
    if (FOOTER_PHRASES.some((p) => text.includes(p))) continue;
    if (current) current.paragraphs.push(text);
    else loose.push(text);
  }
  if (loose.length) sections.unshift({ title: sections.length ? '' : '正文', level: 1, paragraphs: loose });
  return dropEmptySections(sections);
}

/** Keeps a heading without paragraphs only when deeper sections follow it (人物生平 → 早年经历). */
export function dropEmptySections(sections: SourceSection[]): SourceSection[] {
  const kept: SourceSection[] = [];
  for (let i = sections.length - 1; i >= 0; i--) {
    const s = sections[i]!;
    const next = kept[0];
    if (s.paragraphs.length || (next && next.level > s.level)) kept.unshift(s);
  }
  return kept;
}

/** Classifies and parses a fetched Baike HTML page. */
export function parseBaikeDocument(html: string, pageUrl: string): BaikeDocument {
  const $ = cheerio.load(html);
  const title = pageTitle($);
  const summary = parseSummary($);
  const hasArticle = $('div.J-lemma-content, div[class*="mainContent"], div.main-content, ' + SUMMARY_SELECTOR).length > 0;

  if (!hasArticle) {
    const options = uniqueById(
      $(POLYSEMANT_PAGE_ANCHORS)
        .toArray()
        .map((a) => anchorCandidate($, a, title))
        .filter((c): c is Candidate => c !== undefined),
    );
    if (options.length) return { kind: 'polysemant', title: title || options[0]!.title, candidates: options };
    return { kind: 'not_found' };
  }
  if (!title) return { kind: 'not_found' };

  const lemmaId = pageLemmaId($, pageUrl);
  const page: SourcePage = {
    source: 'baike',
    key: lemmaId ?? shortHash(pageUrl),
    title,
    url: pageUrl,
    summary,
    infobox: parseInfobox($),
    sections: parseSections($, summary),
  };
  const self: Candidate[] = lemmaId ? [{ id: lemmaId, title, description: pageDescription($, summary) }] : [];
  const panel = ($(PANEL_ANCHORS).toArray() as Element[])
    .map((a) => anchorCandidate($, a, title))
    .filter((c): c is Candidate => c !== undefined);
  return { kind: 'article', page, candidates: uniqueById([...self, ...panel]) };
}

/** Result rows of `/search?word=`: `.search-list` anchors to items with an id. */
export function parseBaikeSearch(html: string): Candidate[] {
  const $ = cheerio.load(html);
  const out: Candidate[] = [];
  for (const a of $('.search-list a[href*="/item/"]').toArray()) {
    const item = parseItemHref($(a).attr('href') ?? '');
    if (!item?.lemmaId) continue;
    const row = $(a).closest('dd, li, .result-item');
    const summary = row.find('.result-summary, p').first();
    const title = cleanText(stripFootnotes($(a).text())) || item.name;
    if (meaningfulLength(title) < 1) continue;
    out.push({ id: item.lemmaId, title, description: summary.length ? clip(cleanText(summary.text()), 120) : '' });
  }
  return uniqueById(out);
}

export interface BaikeClient {
  candidates(name: string, signal?: AbortSignal): Promise<Candidate[]>;
  fetchPage(name: string, candidateId: string | undefined, signal?: AbortSignal): Promise<SourcePage>;
}

export function createBaikeClient(fetcher: SafeFetcher, baseUrl: string): BaikeClient {
  async function getHtml(url: string, signal?: AbortSignal) {
    const res = await fetcher.get(url, {
      source: 'baike',
      headers: { ...BROWSER_HEADERS, referer: `${baseUrl}/` },
      signal,
      blockedMarkers: BAIKE_BLOCKED_MARKERS,
      blockedRedirectHosts: BAIKE_BLOCKED_REDIRECT_HOSTS,
    });
    // Unknown names are redirected away from /item/ (e.g. to /search/none) or answered 404.
    if (res.status !== 200 || !new URL(res.url).pathname.startsWith('/item/')) return { doc: { kind: 'not_found' } as BaikeDocument, url: res.url };
    return { doc: parseBaikeDocument(res.body, res.url), url: res.url };
  }

  async function search(name: string, signal?: AbortSignal): Promise<Candidate[]> {
    const res = await fetcher.get(baikeSearchUrl(baseUrl, name), {
      source: 'baike',
      headers: { ...BROWSER_HEADERS, referer: `${baseUrl}/` },
      signal,
      blockedMarkers: BAIKE_BLOCKED_MARKERS,
      blockedRedirectHosts: BAIKE_BLOCKED_REDIRECT_HOSTS,
    });
    return res.status === 200 ? parseBaikeSearch(res.body) : [];
  }

  function notFound(name: string): AppError {
    return new AppError('not_found:source_page', `百度百科没有找到「${name}」`);
  }

  return {
    async candidates(name, signal) {
      const { doc } = await getHtml(baikeItemUrl(baseUrl, name), signal);
      if (doc.kind !== 'not_found') return doc.candidates;
      const found = await search(name, signal);
      if (!found.length) throw notFound(name);
      return found;
    },

    async fetchPage(name, candidateId, signal) {
      if (candidateId !== undefined) {
        if (!isLemmaId(candidateId)) throw new AppError('bad_request:candidate_id', 'a Baike candidate id is a number');
        const { doc } = await getHtml(baikeItemUrl(baseUrl, name, candidateId), signal);
        if (doc.kind !== 'article') throw notFound(name);
        return doc.page;
      }
      const { doc } = await getHtml(baikeItemUrl(baseUrl, name), signal);
      if (doc.kind === 'article' && doc.candidates.length <= 1) return doc.page;
      const candidates = doc.kind === 'not_found' ? await search(name, signal) : doc.candidates;
      if (!candidates.length) throw notFound(name);
      throw new AppError('ambiguous', `「${name}」有多个同名词条，请选择一个`, { details: { candidates } });
    },
  };
}
