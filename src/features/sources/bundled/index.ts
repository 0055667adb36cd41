/**
 * The bundled offline pages: a few well-known figures written for this project, so a fresh install
 * with no network can still create characters (FASTNPC_BUNDLED_SOURCES). Pages are TypeScript modules
 * (not .md files) so the server build carries them without an asset-copy step.
 */
import type { Candidate, SourceKind, SourcePage } from '../types.js';
import { pageFromText } from '../text.js';
import { nameKey } from '../text-utils.js';
import liBai from './li-bai.js';
import sunWukong from './sun-wukong.js';
import zhugeLiang from './zhuge-liang.js';
import suShi from './su-shi.js';
import huaMulan from './hua-mulan.js';
import sherlockHolmes from './sherlock-holmes.js';

export interface BundledEntry {
  slug: string;
  title: string;
  aliases: string[];
  markdown: string;
}

export const BUNDLED_ENTRIES: readonly BundledEntry[] = [liBai, sunWukong, zhugeLiang, suShi, huaMulan, sherlockHolmes];

const BY_NAME = new Map<string, BundledEntry>();
for (const e of BUNDLED_ENTRIES) for (const n of [e.title, ...e.aliases]) BY_NAME.set(nameKey(n), e);

export const BUNDLED_ID_PREFIX = 'bundled:';

/** The entry whose title or an alias matches the name (case, spaces and `·` ignored). */
export function findBundled(name: string): BundledEntry | undefined {
  return BY_NAME.get(nameKey(name));
}

export function findBundledById(id: string): BundledEntry | undefined {
  if (!id.startsWith(BUNDLED_ID_PREFIX)) return undefined;
  const slug = id.slice(BUNDLED_ID_PREFIX.length);
  return BUNDLED_ENTRIES.find((e) => e.slug === slug);
}

export function bundledCandidate(entry: BundledEntry): Candidate {
  const page = bundledPage(entry, 'text');
  return { id: `${BUNDLED_ID_PREFIX}${entry.slug}`, title: entry.title, description: `离线资料：${page.summary.slice(0, 60)}…` };
}

export function bundledPage(entry: BundledEntry, source: SourceKind): SourcePage {
  const page = pageFromText(entry.title, entry.markdown, { source, key: `${BUNDLED_ID_PREFIX}${entry.slug}` });
  return { ...page, bundled: true };
}

/** True for a candidate that stands for a bundled page (the site was skipped or unreachable). */
export function isBundledCandidate(candidate: Candidate): boolean {
  return candidate.id.startsWith(BUNDLED_ID_PREFIX);
}
