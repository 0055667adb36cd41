/**
 * API keys in the web app (Chromium against the built server and the mock LLM): create a key
 * limited to one character in Settings, copy it once, talk to 李白 with the official `openai` SDK
 * streaming through /v1, see "last used", then revoke it in the app and watch the SDK get 401.
 * Screenshots (zh-CN light desktop, English dark, 390 px phone) go to test-output/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient } from '../support/app.js';
import { importCard } from '../support/characters.js';
import { ROOT, startStack, type Stack } from './stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'screenshots');

describe('API keys in the web app', { timeout: 120_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let token = '';
  const pageErrors: string[] = [];
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    const api = new TestClient(stack.baseUrl);
    await api.register('keyuser');
    await importCard(api, '李白');
    await importCard(api, '杜甫');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN', colorScheme: 'light' });
    const [name, value] = api.cookie.split('=');
    await context.addCookies([{ name: name!, value: value!, url: stack.baseUrl }]);
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.close();
  });

  it('creates a key limited to one character and shows it once, with a copy button', async () => {
    await page.goto(`${stack.baseUrl}/settings`);
    const s = page.getByRole('dialog', { name: '设置' });
    await s.getByRole('heading', { name: 'API 密钥' }).waitFor();
    await s.getByText(`${stack.baseUrl}/v1`).waitFor();
    await s.getByRole('button', { name: '新建密钥' }).click();
    await s.getByLabel('名称').fill('LobeChat 笔记本');
    await s.getByLabel('有效期').selectOption('90');
    await s.getByLabel('只允许部分角色或群聊').check();
    await s.getByLabel('李白').check();
    await s.locator('form.api-key-form').getByRole('button', { name: '新建密钥' }).click();
    const input = s.getByLabel('密钥', { exact: true });
    await input.waitFor();
    token = await input.inputValue();
    expect(token).toMatch(/^fnpc_/);
    await s.getByText('现在就复制保存').waitFor();
    await s.getByRole('button', { name: '复制' }).waitFor();
    await s.getByRole('heading', { name: 'API 密钥' }).scrollIntoViewIfNeeded();
    await shot('30-api-key-created');
    await s.getByRole('button', { name: '我已保存' }).click();
    await input.waitFor({ state: 'detached' });
    await s.getByText('仅限：李白').waitFor();
  });

  it('the key talks to 李白 through /v1 with the official SDK, streaming; the app shows it was used', async () => {
    const sdk = new OpenAI({ baseURL: `${stack.baseUrl}/v1`, apiKey: token, maxRetries: 0 });
    let text = '';
    for await (const chunk of await sdk.chat.completions.create({ model: '李白', stream: true, messages: [{ role: 'user', content: '你好，还记得我吗？' }] })) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    await expect(sdk.chat.completions.create({ model: '杜甫', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 404 });

    await page.reload();
    const s = page.getByRole('dialog', { name: '设置' });
    await s.locator('.api-key-row').filter({ hasText: 'LobeChat 笔记本' }).waitFor();
    await expect.poll(async () => s.locator('.api-key-row').first().innerText()).not.toContain('最近使用：从不');
  });

  it('reads well in English, dark, and on a phone', async () => {
    await page.getByRole('dialog', { name: '设置' }).getByLabel('语言').selectOption('en');
    await page.getByRole('dialog', { name: 'Settings' }).getByRole('heading', { name: 'API keys' }).waitFor();
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
    });
    await page.locator('.api-key-row').first().scrollIntoViewIfNeeded();
    await shot('31-api-keys-en-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('heading', { name: 'API keys' }).scrollIntoViewIfNeeded();
    await shot('32-api-keys-phone');
    await page.evaluate(() => {
      delete document.documentElement.dataset.theme;
    });
  });

  it('revokes the key in the app: the SDK gets 401 at once', async () => {
    const s = page.getByRole('dialog', { name: 'Settings' });
    await s.locator('.api-key-row').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog', { name: /Revoke the key/ }).getByRole('button', { name: 'Revoke' }).click();
    await s.getByText('No keys yet.').waitFor();
    const sdk = new OpenAI({ baseURL: `${stack.baseUrl}/v1`, apiKey: token, maxRetries: 0 });
    await expect(sdk.models.list()).rejects.toMatchObject({ status: 401 });
    expect(pageErrors).toEqual([]);
  });
});
