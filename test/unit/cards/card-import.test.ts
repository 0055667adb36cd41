import { describe, expect, it } from 'vitest';
import { MAX_CARD_BYTES, parseCard } from '../../../src/features/characters/card.js';
import { encodeTextChunk, writeTextChunks } from '../../../src/features/characters/png-chunks.js';
import { fixture, fixtureJson, thrown } from './helpers.js';

const json = (v: unknown) => ({ bytes: Buffer.from(JSON.stringify(v)) });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');
const pngWith = (...chunks: Array<[string, string]>) =>
  writeTextChunks(
    fixture('plain.png'),
    chunks.map(([keyword, text]) => ({ keyword, text })),
  );
const v2 = (data: Record<string, unknown>) => ({ spec: 'chara_card_v2', spec_version: '2.0', data: { name: 'N', ...data } });
const cardMessage = (input: Parameters<typeof parseCard>[0]) => {
  const err = thrown(() => parseCard(input));
  expect(err.code).toBe('validation:card');
  expect(err.status).toBe(400);
  return err.message;
};

describe('parseCard: JSON files as other tools write them', () => {
  it('reads a SillyTavern V2 export, dropping its top-level V1 mirror and keeping its own extras', () => {
    const { card, version, topLevel } = parseCard({ bytes: fixture('v2-sillytavern.json'), filename: 'Seraphina.json' });
    expect(version).toBe('v2');
    expect(card.name).toBe('Seraphina');
    expect(card.personality).toBe('caring, protective, compassionate, gentle, wise');
    expect(card.alternate_greetings).toHaveLength(2);
    expect(card.character_book!.entries).toHaveLength(1);
    expect(card.extensions.depth_prompt).toEqual({ prompt: '{{char}} speaks gently.', depth: 4, role: 'system' });
    expect(card.group_only_greetings).toEqual([]);
    expect(topLevel).toEqual({
      avatar: 'none',
      chat: 'Seraphina - 2024-5-1 @12h 30m 15s 123ms',
      talkativeness: '0.5',
      fav: false,
      create_date: '2024-5-1 @12h 30m 15s 123ms',
    });
  });

  it('reads a V3 card with assets, lorebook, V3 fields and an unknown future field', () => {
    const { card, version } = parseCard({ bytes: fixture('v3-risu.json') });
    expect(version).toBe('v3');
    expect(card.nickname).toBe('Kai');
    expect(card.assets!.map((a) => a.type)).toEqual(['icon', 'emotion', 'x_risu_background']);
    expect(card.source).toEqual(['https://example.org/cards/kaito']);
    expect(card.creator_notes_multilingual!.ja).toBe('スローバーンな物語向き。');
    expect(card.creation_date).toBe(1714550000);
    expect(card.character_book!.scan_depth).toBe(5);
    expect(card.x_future_field).toEqual({ kept: true });
  });

  it('reads a flat V1 card, filling V2 defaults and keeping unknown keys top-level', () => {
    const { card, version, topLevel } = parseCard({ bytes: fixture('v1.json') });
    expect(version).toBe('v1');
    expect(card).toMatchObject({
      name: 'Old Tom',
      scenario: 'A storm drives {{user}} to the lighthouse door.',
      creator_notes: '',
      system_prompt: '',
      alternate_greetings: [],
      tags: [],
      extensions: {},
      group_only_greetings: [],
    });
    expect(card).not.toHaveProperty('avatar');
    expect(topLevel).toEqual({ avatar: 'none', chat: 'Old Tom - 2023-4-2 @10h 0m 0s 0ms', create_date: '2023-4-2 @10h 0m 0s 0ms' });
  });

  it('takes creator notes from SillyTavern\'s V1 "creatorcomment"', () => {
    const { card, topLevel } = parseCard(json({ name: 'A', creatorcomment: 'notes' }));
    expect(card.creator_notes).toBe('notes');
    expect(topLevel).toEqual({});
  });

  it('accepts a UTF-8 BOM, null fields, a numeric character_version and comma-separated tags', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(v2({ description: null, character_version: 2, tags: 'a, b,,c', extensions: null })))]);
    const { card } = parseCard({ bytes });
    expect(card.description).toBe('');
    expect(card.character_version).toBe('2');
    expect(card.tags).toEqual(['a', 'b', 'c']);
    expect(card.extensions).toEqual({});
  });

  it('treats a spec-less card with a data object as V2', () => {
    const { version, card } = parseCard(json({ data: { name: 'Spec-less' } }));
    expect(version).toBe('v2');
    expect(card.name).toBe('Spec-less');
  });
});

describe('parseCard: PNG cards', () => {
  it('reads a PNG with only a chara chunk', () => {
    const { card, version, topLevel } = parseCard({ bytes: fixture('chara-only.png'), filename: 'card.png', contentType: 'image/png' });
    expect(version).toBe('v2');
    expect(card.name).toBe('Seraphina');
    expect(topLevel.create_date).toBe('2024-5-1 @12h 30m 15s 123ms');
  });

  it('prefers ccv3 when both chunks are present and differ', () => {
    const { card, version } = parseCard({ bytes: fixture('both-chunks.png') });
    expect(version).toBe('v3');
    expect(card.name).toBe('Kaito');
  });

  it('reads compressed and uncompressed iTXt chunks', () => {
    expect(parseCard({ bytes: fixture('itxt.png') }).card.name).toBe('Seraphina');
    expect(parseCard({ bytes: fixture('itxt-uncompressed.png') })).toMatchObject({ version: 'v3', card: { name: 'Kaito' } });
  });

  it('decodes UTF-8 text inside the base64', () => {
    const { card } = parseCard({ bytes: pngWith(['chara', b64(v2({ name: '李白', description: '唐代诗人，字太白。' }))]) });
    expect(card).toMatchObject({ name: '李白', description: '唐代诗人，字太白。' });
  });

  it('accepts raw JSON in the chunk, as a few old exporters wrote it', () => {
    expect(parseCard({ bytes: pngWith(['chara', JSON.stringify({ name: 'Raw' })]) }).card.name).toBe('Raw');
  });

  it('falls back to chara when ccv3 is broken, and reports ccv3 when both are', () => {
    const fallback = parseCard({ bytes: pngWith(['chara', b64(v2({ name: 'From chara' }))], ['ccv3', '%%%']) });
    expect(fallback).toMatchObject({ version: 'v2', card: { name: 'From chara' } });
    expect(cardMessage({ bytes: pngWith(['chara', '@@@'], ['ccv3', '%%%']) })).toMatch(/"ccv3" chunk is not valid base64/);
  });

  it('names each problem with a PNG', () => {
    expect(cardMessage({ bytes: fixture('bad-base64.png') })).toMatch(/"chara" chunk is not valid base64/);
    expect(cardMessage({ bytes: fixture('truncated.png') })).toMatch(/truncated PNG/);
    expect(cardMessage({ bytes: fixture('plain.png') })).toMatch(/no "chara" or "ccv3" text chunk/);
    expect(cardMessage({ bytes: pngWith(['chara', Buffer.from('{"name": ').toString('base64')]) })).toMatch(/"chara" chunk is not valid JSON/);
    expect(cardMessage({ bytes: pngWith(['chara', Buffer.from([0xff, 0xfe, 0x00]).toString('base64')]) })).toMatch(/not UTF-8/);
    expect(cardMessage({ bytes: pngWith(['chara', b64({ spec: 'chara_card_v2', data: { description: 'x' } })]) })).toMatch(/missing data\.name/);
  });

  it('ignores an unrelated broken text chunk next to the card', () => {
    const png = writeTextChunks(fixture('chara-only.png'), []);
    const withOther = Buffer.concat([png.subarray(0, png.length - 12), encodeTextChunk('Comment', 'x'), png.subarray(png.length - 12)]);
    expect(parseCard({ bytes: withOther }).card.name).toBe('Seraphina');
  });
});

describe('parseCard: malformed input', () => {
  it('refuses files that are neither PNG nor JSON, saying what they look like', () => {
    expect(cardMessage({ bytes: Buffer.from('just some notes\n'), filename: 'card.png', contentType: 'image/png' })).toBe(
      '"card.png" (image/png) is not a PNG or JSON character card; export the card as PNG or JSON',
    );
    expect(cardMessage({ bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]) })).toMatch(/it is a JPEG image/);
    expect(cardMessage({ bytes: Buffer.from('RIFF\0\0\0\0WEBPVP8 ') })).toMatch(/it is a WebP image/);
    expect(cardMessage({ bytes: Buffer.from('PK\x03\x04card.json') })).toMatch(/CHARX cards are not supported/);
    expect(cardMessage({ bytes: Buffer.alloc(0) })).toMatch(/empty/);
  });

  it('names invalid JSON and a non-object card', () => {
    expect(cardMessage({ bytes: Buffer.from('{"name": "x",}') })).toMatch(/^the JSON file is not valid JSON \(/);
    expect(cardMessage({ bytes: Buffer.from('["name"]') })).toBe('the card JSON must be an object');
  });

  it('names the missing or mistyped field', () => {
    expect(cardMessage(json({ spec: 'chara_card_v2', data: { name: '  ' } }))).toMatch(/missing data\.name/);
    expect(cardMessage(json({ description: 'no name' }))).toMatch(/^missing name/);
    expect(cardMessage(json(v2({ description: 42 })))).toBe('field data.description must be a string');
    expect(cardMessage(json({ name: 'V1', personality: ['x'] }))).toBe('field personality must be a string');
    expect(cardMessage(json(v2({ tags: ['ok', 1] })))).toBe('field data.tags must be an array of strings');
    expect(cardMessage(json(v2({ alternate_greetings: 'hi' })))).toBe('field data.alternate_greetings must be an array of strings');
    expect(cardMessage(json(v2({ extensions: [] })))).toBe('field data.extensions must be an object');
    expect(cardMessage(json(v2({ character_book: { name: 'no entries' } })))).toMatch(/character_book must be an object with an "entries" array/);
    expect(cardMessage(json(v2({ character_book: { entries: ['x'] } })))).toMatch(/character_book\.entries must hold objects/);
    expect(cardMessage(json({ spec: 'chara_card_v3', data: { name: 'x', assets: [{ type: 'icon' }] } }))).toBe(
      'field data.assets[0] must be an object with string "type" and "uri"',
    );
    expect(cardMessage(json({ spec: 'chara_card_v3', data: { name: 'x', creation_date: 'yesterday' } }))).toBe(
      'field data.creation_date must be a number (Unix seconds)',
    );
    expect(cardMessage(json({ spec: 'chara_card_v3', data: { name: 'x', source: 'https://a' } }))).toBe('field data.source must be an array of strings');
  });

  it('names a wrong spec and a missing data object', () => {
    expect(cardMessage(json({ spec: 'lorebook_v3', data: { entries: [] } }))).toMatch(/lorebook.*not a character card/);
    expect(cardMessage(json({ spec: 'chara_card_v9', data: { name: 'x' } }))).toMatch(/unsupported card spec "chara_card_v9"/);
    expect(cardMessage(json({ spec: 'chara_card_v3', spec_version: '3.0', name: 'x' }))).toMatch(/missing data/);
  });

  it('accepts a numeric-string creation date and a newer spec_version', () => {
    const { card } = parseCard(json({ spec: 'chara_card_v3', spec_version: '3.1', data: { name: 'x', creation_date: '1714550000' } }));
    expect(card.creation_date).toBe(1714550000);
  });

  it('limits a card file to 10 MB and its JSON to 2 MB', () => {
    const huge = thrown(() => parseCard({ bytes: Buffer.alloc(MAX_CARD_BYTES + 1) }));
    expect([huge.code, huge.status]).toEqual(['payload_too_large', 413]);

    const bigJson = Buffer.from(JSON.stringify({ name: 'x', description: 'a'.repeat(2 * 1024 * 1024) }));
    expect(thrown(() => parseCard({ bytes: bigJson })).message).toMatch(/larger than 2 MB/);

    const bigChunk = pngWith(['ccv3', b64(v2({ description: 'a'.repeat(2 * 1024 * 1024) }))]);
    const err = thrown(() => parseCard({ bytes: bigChunk }));
    expect(err.code).toBe('payload_too_large');
    expect(err.message).toMatch(/in the "ccv3" chunk is larger than 2 MB/);
  });

  it('does not mutate the card objects it was given', () => {
    const raw = fixtureJson('v2-sillytavern.json');
    const before = structuredClone(raw);
    parseCard(json(raw));
    expect(raw).toEqual(before);
  });
});
