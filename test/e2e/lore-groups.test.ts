/**
 * Lorebooks and group message actions in Chromium against the real server and the mock LLM:
 * a character's own lorebook (add an entry → it fires in the chat), the Lorebooks page (import
 * SillyTavern World Info, attach to a group), and in a group: @-completion, why a member spoke,
 * "let X speak now", swipes after regenerate, delete, mute; phone size and the dark theme.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardJson } from '../support/characters.js';
import { ROOT, startStack, type Stack } from './stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'screenshots');
const WORLD_INFO = readFileSync(join(ROOT, 'test', 'fixtures', 'lorebooks', 'st-world-info.json'));

let stack: Stack;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });

describe('lorebooks and group actions in Chromium', { timeout: 120_000 }, () => {
  let liId = 0;
  let groupId = 0;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN', colorScheme: 'light', acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));

    await page.goto(stack.baseUrl);
    await page.getByLabel('用户名').fill('loremaster');
    await page.getByLabel('密码').fill('correct horse battery');
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.getByRole('button', { name: '新建角色' }).first().waitFor();
    // Two characters and a group through the API, with the browser's session.
    const ids: number[] = [];
    for (const name of ['李白', '杜甫']) {
      const r = await page.request.post(`${stack.baseUrl}/api/characters/import`, {
        multipart: { file: { name: 'card.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(cardJson(name, { first_mes: '' }))) } },
      });
      expect(r.status()).toBe(201);
      ids.push((await r.json()).id);
    }
    liId = ids[0];
    const g = await page.request.post(`${stack.baseUrl}/api/groups`, { data: { name: '诗友会', memberIds: ids, maxRounds: 1 } });
    groupId = (await g.json()).id;
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.close();
  });

  it("edits a character's own lorebook from its profile; the new entry fires in the chat", async () => {
    await page.goto(`${stack.baseUrl}/characters/${liId}`);
    await page.getByRole('button', { name: '李白 的世界书' }).click();
    const dialog = page.getByRole('dialog', { name: '李白 的世界书' });
    await dialog.getByText('还没有条目').waitFor();
    await dialog.getByRole('button', { name: '添加条目' }).click();
    await dialog.getByLabel('标题 / 备注').fill('长安城');
    await dialog.getByLabel('关键词（用逗号分隔）').fill('长安，西京');
    await dialog.getByLabel('内容').fill('长安是大唐的都城，朱雀大街宽一百五十步。');
    await dialog.getByRole('button', { name: '保存' }).click();
    const card = dialog.locator('.lore-card').filter({ hasText: '长安城' });
    await card.waitFor();
    expect(await card.locator('.lore-key').allInnerTexts()).toEqual(['长安', '西京']);
    await shot('lore-01-character-book');
    // Search filters the list.
    await dialog.getByRole('searchbox', { name: '搜索条目' }).fill('洛阳');
    await dialog.getByText('没有匹配的条目').waitFor();
    await dialog.getByRole('searchbox', { name: '搜索条目' }).fill('');
    await dialog.getByRole('button', { name: '关闭' }).first().click();

    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill('明天我们去长安喝酒吧');
    await input.press('Enter');
    await page.locator('article[data-role="assistant"]').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: '发送', exact: true }).waitFor({ timeout: 60_000 });
    const prompt = await (await page.request.get(`${stack.baseUrl}/api/characters/${liId}/prompt`)).json();
    expect(prompt.lore.fired.map((f: { comment: string; key: string }) => [f.comment, f.key])).toEqual([['长安城', '长安']]);
    expect(prompt.messages[0].content).toContain('朱雀大街');

    // Disabling the entry takes it out.
    await page.getByRole('button', { name: '李白 的世界书' }).click();
    await dialog.getByRole('checkbox', { name: '启用「长安城」' }).uncheck();
    await poll(async () => (await (await page.request.get(`${stack.baseUrl}/api/characters/${liId}/prompt`)).json()).lore?.fired.length ?? 0).toBe(0);
    await dialog.getByRole('button', { name: '关闭' }).first().click();
  });

  it('imports SillyTavern World Info on the Lorebooks page and attaches it to a group', async () => {
    await page.getByRole('button', { name: '世界书' }).first().click();
    await poll(() => new URL(page.url()).pathname).toBe('/lorebooks');
    await page.getByText('还没有世界书').waitFor();
    await page.getByTestId('lore-import').setInputFiles({ name: '长安.json', mimeType: 'application/json', buffer: WORLD_INFO });
    const book = page.locator('.lore-card').filter({ hasText: '长安' });
    await book.getByText('3 个条目').waitFor();
    await book.getByText('使用者 (0)').click();
    await book.getByRole('checkbox', { name: '诗友会' }).check();
    await book.getByText('使用者 (1)').waitFor();
    await shot('lore-02-page');
    await book.getByRole('button', { name: '编辑条目' }).click();
    await poll(() => new URL(page.url()).pathname).toMatch(/^\/lorebooks\/\d+$/);
    await page.locator('.lore-list .lore-card').nth(2).waitFor();
    await shot('lore-03-book-entries');
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
    });
    await page.waitForTimeout(300); // colour transitions
    await shot('lore-04-book-entries-dark');
    await page.evaluate(() => {
      delete document.documentElement.dataset.theme;
    });
  });

  it('acts on group messages: @-completion, why a member spoke, let a member speak, regenerate with swipes, delete, mute', async () => {
    await page.goto(`${stack.baseUrl}/groups/${groupId}`);
    // The group's books open from its panel.
    await page.getByRole('button', { name: '编辑条目: 长安' }).click();
    await poll(() => new URL(page.url()).pathname).toMatch(/^\/lorebooks\/\d+$/);
    await page.getByRole('heading', { name: '长安' }).waitFor();
    await page.goBack();
    const input = page.getByRole('textbox', { name: '消息' });
    await input.click();
    await input.pressSequentially('@杜');
    const option = page.getByRole('option', { name: '@杜甫' });
    await option.waitFor();
    await shot('lore-05-mention');
    await input.press('Enter');
    await poll(() => input.inputValue()).toBe('@杜甫 ');
    await input.pressSequentially('长安的春天如何？');
    await input.press('Enter');
    const replies = page.locator('article[data-role="assistant"]');
    await replies.first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: '发送', exact: true }).waitFor({ timeout: 60_000 });
    await poll(() => replies.first().locator('.msg-name').innerText()).toContain('杜甫');

    const badge = replies.first().locator('.reason-badge');
    await poll(() => badge.getAttribute('aria-label')).toBe('杜甫 为何发言：上一条消息点了名');
    await badge.focus();
    await shot('lore-06-reason');
    // The badge opens what was sent for the reply.
    await badge.click();
    const inspect = page.getByRole('dialog', { name: '杜甫 的这条回复' });
    await inspect.getByText('实际发给模型的内容').waitFor();
    await shot('lore-06b-inspect');
    await inspect.getByRole('button', { name: '关闭' }).first().click();

    // The group's World Info fired in 杜甫's turn (it names 长安).
    const list = await (await page.request.get(`${stack.baseUrl}/api/groups/${groupId}/messages`)).json();
    const sent = await (await page.request.get(`${stack.baseUrl}/api/messages/${list.items[0].id}/inspect`)).json();
    expect(sent.messages[0].content).toContain('朱雀大街');

    await page.getByRole('button', { name: '请李白现在发言' }).click();
    await poll(() => replies.count()).toBe(2);
    await page.getByRole('button', { name: '发送', exact: true }).waitFor({ timeout: 60_000 });
    await poll(() => replies.nth(1).locator('.reason-badge').getAttribute('aria-label')).toBe('李白 为何发言：你请其发言');

    await replies.nth(1).hover();
    await replies.nth(1).getByRole('button', { name: '重新生成' }).click();
    await page.getByRole('group', { name: '这条回复的各个版本' }).waitFor({ timeout: 60_000 });
    await poll(() => page.getByRole('group', { name: '这条回复的各个版本' }).innerText()).toContain('2/2');
    await shot('lore-07-group-swipes');

    await replies.first().hover();
    await replies.first().getByRole('button', { name: '删除消息' }).click();
    await page.getByRole('dialog').getByRole('button', { name: '删除' }).click();
    await poll(() => replies.count()).toBe(1);

    await page.getByRole('combobox', { name: '静音杜甫' }).selectOption('60');
    await page.getByText(/静音至/).waitFor();
    await page.getByRole('button', { name: '请杜甫现在发言' }).locator('.muted').waitFor();
    await shot('lore-08-muted');

    await page.setViewportSize({ width: 390, height: 844 });
    await input.waitFor();
    await shot('lore-09-phone-group');
  });

  it('reads in English on a phone: the entry form of a lorebook', async () => {
    await page.evaluate(() => localStorage.setItem('fastnpc.locale', 'en'));
    await page.goto(`${stack.baseUrl}/lorebooks`);
    await page.locator('.lore-card').filter({ hasText: '长安' }).getByRole('button', { name: 'Edit entries' }).click();
    await page.getByRole('button', { name: 'Edit entry: 长安城' }).click();
    await page.getByLabel('Keys (comma-separated)', { exact: true }).waitFor();
    await page.getByLabel('Use secondary keys').check();
    await page.getByLabel('Secondary keys (comma-separated)').fill('春天');
    await shot('lore-10-phone-entry-form-en');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('.lore-card').filter({ hasText: '长安城' }).getByLabel('Keys (comma-separated)', { exact: true }).waitFor({ state: 'detached' });
    const book = (await (await page.request.get(`${stack.baseUrl}/api/lorebooks`)).json()).items[0];
    const entries = (await (await page.request.get(`${stack.baseUrl}/api/lorebooks/${book.id}`)).json()).entries;
    expect(entries[0]).toMatchObject({ selective: true, secondaryKeys: ['春天'] });
    expect(pageErrors).toEqual([]);
  });
});
