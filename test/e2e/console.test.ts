/**
 * The operator's console in Chromium: an admin edits the chat rules as a new version, activates it,
 * and the next chat prompt uses it; feedback sent from the sidebar gets a reply in the inbox and
 * the sender sees the badge.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './stack.js';
import { cardJson } from '../support/characters.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

describe('operator console in Chromium', { timeout: 120_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
    stack = await startStack();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'] });
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(stack.baseUrl);
    await page.getByRole('tab', { name: '注册' }).click();
    await page.getByLabel('用户名').fill('operator');
    await page.getByLabel('密码').fill('correct horse battery');
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.getByRole('button', { name: '管理' }).waitFor();
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.close();
  });

  it('edits the chat rules as a new version, activates it, and the next chat prompt uses it', async () => {
    const imported = await page.evaluate(async (body) => {
      const fd = new FormData();
      fd.append('file', new Blob([body], { type: 'application/json' }), 'card.json');
      const r = await fetch('/api/characters/import', { method: 'POST', body: fd });
      return r.json();
    }, JSON.stringify(cardJson('李白')));
    const characterId = (imported.character ?? imported).id as number;

    await page.getByRole('button', { name: '管理' }).click();
    await page.getByRole('tab', { name: '提示词' }).click();
    await page.getByRole('button', { name: /chat\.rules/ }).click();
    const editor = page.getByLabel('提示词文本');
    await expect.poll(() => editor.inputValue()).toContain('{character_name}');
    await editor.fill('你是{character_name}，回答只用一句诗。');
    await page.getByLabel('版本说明').fill('poetic');
    await page.getByRole('button', { name: '保存为新版本' }).click();
    const v2 = page.getByRole('row', { name: /v2/ });
    await v2.waitFor();
    await v2.getByRole('button', { name: '启用' }).click();
    await expect.poll(() => page.getByRole('row', { name: /v2/ }).textContent()).toContain('当前');

    const rules = await page.evaluate(async (id) => {
      const r = await fetch(`/api/characters/${id}/prompt`);
      return (await r.json()).parts.find((p: { name: string }) => p.name === 'rules').text as string;
    }, characterId);
    expect(rules).toContain('你是李白，回答只用一句诗。');

    // Rolling back is one click on the older version.
    await page.getByRole('row', { name: /v1/ }).getByRole('button', { name: '回滚到此版本' }).click();
    await expect.poll(() => page.getByRole('row', { name: /v1/ }).textContent()).toContain('当前');
  });

  it('sends feedback, replies from the inbox, and shows the sender a badge', async () => {
    await page.getByRole('button', { name: '意见反馈' }).click();
    const dialog = page.getByRole('dialog', { name: '意见反馈' });
    await dialog.getByLabel('内容').fill('希望回复更短一些');
    await dialog.getByRole('button', { name: '提交' }).click();
    await dialog.getByText('已提交，谢谢！').waitFor();
    await dialog.getByRole('button', { name: '关闭' }).click();

    await page.getByRole('tab', { name: '反馈' }).click();
    await page.getByText('希望回复更短一些').first().waitFor();
    await page.getByLabel('回复').fill('已经调整了，请再试试');
    await page.getByRole('button', { name: '发送回复' }).click();
    await page.getByRole('tab', { name: /处理中/ }).click();
    await page.getByText('已经调整了，请再试试').waitFor();

    await page.reload();
    await page.getByRole('button', { name: '意见反馈（1 条新回复）' }).click();
    await page.getByRole('dialog', { name: '意见反馈' }).getByText('已经调整了，请再试试').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
