/**
 * Several chats, swipes, greetings and personas in Chromium against the real server and the mock
 * LLM: an imported card opens with its greeting (alternate greetings are swipes) → a reply is
 * regenerated and the user flips between the versions → an edit is saved and answered again → a
 * new chat gets its own URL and the greeting → back to the first chat, whose history is intact →
 * a persona from the settings plays in the chat ({{user}} in the greeting) → the switcher on a
 * phone in the dark theme. Screenshots go to test-output/screenshots/chats-*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardJson } from '../support/characters.js';
import { launchChromium, ROOT, startStack, type Stack } from './stack.js';

const SHOTS = join(ROOT, 'test-output', 'screenshots');

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `chats-${name}.png`) });
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });
const bubbles = (role: 'user' | 'assistant') => page.locator(`article[data-role="${role}"] .bubble`);
/** Imports a card as the import dialog sends it, from the signed-in page; the answer's status. */
const importInPage = (card: unknown) =>
  page.evaluate(async (json) => {
    const form = new FormData();
    form.append('file', new Blob([json], { type: 'application/json' }), 'card.json');
    return (await fetch('/api/characters/import', { method: 'POST', body: form })).status;
  }, JSON.stringify(card));
const chatPath = /^\/characters\/\d+\/chats\/(\d+)$/;

describe('chats, swipes and personas in Chromium', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN', colorScheme: 'light' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.close();
  });

  it('opens an imported card with its greeting; alternate greetings are versions to flip through', async () => {
    await page.goto(stack.baseUrl);
    await page.getByLabel('用户名').fill('roleplayer');
    await page.getByLabel('密码').fill('correct horse battery');
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.getByRole('button', { name: '新建角色' }).first().waitFor();
    // The card goes in through the API, as the import dialog sends it.
    const card = cardJson('苏小小', { first_mes: '*苏小小倚着画舫，笑着招手。*{{user}}，上船来坐坐？', alternate_greetings: ['西湖的雨又下起来了，{{user}}。'], mes_example: '' });
    expect(await importInPage(card)).toBe(201);
    await page.reload();
    await page.locator('.sidebar').getByRole('link', { name: '苏小小' }).click();
    await poll(() => new URL(page.url()).pathname).toMatch(chatPath);
    await poll(() => bubbles('assistant').first().innerText()).toContain('roleplayer，上船来坐坐？');
    await page.locator('.swipes').getByText('1/2').waitFor();
    await shot('01-greeting');
    await page.getByRole('button', { name: '下一个版本' }).click();
    await poll(() => bubbles('assistant').first().innerText()).toContain('西湖的雨又下起来了，roleplayer。');
    await page.locator('.swipes').getByText('2/2').waitFor();
    await page.getByRole('button', { name: '上一个版本' }).click();
    await poll(() => bubbles('assistant').first().innerText()).toContain('上船来坐坐');
  });

  it('regenerates a reply and keeps the old one as a version; an edit is saved and answered again', async () => {
    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill('今天的西湖美吗？');
    await input.press('Enter');
    const last = page.locator('article[data-role="assistant"]').last();
    await poll(() => last.getAttribute('data-status')).toBe('complete');
    const first = await last.locator('.bubble').innerText();
    await page.getByRole('button', { name: '重新生成' }).click();
    await poll(() => page.locator('article[data-role="assistant"]').last().locator('.swipes').innerText()).toContain('2/2');
    await page.locator('article[data-role="assistant"]').last().getByRole('button', { name: '上一个版本' }).click();
    await poll(() => page.locator('article[data-role="assistant"]').last().locator('.bubble').innerText()).toBe(first);
    await shot('02-swipes');

    await page.locator('article[data-role="user"]').last().getByRole('button', { name: '编辑消息' }).click();
    const box = page.locator('.edit-box textarea');
    await box.fill('今天的西湖，晴还是雨？');
    await shot('03-edit-and-regenerate');
    await page.getByRole('button', { name: '保存并重新生成回复' }).click();
    await poll(() => bubbles('user').last().innerText()).toContain('晴还是雨');
    await poll(() => page.locator('article[data-role="assistant"]').last().locator('.swipes').innerText()).toContain('3/3');
  });

  it('starts a new chat with its own URL and the greeting, and switches back to the first one', async () => {
    const firstPath = new URL(page.url()).pathname;
    await page.getByRole('button', { name: /^对话列表/ }).click();
    const dialog = page.getByRole('dialog', { name: '与苏小小的对话' });
    await dialog.waitFor();
    expect(await dialog.locator('.chat-row').count()).toBe(1);
    await dialog.getByRole('button', { name: '新对话' }).click();
    await poll(() => new URL(page.url()).pathname).not.toBe(firstPath);
    expect(new URL(page.url()).pathname).toMatch(chatPath);
    await poll(() => page.locator('article').count()).toBe(1);
    await poll(() => bubbles('assistant').first().innerText()).toContain('上船来坐坐');
    await page.getByRole('textbox', { name: '消息' }).fill('第二个对话');
    await page.getByRole('textbox', { name: '消息' }).press('Enter');
    await poll(() => page.locator('article[data-role="assistant"]').last().getAttribute('data-status')).toBe('complete');

    await page.getByRole('button', { name: /^对话列表/ }).click();
    await dialog.waitFor();
    await poll(() => dialog.locator('.chat-row').count()).toBe(2);
    await shot('04-switcher');
    // Rename the older chat, then open it.
    const older = dialog.locator('.chat-row').nth(1);
    await older.getByRole('button', { name: /^重命名/ }).click();
    await dialog.getByRole('textbox', { name: '对话名称' }).fill('湖上初见');
    await dialog.getByRole('button', { name: '保存' }).click();
    await dialog.getByText('湖上初见').click();
    await poll(() => new URL(page.url()).pathname).toBe(firstPath);
    await poll(() => bubbles('user').last().innerText()).toContain('晴还是雨');
    await page.locator('.chat-switch').getByText('湖上初见').waitFor();
    // Back/forward walk between the chats.
    await page.goBack();
    await poll(() => bubbles('user').last().innerText()).toContain('第二个对话');
    await page.goForward();
    await poll(() => bubbles('user').last().innerText()).toContain('晴还是雨');
  });

  it('plays a persona from the settings: {{user}} is its name in this chat', async () => {
    await page.getByRole('button', { name: '设置' }).click();
    const settings = page.getByRole('dialog', { name: '设置' });
    await settings.getByRole('button', { name: '添加人设' }).click();
    await settings.getByLabel('名字').fill('许仙');
    await settings.getByLabel('描述').fill('杭州药铺的伙计，温和腼腆。');
    await settings.getByRole('button', { name: '保存' }).last().click();
    await settings.locator('.persona-row').getByText('许仙').waitFor();
    await settings.locator('.persona-row').getByText('默认').waitFor();
    await settings.locator('.persona-row').scrollIntoViewIfNeeded();
    await shot('05-personas');
    await settings.getByRole('button', { name: '关闭' }).first().click();
    await settings.waitFor({ state: 'detached' });
    // A new chat opens with the default persona's name in the greeting.
    await page.getByRole('button', { name: /^对话列表/ }).click();
    await page.getByRole('dialog', { name: '与苏小小的对话' }).getByRole('button', { name: '新对话' }).click();
    await poll(() => bubbles('assistant').first().innerText()).toContain('许仙，上船来坐坐？');
    const picker = page.getByRole('combobox', { name: '你的身份' });
    expect(await picker.inputValue()).toBe('');
    await shot('06-persona-picker');
    // Choosing the persona for this chat is saved on the chat (and survives a reload).
    await picker.selectOption({ label: '许仙' });
    await page.getByText('此对话的身份已改为 许仙').waitFor();
    await page.reload();
    await poll(() => page.getByRole('combobox', { name: '你的身份' }).inputValue()).not.toBe('');
    expect(pageErrors).toEqual([]);
  });

  it("edits the card's fields in the profile editor: greetings, example dialogue, system prompt", async () => {
    await page.getByRole('button', { name: '编辑档案' }).click();
    const editor = page.getByRole('dialog', { name: /编辑档案|角色档案/ });
    await editor.waitFor();
    // An imported card opens on its own fields.
    await poll(() => editor.getByRole('tab', { name: '角色卡' }).getAttribute('aria-selected')).toBe('true');
    await editor.getByText('备选开场白').waitFor();
    expect(await editor.getByRole('textbox', { name: '备选开场白 1' }).inputValue()).toBe('西湖的雨又下起来了，{{user}}。');
    await editor.getByRole('button', { name: '添加开场白' }).click();
    await editor.getByRole('textbox', { name: '备选开场白 2' }).fill('断桥边，{{user}}又来了。');
    await editor.locator('label.field').filter({ hasText: 'system_prompt' }).locator('textarea').fill('你是{{char}}，钱塘名妓。{{original}}');
    await shot('08-card-fields');
    await editor.getByRole('button', { name: '保存' }).click();
    await editor.waitFor({ state: 'detached' });
    const card = await page.evaluate(async () => (await fetch(location.pathname.replace(/\/chats\/\d+$/, '').replace('/characters/', '/api/characters/'))).json());
    expect(card.card.alternateGreetings).toEqual(['西湖的雨又下起来了，{{user}}。', '断桥边，{{user}}又来了。']);
    expect(card.card.systemPrompt).toBe('你是{{char}}，钱塘名妓。{{original}}');
  });

  it('works on a phone in the dark theme', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 780 }, locale: 'en-US', colorScheme: 'dark', storageState: await context.storageState() });
    const p = await phone.newPage();
    await p.goto(`${stack.baseUrl}${new URL(page.url()).pathname}`);
    await p.locator('article[data-role="assistant"]').first().waitFor();
    await p.getByRole('button', { name: /^Chats/ }).click();
    await p.getByRole('dialog', { name: 'Chats with 苏小小' }).waitFor();
    await p.screenshot({ path: join(SHOTS, 'chats-07-phone-dark-switcher.png') });
    const width = await p.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    await phone.close();
  });
  it('streams the whole first reply of a character without a greeting, then moves to its new chat', async () => {
    const card = cardJson('陆羽', { first_mes: '', alternate_greetings: [], mes_example: '' });
    expect(await importInPage(card)).toBe(201);
    await page.reload();
    await page.locator('.sidebar').getByRole('link', { name: '陆羽' }).click();
    await poll(() => new URL(page.url()).pathname).toMatch(/^\/characters\/\d+$/);
    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill('请为我煮一壶茶。');
    await input.press('Enter');
    // The first message creates the first chat; the reply must not be cut off by the switch to its URL.
    await poll(() => new URL(page.url()).pathname).toMatch(chatPath);
    const reply = page.locator('article[data-role="assistant"]').last();
    await poll(() => reply.getAttribute('data-status')).toBe('complete');
    expect((await reply.locator('.bubble').innerText()).trim().length).toBeGreaterThan(0);
    await poll(() => page.locator('article[data-role="user"] .bubble').last().innerText()).toContain('请为我煮一壶茶。');
  });
  it('deleting the open chat shows the chat that takes its place, with its own messages', async () => {
    // The character's own URL (no chat in it): the view adopts its current chat without reloading.
    await page.locator('.sidebar').getByRole('link', { name: '苏小小' }).click();
    await poll(() => new URL(page.url()).pathname).toMatch(chatPath);
    const before = chatPath.exec(new URL(page.url()).pathname)![1];
    await page.getByRole('button', { name: /^对话列表/ }).click();
    const dialog = page.getByRole('dialog', { name: '与苏小小的对话' });
    await dialog.locator('li.chat-row.active').getByRole('button', { name: /^删除对话/ }).click();
    await page.getByRole('dialog', { name: '删除对话' }).getByRole('button', { name: '删除' }).click();
    await poll(() => chatPath.exec(new URL(page.url()).pathname)?.[1]).not.toBe(before);
    await poll(() => chatPath.exec(new URL(page.url()).pathname)?.[1]).toBeDefined();
    if (await dialog.isVisible()) await page.keyboard.press('Escape');
    const now = chatPath.exec(new URL(page.url()).pathname)![1];
    const newest = await page.evaluate(async (id) => ((await (await fetch(`/api/chats/${id}/messages?limit=30`)).json()) as { items: { id: number }[] }).items[0]?.id, now);
    expect(newest).toBeDefined();
    await poll(() => page.locator('article.msg').last().getAttribute('data-key')).toBe(`m${newest}`);
    expect(pageErrors).toEqual([]);
  });
});
