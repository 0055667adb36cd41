/**
 * The normalised source page every source (Baike, Wikipedia, pasted text, bundled pages) is turned
 * into, and the candidate a user picks for a same-name search. Replaces the original RawPage
 * (spec characters.md §3.1), whose `catalog`/`references` only added noise to the prompt (§3.7).
 */
export type SourceKind = 'baike' | 'zhwiki' | 'text';
export type LiveSource = 'baike' | 'zhwiki';

export interface SourceSection {
  title: string;
  /** 1 = top-level section, 2 = sub-section, … */
  level: number;
  paragraphs: string[];
}

export interface SourcePage {
  source: SourceKind;
  /** Site id (Baike lemma id, Wikipedia page id), `bundled:<slug>`, or a content hash for text. */
  key: string;
  title: string;
  /** The page on the configured site; absent for text and bundled pages. */
  url?: string;
  summary: string;
  /** Label/value pairs in page order, labels without Baike's padding spaces. */
  infobox: [string, string][];
  sections: SourceSection[];
  /** True when the page came from the bundled offline set instead of the live site. */
  bundled?: boolean;
}

/**
 * One choice for an ambiguous name. `id` is only meaningful to the server that produced it:
 * digits for Baike (lemma id) and Wikipedia (page id), `bundled:<slug>` for a bundled page.
 */
export interface Candidate {
  id: string;
  title: string;
  description: string;
}
