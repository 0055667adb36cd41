/**
 * The web app in Chromium against the real server, the mock LLM and the fixture encyclopedia:
 * a fresh install opens on register (localized field error) → create a character through the
 * same-name picker → progress → chat (streaming) → reload (history) → edit the profile → avatar
 * (a fake PNG first) → long text inside the bubble at 1280 and 390 px → group chat → a URL per view
 * and the back button → an unreachable encyclopedia → settings → English → phone size → sign-out
 * and a session revoked elsewhere. Screenshots of the main screens go to test-output/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, ROOT, startStack, type Stack } from './stack.js';

const SHOTS = join(ROOT, 'test-output', 'screenshots');

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const pageErrors: string[] = [];

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
// A loaded machine can take seconds to answer: poll as long as a locator waits.
const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });

describe('web app in Chromium', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN', colorScheme: 'light', acceptDownloads: true });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.close();
  });

  it('opens a fresh install on register, shows the password rule, and words a refusal once, next to the field', async () => {
    await page.goto(stack.baseUrl);
    await poll(() => page.getByRole('tab', { name: '注册' }).getAttribute('aria-selected')).toBe('true');
    await page.getByText('至少 8 个字符').waitFor();
    await shot('01-sign-in');
    await page.getByLabel('用户名').fill('tester');
    await page.getByLabel('密码').fill('short');
    await page.getByRole('button', { name: '注册并登录' }).click();
    const passwordField = page.locator('label.field').filter({ has: page.locator('input[name=password]') });
    const err = passwordField.getByRole('alert');
    await err.waitFor();
    expect(await err.innerText()).toBe('密码至少需要 8 个字符');
    expect(await page.locator('input[name=password]').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByRole('alert').count()).toBe(1); // once: not also under the form or in a toast
    expect(await page.locator('.toast').count()).toBe(0);
    await shot('01b-register-error');
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
    await poll(() => page.locator('.conv-title').textContent()).toContain('李白');
  });

  it('chats: the reply streams in, and the stop button shows while it does', async () => {
    const input = page.getByRole('textbox', { name: '消息' });
    // Empty, the composer is one line with nothing to scroll (no scrollbar arrows)…
    const composerBox = () => input.evaluate((el) => ({ height: el.getBoundingClientRect().height, overflow: el.scrollHeight - el.clientHeight, overflowY: getComputedStyle(el).overflowY }));
    const empty = await composerBox();
    expect(empty.overflow).toBeLessThanOrEqual(0);
    expect(empty.overflowY).toBe('hidden');
    await input.fill('你好，请介绍一下你自己');
    await input.press('Enter');
    // while streaming the send button turns into Stop
    await page.getByRole('button', { name: '停止' }).waitFor();
    await page.locator('article[data-role="assistant"][data-status="streaming"]').waitFor();
    await shot('07-chat-streaming');
    const reply = page.locator('article[data-role="assistant"][data-status="complete"]').last();
    await reply.waitFor({ timeout: 30_000 });
    expect((await reply.locator('.bubble').innerText()).trim().length).toBeGreaterThan(0);
    await page.getByRole('button', { name: '发送', exact: true }).waitFor();
    // …and keeps its height after the first message.
    expect(await composerBox()).toEqual(empty);
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
    await poll(() => sec.innerText()).toContain('豪放不羁，嗜酒好剑');
  });

  it('says an image is unreadable instead of showing an empty crop box', async () => {
    await page.locator('.info-pane').getByRole('button', { name: '更换头像' }).click();
    const dialog = page.getByRole('dialog', { name: '裁剪头像' });
    await dialog.locator('input[type=file]').setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('this is not a PNG at all') });
    await dialog.getByRole('alert').waitFor();
    expect(await dialog.getByRole('alert').innerText()).toMatch(/无法打开这张图片/);
    expect(await dialog.getByRole('group', { name: '裁剪区域' }).count()).toBe(0);
    expect(await dialog.getByRole('button', { name: '上传' }).isDisabled()).toBe(true);
    await shot('10a-avatar-unreadable');
    await dialog.getByRole('button', { name: '取消' }).click();
    await dialog.waitFor({ state: 'detached' });
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

  it('keeps long words, URLs, wide code and tables inside the bubble at 1280 and 390 px (measured)', async () => {
    const longUrl = `https://example.com/${'segment-'.repeat(40)}end`;
    const table = `| ${Array.from({ length: 10 }, (_, i) => `column-${i}-heading`).join(' | ')} |\n|${'---|'.repeat(10)}\n| ${Array.from({ length: 10 }, () => 'value').join(' | ')} |`;
    const text = `${longUrl}\n\n${'W'.repeat(300)}\n\n\`\`\`\n${'const x = 1; '.repeat(40)}\n\`\`\`\n\n${table}\n\n~~old~~ and [a link](javascript:alert(1))\n\n- [x] done`;
    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill(text);
    await input.press('Enter');
    await page.getByRole('button', { name: '发送', exact: true }).waitFor({ timeout: 60_000 });
    const mine = page.locator('article[data-role="user"]').last();
    await mine.locator('pre').waitFor();

    const measure = () =>
      mine.evaluate((art) => {
        const box = (el: Element | null) => el!.getBoundingClientRect();
        const list = art.closest('.messages')!;
        const bubble = box(art.querySelector('.bubble'));
        const inner = ['pre', '.md-table', 'a', 'p'].flatMap((sel) => [...art.querySelectorAll(sel)].map((el) => ({ sel, right: box(el).right, left: box(el).left })));
        const pre = art.querySelector('pre')!;
        const tableBox = art.querySelector('.md-table')!;
        return {
          bubble: { left: bubble.left, right: bubble.right },
          list: { left: box(list).left, right: box(list).right },
          inner,
          listScrolls: list.scrollWidth - list.clientWidth,
          pageScrolls: document.documentElement.scrollWidth - window.innerWidth,
          preScrolls: pre.scrollWidth > pre.clientWidth,
          tableScrolls: tableBox.scrollWidth > tableBox.clientWidth,
          links: [...art.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), target: a.target, rel: a.rel })),
        };
      });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 844 });
      await page.waitForFunction((w) => window.innerWidth === w, width);
      await mine.scrollIntoViewIfNeeded();
      const m = await measure();
      expect(m.bubble.right, `bubble inside the list at ${width}`).toBeLessThanOrEqual(m.list.right + 0.5);
      expect(m.bubble.left).toBeGreaterThanOrEqual(m.list.left - 0.5);
      for (const el of m.inner) expect(el.right, `${el.sel} inside the bubble at ${width}`).toBeLessThanOrEqual(m.bubble.right + 0.5);
      expect(m.listScrolls, `no sideways scroll in the list at ${width}`).toBeLessThanOrEqual(0);
      expect(m.pageScrolls, `no sideways scroll of the page at ${width}`).toBeLessThanOrEqual(0);
      expect(m.preScrolls, 'the code block scrolls inside the bubble').toBe(true);
      expect(m.tableScrolls, 'the table scrolls inside the bubble').toBe(true);
      expect(m.links).toEqual([{ href: longUrl, target: '_blank', rel: 'noopener noreferrer nofollow' }]);
      await shot(`10c-long-text-${width}`);
    }

    // Sending while scrolled up to older messages jumps to the newest one.
    await page.setViewportSize({ width: 1360, height: 560 });
    const list = page.locator('.messages');
    await poll(() => list.evaluate((el) => el.scrollHeight > el.clientHeight + 200)).toBe(true);
    await list.evaluate((el) => (el.scrollTop = 0));
    await input.fill('回到最新的消息');
    await input.press('Enter');
    await page.getByRole('button', { name: '发送', exact: true }).waitFor({ timeout: 60_000 });
    await poll(() => list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight)).toBeLessThan(80);
    await page.setViewportSize({ width: 1360, height: 860 });
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
    await poll(() => page.locator('.conv-title').textContent()).toContain('诗友会');

    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill('两位好，今晚一起喝酒吗？');
    await input.press('Enter');
    await page.locator('article[data-role="assistant"]').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: '发送', exact: true }).waitFor({ timeout: 60_000 });
    const names = await page.locator('article[data-role="assistant"] .msg-name').allInnerTexts();
    expect(names.length).toBeGreaterThan(0);
    for (const n of names) expect(['李白', '杜甫'].some((x) => n.includes(x))).toBe(true);
    await shot('11-group-chat');
  });

  it('gives every view its own URL: back and forward work, deep links load', async () => {
    const groupPath = new URL(page.url()).pathname;
    expect(groupPath).toMatch(/^\/groups\/\d+$/);
    await page.locator('.sidebar').getByRole('link', { name: '李白', exact: true }).click();
    await poll(() => new URL(page.url()).pathname).toMatch(/^\/characters\/\d+\/chats\/\d+$/);
    const charPath = new URL(page.url()).pathname;
    await poll(() => page.locator('.conv-title').textContent()).toContain('李白');
    await page.goBack();
    await poll(() => page.locator('.conv-title').textContent()).toContain('诗友会');
    expect(new URL(page.url()).pathname).toBe(groupPath);
    await page.goForward();
    await poll(() => page.locator('.conv-title').textContent()).toContain('李白');

    await page.getByRole('button', { name: '设置' }).click();
    await page.getByRole('dialog', { name: '设置' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/settings');
    await page.goBack();
    await page.getByRole('dialog', { name: '设置' }).waitFor({ state: 'detached' });
    expect(new URL(page.url()).pathname).toBe(charPath);

    await page.getByRole('button', { name: '管理', exact: true }).click();
    await poll(() => new URL(page.url()).pathname).toBe('/admin');
    await page.getByRole('heading', { name: '管理控制台' }).waitFor();
    await page.goBack();
    await poll(() => page.locator('.conv-title').textContent()).toContain('李白');

    // Deep links, loaded fresh (the server answers index.html for these paths).
    for (const path of [groupPath, '/settings', '/admin', charPath]) {
      const res = await page.goto(`${stack.baseUrl}${path}`);
      expect(res?.status(), path).toBe(200);
    }
    await poll(() => page.locator('.conv-title').textContent()).toContain('李白');
    await page.goto(`${stack.baseUrl}${groupPath}`);
    await poll(() => page.locator('.conv-title').textContent()).toContain('诗友会');
    await page.goto(`${stack.baseUrl}/settings`);
    await page.getByRole('dialog', { name: '设置' }).waitFor();
    await page.getByRole('dialog', { name: '设置' }).getByRole('button', { name: '关闭' }).first().click();
    await page.getByRole('dialog', { name: '设置' }).waitFor({ state: 'detached' });
    await poll(() => new URL(page.url()).pathname).toMatch(/^\/(groups|characters)\/\d+(\/chats\/\d+)?$/);
    // A link to something that is gone lands on a chat that exists, not on an empty page.
    await page.goto(`${stack.baseUrl}/characters/987654`);
    await poll(() => new URL(page.url()).pathname).toMatch(/^\/characters\/(?!987654\b)\d+(\/chats\/\d+)?$/);
    await page.locator('.conv-title').waitFor();
  });

  it('says what happened when the encyclopedia is unreachable, and offers pasted text and the offline names', async () => {
    await stack.stopFixtures();
    await page.getByRole('button', { name: '新建角色' }).first().click();
    const dialog = page.getByRole('dialog', { name: '新建角色' });
    await dialog.getByLabel('角色名').fill('曹操');
    await dialog.getByLabel('数据源').selectOption('baike');
    await dialog.getByRole('button', { name: '开始创建' }).click();
    const box = dialog.locator('.error-box');
    await box.waitFor({ timeout: 30_000 });
    const said = await box.innerText();
    expect(said).toContain('连不上百度百科');
    expect(said).not.toContain('服务器出错了');
    await shot('19-create-unreachable');
    await box.getByRole('button', { name: '改用粘贴文本' }).click();
    expect(await dialog.getByLabel('数据源').inputValue()).toBe('text');
    await dialog.getByLabel('人物资料').waitFor();

    // The server's contract when bundled pages exist: the names that work offline, as choices.
    const pattern = '**/api/sources/baike/candidates**';
    await page.route(pattern, (route) =>
      route.fulfill({ status: 502, contentType: 'application/json', body: JSON.stringify({ error: { code: 'source_unavailable:unreachable', message: 'baike is unreachable', bundledNames: ['李白', '苏轼'] } }) }),
    );
    await dialog.getByLabel('数据源').selectOption('baike');
    await dialog.getByRole('button', { name: '开始创建' }).click();
    const offline = dialog.getByRole('list', { name: '可离线创建：' });
    await offline.waitFor();
    expect(await offline.getByRole('button').allInnerTexts()).toEqual(['李白', '苏轼']);
    await shot('20-create-offline-names');
    await offline.getByRole('button', { name: '苏轼' }).click();
    expect(await dialog.getByLabel('角色名').inputValue()).toBe('苏轼');

    // A bundled page is said so when it is used.
    await page.unroute(pattern);
    await page.route(pattern, (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ candidates: [{ id: 'bundled:su-shi', title: '苏轼', description: '离线资料', bundled: true }] }) }),
    );
    await dialog.getByRole('button', { name: '开始创建' }).click();
    const notice = dialog.getByRole('status').filter({ hasText: '内置的离线资料' });
    await notice.waitFor();
    expect(await notice.innerText()).toContain('「苏轼」');
    await shot('21-create-bundled');
    await page.unroute(pattern);
    await dialog.getByRole('button', { name: '关闭' }).first().click();
    await dialog.waitFor({ state: 'detached' });
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
    // The "saved" toast, if still up, now reads in English (it used to stay in Chinese).
    expect((await page.locator('.toast').allTextContents()).filter((x) => x.includes('已保存'))).toEqual([]);
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
    await page.locator('.sidebar').getByRole('link', { name: '诗友会' }).click();
    await poll(() => page.locator('.conv-title').textContent()).toContain('诗友会');
    await page.getByRole('textbox', { name: 'Message' }).waitFor();
    await shot('18-phone-group');
  });

  it('signs out to the sign-in screen with nothing of the last user left', async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('tab', { name: 'Sign in' }).waitFor();
    await page.getByText('You have signed out').waitFor();
    expect(await page.locator('#sidebar').count()).toBe(0);
    expect(await page.getByText('tester').count()).toBe(0);
    expect(await page.getByRole('alert').count()).toBe(0);
    await shot('22-signed-out');

    // Another account on the same page sees none of the first one's characters or groups.
    await page.getByRole('tab', { name: 'Register' }).click();
    await page.getByLabel('Username').fill('second');
    await page.getByLabel('Password').fill('another good password');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.locator('#sidebar').waitFor();
    await page.getByText('No characters yet', { exact: false }).first().waitFor();
    expect(await page.locator('.nav-item').count()).toBe(0);
    expect(await page.getByText('李白').count()).toBe(0);
  });

  it('lands on sign-in when the session is revoked elsewhere', async () => {
    // Sign out through the API, as another tab would: the page still shows the app.
    const r = await page.request.post(`${stack.baseUrl}/api/auth/logout`);
    expect(r.ok()).toBe(true);
    await page.getByRole('button', { name: 'Settings' }).click(); // its query gets the 401
    await page.getByRole('tab', { name: 'Sign in' }).waitFor();
    await page.getByText('Your session has ended').waitFor();
    expect(await page.locator('#sidebar').count()).toBe(0);
    expect(await page.locator('.toast-error').count()).toBe(0); // a 401 is not an error to show (an earlier "Saved" may still be fading)
    expect(pageErrors).toEqual([]);
  });
});
