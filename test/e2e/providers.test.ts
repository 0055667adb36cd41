/**
 * Issue 18 in Chromium, as a newcomer does it: open the admin area, connect an OpenAI-compatible
 * provider (a mock LLM that checks its key), test it, add one of its listed models, pick it for
 * 李白, and the next reply comes from that model — no restart. Screenshots in both themes, both
 * languages and at phone size go to test-output/screenshots/providers-*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockLlm, type MockLlm } from '../../tools/mock-llm.js';
import { cardJson } from '../support/characters.js';
import { launchChromium, openPage, ROOT, startStack, type Stack } from './stack.js';

const SHOTS = join(ROOT, 'test-output', 'screenshots');
const KEY = `sk-e2e-${randomBytes(6).toString('hex')}`;

let stack: Stack;
let keyed: MockLlm;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
let characterId = 0;
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `providers-${name}.png`), fullPage: true });

describe('providers and models in Chromium', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    keyed = await startMockLlm({ port: 0, ttftMs: 50, tokens: 12, tps: 200, apiKey: KEY, models: ['mock-model', 'mock-model-large'] });
    stack = await startStack();
    browser = await launchChromium();
    page = await openPage(browser, pageErrors);
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.close();
    await keyed?.close();
  });

  it('connects a provider, tests it, picks one of its models for a character, and the reply comes from it', async () => {
    await page.goto(stack.baseUrl);
    await page.getByLabel('用户名').fill('boss');
    await page.getByLabel('密码').fill('a good long password');
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.locator('#sidebar').waitFor();
    const card = Buffer.from(JSON.stringify(cardJson('李白')));
    const imported = await page.request.post(`${stack.baseUrl}/api/characters/import`, { multipart: { file: { name: 'card.json', mimeType: 'application/json', buffer: card } } });
    expect(imported.status()).toBe(201);
    characterId = (await imported.json()).id;
    await page.reload();
    await page.locator('.nav-item').filter({ hasText: '李白' }).waitFor();

    await page.getByRole('button', { name: '管理' }).click();
    await page.getByRole('tab', { name: '模型与服务商' }).click();
    await page.getByRole('button', { name: '添加服务商' }).waitFor();
    await shot('01-admin-env-only');

    await page.getByRole('button', { name: '添加服务商' }).click();
    const form = page.getByRole('dialog', { name: '添加服务商' });
    await form.getByLabel('类型').selectOption('custom');
    await form.getByLabel('名称', { exact: true }).fill('我的模型服务');
    await form.getByLabel('接口地址（Base URL）').fill(keyed.url);
    await form.getByLabel(/^API 密钥/).fill(KEY);
    await shot('02-add-form');
    await form.getByRole('button', { name: '保存' }).click();
    await form.waitFor({ state: 'detached' });

    const card1 = page.locator('section[data-provider="我的模型服务"]');
    await card1.getByText('密钥 ••••').waitFor();
    expect(await page.content()).not.toContain(KEY);
    await card1.getByRole('button', { name: '测试连接' }).click();
    const result = card1.getByTestId('probe-result');
    await result.getByText('连接正常').waitFor();
    await shot('03-tested');
    await result.getByRole('button', { name: '+ mock-model-large' }).click();
    const row = card1.locator('tr[data-model="mock-model-large"]');
    await row.waitFor();
    await row.getByLabel('mock-model-large: 显示名称').fill('Mock 大模型');
    await row.getByRole('button', { name: '保存' }).click();
    await page.getByText('已保存').first().waitFor();
    await shot('04-model-added');

    // The character picks the new model; the next reply comes from it.
    await page.locator('.nav-item').filter({ hasText: '李白' }).click();
    const info = page.locator('.info');
    const picker = info.locator('select[name=model]');
    await picker.locator('option', { hasText: 'Mock 大模型' }).waitFor({ state: 'attached' });
    const key = await picker.locator('option', { hasText: 'Mock 大模型' }).getAttribute('value');
    await picker.selectOption(key!);
    await info.getByLabel(/温度/).fill('0.7');
    await info.getByRole('button', { name: '保存' }).last().click();
    await page.getByText('已保存').first().waitFor();
    await shot('05-character-model');

    const before = keyed.stats().models['mock-model-large'] ?? 0;
    const input = page.getByRole('textbox', { name: '消息' });
    const replies = page.locator('article[data-role="assistant"][data-status="complete"]');
    const shown = await replies.count(); // the greeting
    await input.fill('你好');
    await input.press('Enter');
    await replies.nth(shown).waitFor({ timeout: 30_000 }).catch(async (e) => {
      await shot('06-chat-failed');
      console.log(stack.logs().slice(-3000), JSON.stringify(keyed.stats()));
      throw e;
    });
    expect(keyed.stats().models['mock-model-large']).toBe(before + 1);
    await shot('06-chat');
  });

  it('shows the providers page in English, dark, and on a phone', async () => {
    await page.keyboard.press('Escape'); // a dialog left open by a failed step must not block this one
    await page.getByRole('button', { name: '设置' }).click();
    const s = page.getByRole('dialog', { name: '设置' });
    await s.locator('select[name=chatModel]').locator('option', { hasText: 'Mock 大模型' }).waitFor({ state: 'attached' });
    await shot('07-settings-picker');
    await s.getByLabel('语言').selectOption('en');
    await page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Close' }).first().click();
    await page.getByRole('button', { name: 'Admin' }).click();
    await page.getByRole('tab', { name: 'Providers & models' }).click();
    await page.getByRole('button', { name: 'Add provider' }).waitFor();
    await page.getByText('From environment (read-only)').waitFor();
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
    });
    await shot('08-english-dark');
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole('button', { name: 'Add provider' }).waitFor();
    await shot('09-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // The character's model settings in the phone's info sheet.
    await page.goto(`${stack.baseUrl}/characters/${characterId}`);
    await page.getByRole('button', { name: 'Info' }).click();
    const sheet = page.getByRole('dialog', { name: '李白' });
    await sheet.getByText('Model and generation').scrollIntoViewIfNeeded();
    await poll(() => sheet.locator('select[name=model] option:checked').textContent()).toContain('Mock 大模型');
    await page.screenshot({ path: join(SHOTS, 'providers-10-phone-character.png') });
    expect(pageErrors).toEqual([]);
  });
});
