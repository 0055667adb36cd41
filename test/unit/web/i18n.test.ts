import { describe, expect, it } from 'vitest';
import { describeError, detectLocale, errorField, interpolate, makeTranslate } from '../../../web/src/i18n/core.js';
import { en } from '../../../web/src/i18n/en.js';
import { zhCN } from '../../../web/src/i18n/zh-CN.js';
import { applyEdits, fieldToText, SECTIONS, textToField } from '../../../web/src/features/characters/profile-sections.js';

describe('i18n', () => {
  it('both dictionaries have the same keys and no empty strings', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(zhCN).sort());
    for (const [k, v] of [...Object.entries(en), ...Object.entries(zhCN)]) expect(v.trim(), k).not.toBe('');
  });

  it('placeholders agree between languages', () => {
    const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const k of Object.keys(zhCN) as (keyof typeof zhCN)[]) expect(ph(en[k]), k).toEqual(ph(zhCN[k]));
  });

  it('detects the locale: stored choice, then browser languages, then English', () => {
    expect(detectLocale('en', ['zh-CN'])).toBe('en');
    expect(detectLocale(null, ['zh-TW', 'en'])).toBe('zh-CN');
    expect(detectLocale(null, ['en-GB', 'zh'])).toBe('en');
    expect(detectLocale('fr', ['fr-FR'])).toBe('en');
    expect(detectLocale(null, [])).toBe('en');
  });

  it('interpolates and leaves unknown placeholders visible', () => {
    expect(interpolate('{a} and {b}', { a: 1 })).toBe('1 and {b}');
    expect(makeTranslate('en')('chat.start', { name: '李白' })).toBe('Say hello to 李白');
    expect(makeTranslate('zh-CN')('chat.start', { name: '李白' })).toBe('和 李白 打个招呼吧');
  });

  it('describes errors in plain words', () => {
    const t = makeTranslate('en');
    expect(describeError(t, { status: 0, code: 'network', message: 'Failed to fetch' })).toMatch(/Cannot reach/);
    expect(describeError(t, { status: 429, code: 'rate_limited', message: 'x', retryAfter: 4.2 })).toBe('Too many requests. Try again in 5 s.');
    expect(describeError(t, { status: 503, code: 'llm_unavailable', message: 'x' })).toMatch(/busy or down/);
    expect(describeError(t, { status: 500, code: 'internal', message: 'stack…' })).not.toMatch(/stack/);
    expect(describeError(t, { status: 400, code: 'bad_request', message: 'name is odd' })).toBe('Something went wrong: name is odd');
  });

  it('words schema failures from code, field, rule and limit, in the user\'s language, never the server\'s English', () => {
    const short = { status: 400, code: 'validation', message: 'body.password: must NOT have fewer than 8 characters', details: { code: 'validation', field: 'password', rule: 'minLength', limit: 8 } };
    expect(describeError(makeTranslate('zh-CN'), short)).toBe('密码至少需要 8 个字符');
    expect(describeError(makeTranslate('en'), short)).toBe('Password needs at least 8 characters');
    expect(errorField(short)).toBe('password');
    const long = { status: 400, code: 'validation', message: 'x', details: { field: 'name', rule: 'maxLength', limit: 64 } };
    expect(describeError(makeTranslate('zh-CN'), long)).toBe('名称最多 64 个字符');
    const missing = { status: 400, code: 'validation', message: 'x', details: { field: 'username', rule: 'required' } };
    expect(describeError(makeTranslate('en'), missing)).toBe('Username is required');
    expect(describeError(makeTranslate('zh-CN'), { status: 400, code: 'validation', details: { field: 'username', rule: 'pattern' } })).toMatch(/字母、数字/);
    // Unknown field or rule: still our words, no English from the server.
    expect(describeError(makeTranslate('zh-CN'), { status: 400, code: 'validation', message: 'body: must be object', details: { rule: 'type' } })).toBe('输入有误，请检查后重试');
    expect(describeError(makeTranslate('zh-CN'), { status: 400, code: 'validation', message: 'x', details: { field: 'weird', rule: 'type' } })).toBe('weird无效');
  });

  it('words known error codes and says which field they belong to', () => {
    const zh = makeTranslate('zh-CN');
    expect(describeError(zh, { status: 409, code: 'conflict:username', message: 'That username is taken' })).toBe('这个用户名已被占用');
    expect(errorField({ code: 'conflict:username' })).toBe('username');
    expect(describeError(zh, { status: 401, code: 'unauthorized:credentials', message: 'Wrong username or password' })).toBe('用户名或密码错误');
    expect(describeError(zh, { status: 400, code: 'validation:avatar', message: 'the PNG image could not be read (corrupt or truncated)' })).toMatch(/无法读取这张图片/);
    expect(describeError(zh, { status: 400, code: 'validation:png', message: 'truncated PNG: chunk IDAT' })).not.toMatch(/IDAT/);
    expect(describeError(zh, { status: 502, code: 'source_unavailable:unreachable', message: 'connect ECONNREFUSED' })).toMatch(/连不上该网站/);
    expect(describeError(zh, { status: 502, code: 'source_unavailable:upstream', message: 'x' })).toMatch(/粘贴文本/);
    expect(errorField({ code: 'internal' })).toBeUndefined();
  });
});

describe('profile sections (web copy)', () => {
  it('has the nine sections', () => {
    expect(SECTIONS.map((s) => s.key)).toEqual(['identity', 'personality', 'background', 'knowledge', 'dialogue', 'tasks', 'world', 'system', 'source']);
  });

  it('round-trips list fields one per line and keeps unknown fields', () => {
    expect(fieldToText(['a', 'b'], true)).toBe('a\nb');
    expect(textToField(' a \n\n b ', true)).toEqual(['a', 'b']);
    const p = applyEdits({ background: { experiences: ['x'], custom: 1 }, extra: { k: 'v' } }, { background: { experiences: 'y\nz' } });
    expect(p.background).toEqual({ experiences: ['y', 'z'], custom: 1 });
    expect(p.extra).toEqual({ k: 'v' });
  });
});
