import { Value } from '@sinclair/typebox/value';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  cardToCharacter,
  characterToCard,
  parseCard,
  writeCardPng,
  type CardCharacter,
} from '../../../src/features/characters/card.js';
import { readTextChunks } from '../../../src/features/characters/png-chunks.js';
import { ProfileSchema, type Profile } from '../../../src/features/characters/profile.js';
import { fixture, fixtureJson } from './helpers.js';

const createdAt = new Date('2024-06-01T08:00:00Z');
const updatedAt = new Date('2024-06-02T09:30:00Z');

/** A character as FastNPC creates it: a full profile and an LLM-written biography. */
const libai = (): CardCharacter => ({
  name: '李白',
  biography: '李白（701年－762年），字太白，号青莲居士，唐代浪漫主义诗人，被后人誉为“诗仙”。',
  profile: {
    identity: { name: '李白', age: '61岁', occupation: '诗人', intro: '唐代诗人，号青莲居士。', titles: '诗仙' },
    personality: { traits: '豪放不羁，浪漫洒脱', values: '追求自由', likes: '饮酒、游历' },
    background: { origin: '生于西域碎叶城', experiences: ['二十五岁出蜀远游', '供奉翰林'], relationships: ['好友：杜甫'] },
    knowledge: { domains: '诗歌、剑术', skills: '即兴作诗' },
    dialogue: { tone: '豪迈', languageStyle: '诗意' },
    tasks: { goal: '与人论诗饮酒' },
    world: { worldview: '盛唐', timeline: '公元八世纪' },
    system: { consistency: '始终以李白身份说话' },
    source: { id: 'baike:李白', url: 'https://baike.baidu.com/item/李白/1043', size: '约5000字' },
  },
  createdAt,
  updatedAt,
});

/** Import as the service would: parse, map, then store (as JSON) and read back. */
const importCard = (bytes: Buffer) => {
  const c = cardToCharacter(parseCard({ bytes }));
  const stored = JSON.parse(JSON.stringify(c)) as typeof c;
  return { ...stored, createdAt, updatedAt } satisfies CardCharacter;
};

describe('cardToCharacter: a foreign card', () => {
  it('maps description, personality, scenario, first_mes and mes_example into the profile', () => {
    const src = fixtureJson('v2-sillytavern.json').data;
    const { name, profile, biography, cardExtras } = cardToCharacter(parseCard({ bytes: fixture('v2-sillytavern.json') }));
    expect(name).toBe('Seraphina');
    expect(biography).toBe(src.description);
    expect(profile).toEqual({
      identity: { intro: src.description },
      personality: { traits: src.personality },
      world: { worldview: src.scenario },
      dialogue: { greeting: src.first_mes, exampleDialogue: src.mes_example },
    });
    expect(cardExtras.importedFrom).toBe('v2');
    expect(Object.keys(cardExtras.data).sort()).toEqual(
      [
        'alternate_greetings',
        'character_book',
        'character_version',
        'creator',
        'creator_notes',
        'group_only_greetings',
        'post_history_instructions',
        'system_prompt',
        'tags',
      ].sort(),
    );
    expect(cardExtras.data.character_book).toEqual(src.character_book);
    expect(cardExtras.extensions).toEqual(src.extensions);
    expect(cardExtras.topLevel.create_date).toBe('2024-5-1 @12h 30m 15s 123ms');
  });

  it('keeps V3 fields and unknown fields in cardExtras', () => {
    const { cardExtras, profile } = cardToCharacter(parseCard({ bytes: fixture('v3-risu.json') }));
    expect(cardExtras.data).toMatchObject({ nickname: 'Kai', creation_date: 1714550000, x_future_field: { kept: true } });
    expect(cardExtras.data.assets).toHaveLength(3);
    expect(cardExtras.extensions.risuai).toEqual({ utilityBot: false, sdData: [['always', 'solo, 1boy']] });
    expect(profile.dialogue).toEqual({ greeting: '"We\'re closing. ...Fine. One bowl."', exampleDialogue: expect.stringContaining('Eat your noodles') });
  });

  it('leaves out empty fields and cuts an over-long description for the profile, keeping it whole in the biography', () => {
    const long = `${'第一段。'.repeat(1000)}\n${'第二段很长。'.repeat(2000)}`;
    const { profile, biography } = cardToCharacter(parseCard({ bytes: Buffer.from(JSON.stringify({ name: 'Long', description: long })) }));
    expect(biography).toBe(long);
    const intro = (profile.identity as { intro: string }).intro;
    expect(intro.length).toBeLessThanOrEqual(10_000);
    expect(intro.endsWith('…')).toBe(true);
    expect(long.startsWith(intro.slice(0, -1))).toBe(true);
    expect(profile).not.toHaveProperty('personality');
    expect(profile).not.toHaveProperty('dialogue');
  });
});

describe('characterToCard: a FastNPC character', () => {
  it('writes the profile into the card fields and carries it whole in extensions', () => {
    const c = libai();
    const card = characterToCard(c, 'v3');
    expect(card.spec).toBe('chara_card_v3');
    expect(card.spec_version).toBe('3.0');
    const { data } = card;
    expect(data.name).toBe('李白');
    expect(data.description.startsWith(c.biography)).toBe(true);
    expect(data.description).toContain('【基础身份信息】\n姓名：李白\n年龄：61岁\n职业：诗人\n称谓/头衔：诗仙\n人物简介：唐代诗人，号青莲居士。');
    expect(data.description).toContain('经历：二十五岁出蜀远游；供奉翰林');
    expect(data.description).toContain('【对话与交互规范】\n语气：豪迈\n语言风格：诗意');
    expect(data.description).toContain('【系统与控制参数】');
    expect(data.description).not.toContain('唯一标识');
    expect(data.personality).toBe('性格特质：豪放不羁，浪漫洒脱\n价值观：追求自由\n偏好：饮酒、游历');
    expect(data.scenario).toBe('【环境与世界观】\n世界观：盛唐\n时间线：公元八世纪\n\n【任务/功能性信息】\n任务目标：与人论诗饮酒');
    expect(data.first_mes).toBe('');
    expect(data.creator_notes).toBe('Created with FastNPC. Source: https://baike.baidu.com/item/李白/1043');
    expect(data.extensions['fastnpc/profile']).toEqual(c.profile);
    expect(data.extensions['fastnpc/biography']).toBe(c.biography);
    expect(data.assets).toEqual([{ type: 'icon', uri: 'ccdefault:', name: 'main', ext: 'png' }]);
    expect(data.creation_date).toBe(Date.parse('2024-06-01T08:00:00Z') / 1000);
    expect(data.modification_date).toBe(Date.parse('2024-06-02T09:30:00Z') / 1000);
    expect(data).toMatchObject({ alternate_greetings: [], group_only_greetings: [], tags: [], system_prompt: '', post_history_instructions: '' });
  });

  it('writes V2 with the V1 fields mirrored at the top level and no generated V3 fields', () => {
    const card = characterToCard(libai(), 'v2');
    expect(card.spec).toBe('chara_card_v2');
    expect(card.spec_version).toBe('2.0');
    expect(card.name).toBe('李白');
    expect(card.description).toBe(card.data.description);
    expect(card.first_mes).toBe('');
    expect(card.data).not.toHaveProperty('assets');
    expect(card.data).not.toHaveProperty('creation_date');
  });

  it('uses the intro alone as description when there is no biography', () => {
    const card = characterToCard({ ...libai(), biography: '', profile: { identity: { intro: '只有简介。' } } }, 'v2');
    expect(card.data.description).toBe('只有简介。');
    expect(card.data.personality).toBe('');
    expect(card.data.scenario).toBe('');
  });

  it('takes dialogue.greeting and dialogue.exampleDialogue as first_mes and mes_example', () => {
    const c = libai();
    (c.profile.dialogue as Record<string, unknown>).greeting = '“且饮一杯！”';
    (c.profile.dialogue as Record<string, unknown>).exampleDialogue = '<START>\n{{user}}: 先生好\n{{char}}: 请坐。';
    const { data } = characterToCard(c, 'v3');
    expect(data.first_mes).toBe('“且饮一杯！”');
    expect(data.mes_example).toContain('请坐');
    expect(data.description).not.toContain('且饮一杯');
  });

  it('survives missing or malformed cardExtras and odd timestamps', () => {
    for (const cardExtras of [undefined, null, { data: 'x', texts: 5 }] as CardCharacter['cardExtras'][]) {
      const card = characterToCard({ ...libai(), cardExtras, createdAt: 'not a date', updatedAt: 1717000000 }, 'v3');
      expect(card.data.creation_date).toBe(0);
      expect(card.data.modification_date).toBe(1717000000);
      expect(card.data.extensions['fastnpc/profile']).toBeDefined();
    }
  });
});

describe('round trips', () => {
  it('a SillyTavern V2 card comes back with every field, extension and top-level extra', () => {
    const original = fixtureJson('v2-sillytavern.json');
    const out = characterToCard(importCard(fixture('v2-sillytavern.json')), 'v2');
    const { ['fastnpc/profile']: profile, ['fastnpc/biography']: bio, ...otherExtensions } = out.data.extensions;
    expect(otherExtensions).toEqual(original.data.extensions);
    expect({ ...out.data, extensions: otherExtensions }).toEqual(original.data);
    expect(profile).toBeDefined();
    expect(bio).toBe(original.data.description);
    for (const key of ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example', 'tags', 'avatar', 'chat', 'talkativeness', 'fav', 'create_date']) {
      expect(out[key], key).toEqual(original[key]);
    }
  });

  it('a V3 card comes back with assets, lorebook, V3 fields and unknown fields', () => {
    const original = fixtureJson('v3-risu.json');
    const out = characterToCard({ ...importCard(fixture('v3-risu.json')), updatedAt: new Date(1717000000 * 1000) }, 'v3');
    const { ['fastnpc/profile']: _p, ['fastnpc/biography']: _b, ...otherExtensions } = out.data.extensions;
    expect({ ...out.data, extensions: otherExtensions }).toEqual(original.data);
  });

  it('a V1 card exports as V2 with its text intact', () => {
    const original = fixtureJson('v1.json');
    const out = characterToCard(importCard(fixture('v1.json')), 'v2');
    for (const key of ['name', 'description', 'personality', 'scenario', 'first_mes', 'mes_example'] as const) expect(out.data[key]).toBe(original[key]);
    expect(out.chat).toBe(original.chat);
  });

  it('edits made in FastNPC reach the export; untouched fields keep their imported text', () => {
    const c = importCard(fixture('v2-sillytavern.json'));
    (c.profile.personality as Record<string, unknown>).traits = '温柔、坚定';
    (c.profile.personality as Record<string, unknown>).values = '守护森林';
    const out = characterToCard(c, 'v2');
    expect(out.data.personality).toBe('性格特质：温柔、坚定\n价值观：守护森林');
    expect(out.data.description).toBe(fixtureJson('v2-sillytavern.json').data.description);
    expect(out.data.scenario).toBe(fixtureJson('v2-sillytavern.json').data.scenario);
  });

  it('a generated description does not repeat the imported description when other sections are added', () => {
    const c = importCard(fixture('v1.json'));
    c.profile.identity = { ...(c.profile.identity as object), occupation: '灯塔看守人' };
    const out = characterToCard(c, 'v2');
    expect(out.data.description).toBe('A grumpy lighthouse keeper who has not seen a ship in years.\n\n【基础身份信息】\n职业：灯塔看守人');
  });

  it('a FastNPC character survives export to PNG and import, exactly', async () => {
    const c = libai();
    const avatar = await sharp({ create: { width: 32, height: 32, channels: 3, background: '#123456' } }).png().toBuffer();
    const png = writeCardPng(characterToCard(c, 'v2'), characterToCard(c, 'v3'), avatar);
    const parsed = parseCard({ bytes: png, filename: 'libai.png' });
    expect(parsed.version).toBe('v3');
    const back = cardToCharacter(parsed);
    expect(back.name).toBe(c.name);
    expect(back.profile).toEqual(c.profile);
    expect(back.biography).toBe(c.biography);
    // And a second export is identical to the first.
    const again = characterToCard({ ...back, createdAt, updatedAt }, 'v3');
    expect(again).toEqual(characterToCard(c, 'v3'));
  });

  it('text edited in another tool is kept on the next export while our profile is unchanged', () => {
    const exported = characterToCard(libai(), 'v3');
    exported.data.description = 'Edited in SillyTavern.';
    exported.data.first_mes = '“又见面了。”';
    const back = importCard(Buffer.from(JSON.stringify(exported)));
    expect(back.profile.identity).toEqual(libai().profile.identity);
    expect((back.profile.dialogue as Record<string, unknown>).greeting).toBe('“又见面了。”');
    const out = characterToCard(back, 'v3');
    expect(out.data.description).toBe('Edited in SillyTavern.');
    expect(out.data.first_mes).toBe('“又见面了。”');
  });
});

describe('writeCardPng', () => {
  it('embeds V2 as chara and V3 as ccv3 (base64 tEXt), replacing any card already in the image', async () => {
    const v2 = characterToCard(libai(), 'v2');
    const v3 = characterToCard(libai(), 'v3');
    const png = writeCardPng(v2, v3, fixture('chara-only.png'));
    const texts = readTextChunks(png);
    expect(texts.map((t) => [t.chunk, t.keyword])).toEqual([
      ['tEXt', 'chara'],
      ['tEXt', 'ccv3'],
    ]);
    const decode = (text: string) => JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
    expect(decode(texts[0].text)).toEqual(v2);
    expect(decode(texts[1].text)).toEqual(v3);
    expect((await sharp(png).metadata()).format).toBe('png');
  });
});

// Keeps the Profile type import honest: a profile with unknown sections and fields is carried as is.
it('carries unknown profile sections and fields in the extension', () => {
  const profile: Profile = { ...libai().profile, extraSection: { anything: 1 }, identity: { name: '李白', nickname: '太白' } };
  const out = characterToCard({ ...libai(), profile }, 'v3');
  expect(cardToCharacter(parseCard({ bytes: Buffer.from(JSON.stringify(out)) })).profile).toEqual(profile);
});

describe('cardToCharacter: profile validity', () => {
  it('gives a profile that passes the stored-profile schema, even for an over-long card', () => {
    const card = { name: 'Big', description: 'd'.repeat(30_000), personality: 'p'.repeat(12_000), scenario: 's', mes_example: 'm'.repeat(20_000) };
    const { profile } = cardToCharacter(parseCard({ bytes: Buffer.from(JSON.stringify(card)) }));
    expect(Value.Check(ProfileSchema, profile)).toBe(true);
    expect(Value.Check(ProfileSchema, cardToCharacter(parseCard({ bytes: fixture('v3-risu.json') })).profile)).toBe(true);
  });

  it('ignores a mangled fastnpc/profile and maps the card fields instead', () => {
    const exported = characterToCard(libai(), 'v3');
    exported.data.extensions['fastnpc/profile'] = { identity: { name: 42 } };
    const { profile, cardExtras } = cardToCharacter(parseCard({ bytes: Buffer.from(JSON.stringify(exported)) }));
    expect((profile.identity as Record<string, unknown>).intro).toBe(exported.data.description);
    expect(profile.personality).toEqual({ traits: exported.data.personality });
    expect(cardExtras.extensions).not.toHaveProperty('fastnpc/profile');
  });
});

it('keeps fields named like Object.prototype members without polluting anything', () => {
  const text = '{"spec":"chara_card_v2","spec_version":"2.0","data":{"name":"P","constructor":"c","__proto__":{"polluted":true}}}';
  const out = characterToCard(importCard(Buffer.from(text)), 'v2');
  expect(Object.getPrototypeOf(out.data)).toBe(Object.prototype);
  expect(Object.hasOwn(out.data, 'constructor') && out.data.constructor).toBe('c');
  expect(JSON.parse(JSON.stringify(out)).data.__proto__).toEqual({ polluted: true });
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
