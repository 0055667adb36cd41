/**
 * The web app in Chromium against the real server, the mock LLM and the fixture encyclopedia:
 * register → create a character through the same-name picker → progress → chat (streaming) →
 * reload (history) → edit the profile → avatar → group chat → settings → English → phone size.
 * Screenshots of the main screens go to test-output/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startStack, type Stack } from './stack.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'screenshots');

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

describe('web app in Chromium', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
    });
    context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN', colorScheme: 'light', acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.close();
  });

  it('restores nothing when signed out, then registers', async () => {
    await page.goto(stack.baseUrl);
    await expect.poll(() => page.getByRole('tab', { name: '注册' }).isVisible()).toBe(true);
    await shot('01-sign-in');
    await page.getByRole('tab', { name: '注册' }).click();
    await page.getByLabel('用户名').fill('tester');
    await page.getByLabel('密码').fill('correct horse battery');
    await page.getByRole('button', { name: '注册并登录' }).click();
    await page.getByRole('button', { name: '新建角色' }).first().waitFor();
    await shot('02-empty-app');
  });

  it('creates a character through the same-name picker and watches the progress', async () => {
    await page.getByRole('button', { name: '新建角色' }).first().click();
    const dialog = page.getByRole('dialog', { name: '新建角色' });
    await dialog.getByLabel('角色名').fill('李白');
    await dialog.getByLabel('数据源').selectOption('baike');
    await shot('03-create-form');
    await page.getByRole('button', { name: '开始创建' }).click();

    const picker = page.getByRole('dialog', { name: '选择同名词条' });
    await picker.waitFor();
    const options = picker.getByRole('radio');
    expect(await options.count()).toBeGreaterThan(1);
    await shot('04-candidate-picker');
    await options.first().check();
    await picker.getByRole('button', { name: '使用这个词条' }).click();

    const progress = page.getByRole('dialog', { name: '新建角色' });
    await progress.getByRole('progressbar').waitFor();
    await shot('05-creation-progress');
    await progress.getByRole('button', { name: '开始对话' }).waitFor({ timeout: 60_000 });
    await shot('06-creation-done');
    await progress.getByRole('button', { name: '开始对话' }).click();
    await expect.poll(() => page.locator('.conv-title').textContent()).toContain('李白');
  });

  it('chats: the reply streams in, and the stop button shows while it does', async () => {
    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill('你好，请介绍一下你自己');
    await input.press('Enter');
    // while streaming the send button turns into Stop
    await page.getByRole('button', { name: '停止' }).waitFor();
    await page.locator('article[data-role="assistant"][data-status="streaming"]').waitFor();
    await shot('07-chat-streaming');
    const reply = page.locator('article[data-role="assistant"][data-status="complete"]').last();
    await reply.waitFor({ timeout: 30_000 });
    expect((await reply.locator('.bubble').innerText()).trim().length).toBeGreaterThan(0);
    await page.getByRole('button', { name: '发送' }).waitFor();
    await shot('08-chat-reply');
  });

  it('restores the session and the history on reload', async () => {
    await page.reload();
    await page.locator('article[data-role="user"]').first().waitFor();
    expect(await page.locator('article[data-role="user"] .bubble').first().innerText()).toContain('你好，请介绍一下你自己');
    expect(await page.locator('article[data-role="assistant"]').count()).toBeGreaterThan(0);
    expect(await page.getByRole('tab', { name: '注册' }).count()).toBe(0);
  });

  it('edits the profile', async () => {
    await page.getByRole('button', { name: '编辑档案' }).click();
    const editor = page.getByRole('dialog', { name: /编辑角色档案/ });
    await editor.getByRole('tab', { name: '个性与行为设定' }).click();
    await editor.getByLabel('性格特质').fill('豪放不羁，嗜酒好剑');
    await shot('09-profile-editor');
    await editor.getByRole('button', { name: '保存' }).click();
    await editor.waitFor({ state: 'detached' });
    const sec = page.locator('.info-pane details', { hasText: '个性与行为设定' });
    await sec.locator('summary').click();
    await expect.poll(() => sec.innerText()).toContain('豪放不羁，嗜酒好剑');
  });

  it('uploads a cropped avatar', async () => {
    const png = await sharp({ create: { width: 480, height: 320, channels: 3, background: { r: 200, g: 90, b: 40 } } })
      .composite([{ input: await sharp({ create: { width: 160, height: 160, channels: 3, background: { r: 40, g: 90, b: 200 } } }).png().toBuffer(), left: 300, top: 80 }])
      .png()
      .toBuffer();
    await page.locator('.info-pane').getByRole('button', { name: '更换头像' }).click();
    const dialog = page.getByRole('dialog', { name: '裁剪头像' });
    await dialog.locator('input[type=file]').setInputFiles({ name: 'avatar.png', mimeType: 'image/png', buffer: png });
    await dialog.getByRole('group', { name: '裁剪区域' }).waitFor();
    await dialog.getByLabel('缩放').fill('1.5');
    await shot('10-avatar-crop');
    await dialog.getByRole('button', { name: '上传' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.locator('.info-pane img.avatar').first().waitFor();
    expect(await page.locator('.info-pane img.avatar').first().getAttribute('src')).toMatch(/avatar/);
  });

  it('creates a second character from text and plays a group chat with both', async () => {
    await page.getByRole('button', { name: '新建角色' }).first().click();
    const dialog = page.getByRole('dialog', { name: '新建角色' });
    await dialog.getByLabel('角色名').fill('杜甫');
    await dialog.getByLabel('数据源').selectOption('text');
    await dialog.getByLabel('人物资料').fill('杜甫，字子美，唐代现实主义诗人，被后世尊为“诗圣”。他的诗反映了安史之乱前后的社会面貌。');
    await page.getByRole('button', { name: '开始创建' }).click();
    await dialog.getByRole('button', { name: '开始对话' }).click({ timeout: 60_000 });

    await page.getByRole('button', { name: '新建群聊' }).click();
    const g = page.getByRole('dialog', { name: '新建群聊' });
    await g.getByLabel('群聊名称').fill('诗友会');
    await g.getByRole('checkbox', { name: '李白' }).check();
    await g.getByRole('checkbox', { name: '杜甫' }).check();
    await g.getByRole('button', { name: '创建' }).click();
    await expect.poll(() => page.locator('.conv-title').textContent()).toContain('诗友会');

    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill('两位好，今晚一起喝酒吗？');
    await input.press('Enter');
    await page.locator('article[data-role="assistant"]').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: '发送' }).waitFor({ timeout: 60_000 });
    const names = await page.locator('article[data-role="assistant"] .msg-name').allInnerTexts();
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(['李白', '杜甫'].some((x) => n.includes(x))).toBe(true);
    await shot('11-group-chat');
  });

  it('changes settings and switches to English', async () => {
    await page.keyboard.press('Escape'); // a dialog left open by a failed step must not block this one
    await page.getByRole('button', { name: '设置' }).click();
    const s = page.getByRole('dialog', { name: '设置' });
    await s.getByLabel(/群聊回复轮数/).fill('2');
    await shot('12-settings');
    await s.getByRole('button', { name: '保存' }).first().click();
    await page.getByText('已保存').first().waitFor();
    await s.getByLabel('语言').selectOption('en');
    await page.getByRole('dialog', { name: 'Settings' }).waitFor();
    await page.getByRole('dialog', { name: 'Settings' }).getByRole('button', { name: 'Close' }).first().click();
    await page.getByRole('button', { name: 'New character' }).first().waitFor();
    // The group "诗友会" lists its members too: pick the character's own entry.
    await page.locator('.nav-item').filter({ hasText: '李白' }).filter({ hasNotText: '诗友会' }).click();
    await page.getByRole('button', { name: 'Edit profile' }).waitFor();
    await shot('13-english');
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
    });
    await page.waitForTimeout(300); // colour transitions
    await shot('14-english-dark');
    await page.evaluate(() => {
      delete document.documentElement.dataset.theme;
    });
  });

  it('works on a 360 px phone: drawer and info sheet', async () => {
    await page.keyboard.press('Escape');
    await page.setViewportSize({ width: 360, height: 740 });
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    await shot('15-phone-chat');
    await page.getByRole('button', { name: 'Info' }).click();
    const sheet = page.getByRole('dialog', { name: '李白' });
    await sheet.getByRole('button', { name: 'Edit profile' }).waitFor();
    await shot('16-phone-info-sheet');
    await sheet.getByRole('button', { name: 'Close' }).first().click();
    await page.getByRole('button', { name: 'Open menu' }).click();
    await page.locator('.sidebar.open').waitFor();
    await page.waitForTimeout(350); // slide-in
    await shot('17-phone-drawer');
    await page.locator('.sidebar').getByRole('button', { name: /诗友会/ }).click();
    await expect.poll(() => page.locator('.conv-title').textContent()).toContain('诗友会');
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    await shot('18-phone-group');
    expect(pageErrors).toEqual([]);
  });
});
