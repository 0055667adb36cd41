/**
 * Character Card import and export: the exchange format of the role-play world (SillyTavern, RisuAI, Chub).
 *
 * Specs: V1 and V2 at https://github.com/malfoyslastname/character-card-spec-v2 (spec_v1.md, spec_v2.md),
 * V3 at https://github.com/kwaroran/character-card-spec-v3 (SPEC_V3.md). A card is JSON, either a file of
 * its own or base64 in a PNG text chunk: `chara` holds V2 (or V1), `ccv3` holds V3, and a reader that
 * finds both uses `ccv3` (SPEC_V3 "Embedding Methods").
 *
 * Our nine-section profile rides in `data.extensions["fastnpc/profile"]` (and the biography in
 * `"fastnpc/biography"`), so a card we wrote comes back exactly. For a foreign card the card fields are
 * mapped into sections (see `cardToCharacter`), and everything we do not map is kept in `cardExtras` and
 * written back on export: both specs say editors must never destroy unknown fields or extensions.
 *
 * Example:
 *   const parsed = parseCard({ bytes, filename: 'alice.png' });         // throws AppError('validation:card', …)
 *   const { name, profile, biography, cardExtras } = cardToCharacter(parsed);
 *   …
 *   const v2 = characterToCard(character, 'v2'), v3 = characterToCard(character, 'v3');
 *   const png = writeCardPng(v2, v3, await avatarToPng(webp));
 */
import { createHash } from 'node:crypto';
import { Value } from '@sinclair/typebox/value';
import { AppError } from '../../errors.js';
import { findJsonProblem, MAX_JSON_DEPTH } from '../../http/input-guards.js';
import { ProfileSchema, SECTIONS, fieldText, type Profile, type Section, type SectionKey } from './profile.js';
import { isPng, readTextChunks, writeTextChunks } from './png-chunks.js';

export const MAX_CARD_BYTES = 10 * 1024 * 1024;
export const MAX_CARD_JSON_BYTES = 2 * 1024 * 1024;
/** ProfileSchema caps a text field at 10 000 characters; longer card text is cut there (the biography keeps it whole). */
const MAX_PROFILE_TEXT = 10_000;

export const PROFILE_EXTENSION = 'fastnpc/profile';
export const BIOGRAPHY_EXTENSION = 'fastnpc/biography';

export type CardVersion = 'v1' | 'v2' | 'v3';

export interface CardAsset {
  type: string;
  uri: string;
  name: string;
  ext: string;
  [key: string]: unknown;
}

/** Lorebook (V2 `CharacterBook`, V3 `Lorebook`); kept as written, only its shape is checked. */
export interface CharacterBook {
  entries: unknown[];
  [key: string]: unknown;
}

/**
 * A card's `data`, normalised: every V2 field present (V1 fields default to '', lists to []), V3 additions
 * when the card had them, and any other field kept as it was.
 */
export interface CardData {
  name: string;
  description: string;
  personality: string;
  scenario: string;
  first_mes: string;
  mes_example: string;
  creator_notes: string;
  system_prompt: string;
  post_history_instructions: string;
  alternate_greetings: string[];
  character_book?: CharacterBook;
  tags: string[];
  creator: string;
  character_version: string;
  extensions: Record<string, unknown>;
  // V3 additions
  group_only_greetings: string[];
  assets?: CardAsset[];
  nickname?: string;
  creator_notes_multilingual?: Record<string, string>;
  source?: string[];
  creation_date?: number;
  modification_date?: number;
  [key: string]: unknown;
}

export interface ParsedCard {
  card: CardData;
  version: CardVersion;
  /** Keys beside `spec`/`spec_version`/`data` (e.g. SillyTavern's `create_date`, `talkativeness`), minus the V1 mirror fields. */
  topLevel: Record<string, unknown>;
}

export interface CardV2 {
  spec: 'chara_card_v2';
  spec_version: '2.0';
  data: CardData;
  [key: string]: unknown;
}

export interface CardV3 {
  spec: 'chara_card_v3';
  spec_version: '3.0';
  data: CardData;
  [key: string]: unknown;
}

/** The card fields that are mapped to the profile or biography and regenerated from them on export. */
type MappedText = 'description' | 'personality' | 'scenario';

/**
 * What a card carried that the profile does not: stored with the character and written back on export.
 * `texts` holds the imported description/personality/scenario with a digest of what we would generate
 * from the imported profile; while that digest still matches, export reuses the imported text verbatim,
 * so an unedited character round-trips byte for byte, and an edited one gets freshly generated text.
 */
export interface CardExtras {
  importedFrom?: CardVersion;
  /** `data` fields other than name, description, personality, scenario, first_mes, mes_example, extensions. */
  data: Record<string, unknown>;
  /** `data.extensions` minus our own keys. */
  extensions: Record<string, unknown>;
  topLevel: Record<string, unknown>;
  texts: Partial<Record<MappedText, { text: string; digest: string }>>;
}

export interface CardCharacter {
  name: string;
  profile: Profile;
  biography: string;
  cardExtras?: CardExtras | Record<string, unknown> | null;
  createdAt: Date | string | number;
  updatedAt: Date | string | number;
}

const cardError = (message: string, cause?: unknown) => new AppError('validation:card', message, { cause });

// ---------------------------------------------------------------------------------------------------
// Import

/**
 * Reads a card from an uploaded file: a PNG with a `ccv3` and/or `chara` text chunk (tEXt, iTXt or zTXt;
 * base64 JSON), or a JSON file (V1, V2 or V3). The type is decided by content; `filename` and
 * `contentType` only sharpen the error message. Throws `AppError('validation:card', …)` naming the
 * problem, or `payload_too_large` over 10 MB (file) / 2 MB (card JSON).
 */
export function parseCard(input: { bytes: Buffer; filename?: string; contentType?: string }): ParsedCard {
  const { bytes } = input;
  if (bytes.length > MAX_CARD_BYTES) {
    throw new AppError('payload_too_large', `card file is ${mb(bytes.length)} MB; the limit is ${mb(MAX_CARD_BYTES)} MB`);
  }
  if (bytes.length === 0) throw cardError('the file is empty');
  if (isPng(bytes)) return parsePngCard(bytes);
  const text = jsonText(bytes);
  if (text !== undefined) return normaliseCard(parseJson(text, 'the JSON file'));
  throw cardError(describeUnknown(bytes, input.filename, input.contentType));
}

function parsePngCard(bytes: Buffer): ParsedCard {
  let texts;
  try {
    texts = readTextChunks(bytes, { keywords: ['ccv3', 'chara'], maxTextBytes: MAX_CARD_BYTES });
  } catch (err) {
    if (err instanceof AppError) throw cardError(err.message, err);
    throw err;
  }
  const ccv3 = texts.find((t) => t.keyword.toLowerCase() === 'ccv3');
  const chara = texts.find((t) => t.keyword.toLowerCase() === 'chara');
  if (!ccv3 && !chara) throw cardError('the PNG has no "chara" or "ccv3" text chunk: it is a plain image, not a character card');
  if (ccv3) {
    try {
      return normaliseCard(decodeEmbedded(ccv3.text, 'ccv3'));
    } catch (err) {
      // A broken ccv3 next to a good chara still imports (as V2); if both are broken, report ccv3.
      if (!chara || !(err instanceof AppError) || err.kind !== 'validation') throw err;
      try {
        return normaliseCard(decodeEmbedded(chara.text, 'chara'));
      } catch {
        throw err;
      }
    }
  }
  return normaliseCard(decodeEmbedded(chara!.text, 'chara'));
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function decodeEmbedded(raw: string, keyword: string): unknown {
  const text = raw.trim();
  // A few old exporters stored the JSON itself rather than base64.
  const where = `the "${keyword}" chunk`;
  if (text.startsWith('{')) return parseJson(checkJsonSize(text, where), where);
  const compact = text.replace(/\s+/g, '');
  if (compact === '' || !BASE64.test(compact) || compact.length % 4 === 1) {
    throw cardError(`${where} is not valid base64`);
  }
  if (compact.length > Math.ceil((MAX_CARD_JSON_BYTES * 4) / 3) + 4) throw tooLargeJson(where);
  const decoded = Buffer.from(compact, compact.includes('-') || compact.includes('_') ? 'base64url' : 'base64');
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(decoded);
  } catch (err) {
    throw cardError(`${where} decodes from base64 to bytes that are not UTF-8 text`, err);
  }
  return parseJson(checkJsonSize(json.replace(/^\uFEFF/, ''), where), where);
}

function checkJsonSize(text: string, where: string): string {
  if (Buffer.byteLength(text) > MAX_CARD_JSON_BYTES) throw tooLargeJson(where);
  return text;
}

const tooLargeJson = (where: string) => new AppError('payload_too_large', `the card JSON in ${where} is larger than ${mb(MAX_CARD_JSON_BYTES)} MB`);

/** The file as text if it looks like JSON (first non-blank character `{`, optional BOM); else undefined. */
function jsonText(bytes: Buffer): string | undefined {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i++;
  if (bytes[i] !== 0x7b && bytes[i] !== 0x5b) return undefined;
  if (bytes.length > MAX_CARD_JSON_BYTES) throw tooLargeJson('the JSON file');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i));
  } catch (err) {
    throw cardError('the JSON file is not valid UTF-8 text', err);
  }
}

function parseJson(text: string, where: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw cardError(`${where} is not valid JSON (${(err as Error).message})`, err);
  }
  // Deep nesting would overflow later recursive copies (structuredClone); NUL cannot be stored.
  const problem = findJsonProblem(value);
  if (problem?.problem === 'depth') throw cardError(`${where} is nested more than ${MAX_JSON_DEPTH} levels deep${problem.path ? ` (at ${problem.path})` : ''}`);
  if (problem) throw cardError(`${where} contains the NUL character (U+0000)${problem.path ? ` at ${problem.path}` : ''}`);
  return value;
}

function describeUnknown(bytes: Buffer, filename?: string, contentType?: string): string {
  const head = bytes.subarray(0, 12);
  const what =
    head[0] === 0xff && head[1] === 0xd8
      ? 'a JPEG image'
      : head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP'
        ? 'a WebP image'
        : head.subarray(0, 3).toString('latin1') === 'GIF'
          ? 'a GIF image'
          : head[0] === 0x50 && head[1] === 0x4b
            ? 'a zip archive (CHARX cards are not supported)'
            : undefined;
  const named = [filename && `"${filename}"`, contentType && `(${contentType})`].filter(Boolean).join(' ');
  return `${named ? `${named} is` : 'the file is'} not a PNG or JSON character card${what ? `: it is ${what}` : ''}; export the card as PNG or JSON`;
}

const mb = (n: number) => (Math.round((n / (1024 * 1024)) * 10) / 10).toString();

// ---------------------------------------------------------------------------------------------------
// Normalisation and validation

const TEXT_FIELDS = [
  'name',
  'description',
  'personality',
  'scenario',
  'first_mes',
  'mes_example',
  'creator_notes',
  'system_prompt',
  'post_history_instructions',
  'creator',
  'character_version',
] as const;
const LIST_FIELDS = ['alternate_greetings', 'tags', 'group_only_greetings'] as const;
const V1_FIELDS = new Set(['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example']);
/**
 * Top-level copies of `data` that V2 writers add for V1 readers (SillyTavern also writes `creatorcomment`
 * and `tags`). They are regenerated on export, so they are not kept.
 */
const MIRROR_FIELDS = new Set([...V1_FIELDS, 'creatorcomment', 'tags']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a decoded card (any version) and returns it as V3-shaped data. Exported for tests and callers with JSON in hand. */
export function normaliseCard(raw: unknown): ParsedCard {
  if (!isObject(raw)) throw cardError('the card JSON must be an object');
  const spec = raw.spec;
  let version: CardVersion;
  let data: Record<string, unknown>;
  let topLevel: Record<string, unknown> = {};
  if (spec === undefined || spec === null) {
    if (isObject(raw.data) && raw.name === undefined) {
      // `data` without `spec`: a V2 card whose writer forgot the marker.
      version = 'v2';
      data = raw.data;
      topLevel = pick(raw, (k) => k !== 'data' && k !== 'spec' && k !== 'spec_version');
    } else {
      version = 'v1';
      // V1 is flat. Known card fields become data; the rest (SillyTavern's `chat`, `avatar`, …) stays top-level.
      data = pick(raw, (k) => V1_FIELDS.has(k) || isKnownDataField(k));
      if (data.creator_notes === undefined && typeof raw.creatorcomment === 'string') data.creator_notes = raw.creatorcomment;
      topLevel = pick(raw, (k) => !(k in data) && k !== 'creatorcomment' && k !== 'spec_version');
    }
  } else if (spec === 'chara_card_v3' || spec === 'chara_card_v2') {
    version = spec === 'chara_card_v3' ? 'v3' : 'v2';
    if (!isObject(raw.data)) throw cardError(`missing data: a ${spec} card keeps its fields in a "data" object`);
    data = raw.data;
    topLevel = pick(raw, (k) => k !== 'data' && k !== 'spec' && k !== 'spec_version' && !MIRROR_FIELDS.has(k));
  } else if (typeof spec === 'string' && spec.startsWith('lorebook')) {
    throw cardError(`this is a lorebook (spec "${spec}"), not a character card`);
  } else {
    throw cardError(`unsupported card spec ${JSON.stringify(spec).slice(0, 60)}: expected "chara_card_v2" or "chara_card_v3"`);
  }
  return { card: normaliseData(data, version === 'v1' ? '' : 'data.'), version, topLevel };
}

const KNOWN_DATA_FIELDS = new Set<string>([
  ...TEXT_FIELDS,
  ...LIST_FIELDS,
  'character_book',
  'extensions',
  'assets',
  'nickname',
  'creator_notes_multilingual',
  'source',
  'creation_date',
  'modification_date',
]);
const isKnownDataField = (k: string) => KNOWN_DATA_FIELDS.has(k);

function pick(obj: Record<string, unknown>, keep: (key: string) => boolean): Record<string, unknown> {
  return Object.fromEntries(Object.entries(obj).filter(([k]) => keep(k)));
}

function normaliseData(data: Record<string, unknown>, at: string): CardData {
  const out: Record<string, unknown> = { ...data };
  for (const key of TEXT_FIELDS) {
    const v = data[key];
    if (v === undefined || v === null) out[key] = '';
    else if (typeof v === 'string') out[key] = v;
    // Some editors write the version as a number (`"character_version": 2`).
    else if (key === 'character_version' && typeof v === 'number') out[key] = String(v);
    else throw cardError(`field ${at}${key} must be a string`);
  }
  out.name = (out.name as string).trim();
  if (out.name === '') throw cardError(`missing ${at}name: a card must name its character`);

  for (const key of LIST_FIELDS) {
    const v = data[key];
    if (v === undefined || v === null) out[key] = [];
    // Old exporters wrote tags as one comma-separated string.
    else if (key === 'tags' && typeof v === 'string') out[key] = v.split(',').map((t) => t.trim()).filter(Boolean);
    else if (Array.isArray(v) && v.every((x) => typeof x === 'string')) out[key] = v;
    else throw cardError(`field ${at}${key} must be an array of strings`);
  }

  if (data.extensions === undefined || data.extensions === null) out.extensions = {};
  else if (!isObject(data.extensions)) throw cardError(`field ${at}extensions must be an object`);

  if (data.character_book === undefined || data.character_book === null) delete out.character_book;
  else if (!isObject(data.character_book) || !Array.isArray(data.character_book.entries)) {
    throw cardError(`field ${at}character_book must be an object with an "entries" array`);
  } else if (!data.character_book.entries.every(isObject)) {
    throw cardError(`field ${at}character_book.entries must hold objects`);
  }

  optional(out, 'nickname', at, (v) => typeof v === 'string', 'a string');
  optional(out, 'source', at, (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'), 'an array of strings');
  optional(out, 'creator_notes_multilingual', at, (v) => isObject(v) && Object.values(v).every((x) => typeof x === 'string'), 'an object of strings');
  optional(out, 'assets', at, (v) => Array.isArray(v), 'an array');
  (out.assets as unknown[] | undefined)?.forEach((a, i) => {
    if (!isObject(a) || typeof a.type !== 'string' || typeof a.uri !== 'string') {
      throw cardError(`field ${at}assets[${i}] must be an object with string "type" and "uri"`);
    }
  });
  for (const key of ['creation_date', 'modification_date'] as const) {
    const v = out[key];
    if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim())) out[key] = Number(v);
    optional(out, key, at, (x) => typeof x === 'number' && Number.isFinite(x), 'a number (Unix seconds)');
  }
  return out as CardData;
}

function optional(out: Record<string, unknown>, key: string, at: string, ok: (v: unknown) => boolean, what: string) {
  const v = out[key];
  if (v === undefined || v === null) delete out[key];
  else if (!ok(v)) throw cardError(`field ${at}${key} must be ${what}`);
}

// ---------------------------------------------------------------------------------------------------
// Card → character

/**
 * Maps a parsed card to our character.
 * - With a valid `extensions["fastnpc/profile"]` (a card we exported): that profile, and the biography
 *   from `extensions["fastnpc/biography"]` (else the description). An invalid one is dropped.
 * - Otherwise: description → biography (whole) and identity.intro; personality → personality.traits;
 *   scenario → world.worldview (each cut to the profile's 10 000-character limit).
 * - Either way: first_mes → dialogue.greeting and mes_example → dialogue.exampleDialogue (extra fields of
 *   the dialogue section, which the profile schema keeps), so they can be shown and edited.
 * - Everything else (alternate_greetings, group_only_greetings, tags, creator, creator_notes, system_prompt,
 *   post_history_instructions, character_book, assets, V3 fields, unknown fields, other extensions, top-level
 *   extras) goes to `cardExtras` and comes back on export.
 */
export function cardToCharacter(parsed: { card: CardData; version?: CardVersion; topLevel?: Record<string, unknown> }): {
  name: string;
  profile: Profile;
  biography: string;
  cardExtras: CardExtras;
} {
  const { card } = parsed;
  const { [PROFILE_EXTENSION]: ownProfile, [BIOGRAPHY_EXTENSION]: ownBiography, ...extensions } = card.extensions;

  let profile: Profile;
  // A profile that another tool mangled (wrong types, over the limits) is ignored, not trusted: the card's
  // own fields still give a usable character.
  if (isObject(ownProfile) && Value.Check(ProfileSchema, ownProfile)) {
    profile = structuredClone(ownProfile) as Profile;
  } else {
    profile = {};
    setField(profile, 'identity', 'intro', clip(card.description));
    setField(profile, 'personality', 'traits', clip(card.personality));
    setField(profile, 'world', 'worldview', clip(card.scenario));
  }
  setField(profile, 'dialogue', 'greeting', card.first_mes);
  setField(profile, 'dialogue', 'exampleDialogue', card.mes_example);
  const biography = typeof ownBiography === 'string' ? ownBiography : card.description;

  const generated = generateTexts(profile, biography);
  const texts: CardExtras['texts'] = {};
  for (const key of MAPPED_TEXTS) texts[key] = { text: card[key], digest: digest(generated[key]) };

  const { name: _n, description: _d, personality: _p, scenario: _s, first_mes: _f, mes_example: _m, extensions: _e, ...data } = card;
  return {
    name: card.name,
    profile,
    biography,
    cardExtras: { importedFrom: parsed.version, data: structuredClone(data), extensions: structuredClone(extensions), topLevel: structuredClone(parsed.topLevel ?? {}), texts },
  };
}

/** Sets a text field, or removes it (and an emptied section) when the value is blank. */
function setField(profile: Profile, section: SectionKey, field: string, value: string) {
  const current = isObject(profile[section]) ? (profile[section] as Section) : undefined;
  if (value.trim() === '') {
    if (current && field in current) {
      delete current[field];
      if (Object.keys(current).length === 0) delete profile[section];
    }
    return;
  }
  profile[section] = { ...(current ?? {}), [field]: value };
}

/** Cuts text to the profile's field limit at a paragraph or sentence end when one is near. */
function clip(text: string, max = MAX_PROFILE_TEXT): string {
  const t = text.trim();
  if (t.length <= max) return t;
  const head = t.slice(0, max - 1);
  const cut = Math.max(head.lastIndexOf('\n'), ...['。', '. ', '！', '？', '!', '?'].map((p) => head.lastIndexOf(p) + p.length - 1));
  return `${cut > max * 0.6 ? head.slice(0, cut + 1).trimEnd() : head}…`;
}

// ---------------------------------------------------------------------------------------------------
// Character → card

const MAPPED_TEXTS: readonly MappedText[] = ['description', 'personality', 'scenario'];
/** Sections written into `description` after the biography. Personality → `personality`; world and tasks → `scenario`; source → `creator_notes`. */
const DESCRIPTION_SECTIONS: readonly SectionKey[] = ['identity', 'background', 'knowledge', 'dialogue', 'system'];

/**
 * Builds a V2 or V3 card. description = biography + identity, background, knowledge, dialogue and system
 * sections as labelled lines; personality = the personality section; scenario = world and tasks;
 * first_mes / mes_example = dialogue.greeting / dialogue.exampleDialogue. Imported texts are reused while
 * the profile they were mapped to is unchanged (see `CardExtras`). Fields and extensions from
 * `cardExtras` are written back; `extensions["fastnpc/profile"]` and `["fastnpc/biography"]` carry ours.
 */
export function characterToCard(character: CardCharacter, version: 'v2'): CardV2;
export function characterToCard(character: CardCharacter, version: 'v3'): CardV3;
export function characterToCard(character: CardCharacter, version: 'v2' | 'v3'): CardV2 | CardV3;
export function characterToCard(character: CardCharacter, version: 'v2' | 'v3'): CardV2 | CardV3 {
  const extras = readExtras(character.cardExtras);
  const { profile, biography } = character;
  const generated = generateTexts(profile, biography);
  const text = (key: MappedText) => {
    const kept = extras.texts[key];
    return kept && kept.digest === digest(generated[key]) ? kept.text : generated[key];
  };
  const dialogue = isObject(profile.dialogue) ? profile.dialogue : {};
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const x = extras.data;

  const data: CardData = {
    name: character.name,
    description: text('description'),
    personality: text('personality'),
    scenario: text('scenario'),
    first_mes: str(dialogue.greeting),
    mes_example: str(dialogue.exampleDialogue),
    creator_notes: typeof x.creator_notes === 'string' ? x.creator_notes : defaultCreatorNotes(profile),
    system_prompt: str(x.system_prompt),
    post_history_instructions: str(x.post_history_instructions),
    alternate_greetings: strings(x.alternate_greetings),
    ...(isObject(x.character_book) ? { character_book: x.character_book as CharacterBook } : {}),
    tags: strings(x.tags),
    creator: str(x.creator),
    character_version: str(x.character_version),
    extensions: { ...extras.extensions, [PROFILE_EXTENSION]: profile, [BIOGRAPHY_EXTENSION]: biography },
    group_only_greetings: strings(x.group_only_greetings),
  };
  // Fields we do not model (V3 additions in a V2 export, future fields) go back as they came.
  // defineProperty, not assignment: a card may carry keys such as "__proto__" or "constructor".
  for (const [k, v] of Object.entries(x)) if (!Object.hasOwn(data, k)) Object.defineProperty(data, k, { value: v, enumerable: true, writable: true, configurable: true });

  const topLevel = pick(extras.topLevel, (k) => k !== 'spec' && k !== 'spec_version' && k !== 'data' && !MIRROR_FIELDS.has(k));
  if (version === 'v2') {
    // SillyTavern (and the V2 spec's advice for V1 readers) repeats the V1 fields at the top level.
    const mirror = Object.fromEntries([...V1_FIELDS].map((k) => [k, data[k]]));
    return { spec: 'chara_card_v2', spec_version: '2.0', data, ...mirror, tags: data.tags, ...topLevel };
  }
  data.assets = Array.isArray(x.assets) ? (x.assets as CardAsset[]) : [{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' }];
  // SPEC_V3: creation_date is kept once set; modification_date is refreshed on export.
  data.creation_date = typeof x.creation_date === 'number' ? x.creation_date : unixSeconds(character.createdAt);
  data.modification_date = unixSeconds(character.updatedAt);
  return { spec: 'chara_card_v3', spec_version: '3.0', data, ...topLevel };
}

/**
 * A PNG of the avatar carrying both cards as base64 tEXt chunks: `chara` (V2, for older readers) and
 * `ccv3` (V3). Existing `chara`/`ccv3` chunks in the image are replaced.
 */
export function writeCardPng(cardV2: object, cardV3: object, avatarPng: Buffer): Buffer {
  const b64 = (card: object) => Buffer.from(JSON.stringify(card), 'utf8').toString('base64');
  return writeTextChunks(
    avatarPng,
    [
      { keyword: 'chara', text: b64(cardV2) },
      { keyword: 'ccv3', text: b64(cardV3) },
    ],
    { remove: ['chara', 'ccv3'] },
  );
}

function readExtras(raw: unknown): CardExtras {
  const r = isObject(raw) ? raw : {};
  const texts: CardExtras['texts'] = {};
  if (isObject(r.texts)) {
    for (const key of MAPPED_TEXTS) {
      const t = r.texts[key];
      if (isObject(t) && typeof t.text === 'string' && typeof t.digest === 'string') texts[key] = { text: t.text, digest: t.digest };
    }
  }
  return {
    data: isObject(r.data) ? r.data : {},
    extensions: isObject(r.extensions) ? r.extensions : {},
    topLevel: isObject(r.topLevel) ? r.topLevel : {},
    texts,
  };
}

function generateTexts(profile: Profile, biography: string): Record<MappedText, string> {
  const bio = biography.trim();
  const intro = fieldText(profile, 'identity', 'intro').trim();
  // The intro usually restates the biography's opening (or, for an imported card, is the same text).
  const skipIntro = intro !== '' && bio.includes(intro.replace(/…$/, ''));
  const blocks = DESCRIPTION_SECTIONS.map((s) => renderSection(profile, s, s === 'identity' && skipIntro ? ['intro'] : []));
  const description =
    bio === '' ? (onlyField(profile, DESCRIPTION_SECTIONS, 'identity', 'intro') ?? joinBlocks(blocks)) : joinBlocks([bio, ...blocks]);
  const personality = onlyField(profile, ['personality'], 'personality', 'traits') ?? renderSection(profile, 'personality', [], false);
  const scenario = onlyField(profile, ['world', 'tasks'], 'world', 'worldview') ?? joinBlocks([renderSection(profile, 'world'), renderSection(profile, 'tasks')]);
  return { description, personality, scenario };
}

/** If `field` is the only filled (known) field of the given sections, its text; else undefined. */
function onlyField(profile: Profile, sections: readonly SectionKey[], section: SectionKey, field: string): string | undefined {
  const filled = SECTIONS.filter((s) => sections.includes(s.key)).flatMap((s) =>
    s.fields.filter((f) => fieldText(profile, s.key, f.key).trim() !== '').map((f) => `${s.key}.${f.key}`),
  );
  if (filled.length === 0) return '';
  return filled.length === 1 && filled[0] === `${section}.${field}` ? fieldText(profile, section, field).trim() : undefined;
}

/** A section as `【label】` and `字段：value` lines (known fields only, empty ones skipped), or '' when empty. */
function renderSection(profile: Profile, key: SectionKey, skip: readonly string[] = [], heading = true): string {
  const def = SECTIONS.find((s) => s.key === key)!;
  const lines = def.fields
    .filter((f) => !skip.includes(f.key))
    .map((f) => [f.label, fieldText(profile, key, f.key).trim()] as const)
    .filter(([, v]) => v !== '')
    .map(([label, v]) => `${label}：${v}`);
  if (lines.length === 0) return '';
  return heading ? [`【${def.label}】`, ...lines].join('\n') : lines.join('\n');
}

const joinBlocks = (blocks: string[]) => blocks.filter((b) => b !== '').join('\n\n');

function defaultCreatorNotes(profile: Profile): string {
  const url = fieldText(profile, 'source', 'url').trim();
  return url ? `Created with FastNPC. Source: ${url}` : 'Created with FastNPC.';
}

function unixSeconds(t: Date | string | number): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === 'number' ? (t < 1e11 ? t * 1000 : t) : Date.parse(t);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 16);
