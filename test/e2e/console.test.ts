/**
 * The operator's console in Chromium: an admin edits the chat rules as a new version, activates it,
 * and the next chat turn uses it (seen in the reply's inspect view); feedback sent from the sidebar
 * gets a reply in the inbox and the sender sees the badge; test cases run against the active and
 * the new version with the judge, and the two reports are compared per dimension.
 * Screenshots go to test-output/screenshots/console-*.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, startStack, type Stack } from './stack.js';
import { cardJson } from '../support/characters.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'screenshots');

describe('operator console in Chromium', { timeout: 120_000 }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];
  let characterId: number;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
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

  it('edits the chat rules as a new version, activates it, and the next chat turn uses it', async () => {
    const imported = await page.evaluate(async (body) => {
      const fd = new FormData();
      fd.append('file', new Blob([body], { type: 'application/json' }), 'card.json');
      const r = await fetch('/api/characters/import', { method: 'POST', body: fd });
      return r.json();
    }, JSON.stringify(cardJson('李白')));
    characterId = (imported.character ?? imported).id as number;

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

    // A real turn: its inspect view shows the new rules went to the model, with the version used.
    await page.reload();
    await page.locator('.nav-item').filter({ hasText: '李白' }).first().click();
    // The greeting is shown once the conversation has loaded: type after that. (The view moves to
    // the chat's own URL meanwhile; that keeps what is typed.)
    await page.locator('article[data-role="assistant"][data-status="complete"]').first().waitFor();
    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill('你好，请写一句诗');
    await input.press('Enter');
    const reply = page.locator('article[data-role="assistant"][data-status="complete"]').nth(1);
    await reply.waitFor({ timeout: 30_000 });
    await reply.hover();
    await reply.getByRole('button', { name: '查看发送内容' }).click();
    const inspect = page.getByRole('dialog', { name: '最终发送内容' });
    await inspect.getByText('chat.rules v2').waitFor();
    expect(await inspect.locator('.inspect-part pre').first().innerText()).toContain('你是李白，回答只用一句诗。');
    expect(await inspect.innerText()).toMatch(/输入 \d+ · 输出 \d+/);
    await shot('inspect');
    await inspect.getByRole('button', { name: '关闭' }).last().click();
    await inspect.waitFor({ state: 'detached' });

    // Rolling back is one click on the older version.
    await page.getByRole('button', { name: '管理' }).click();
    await page.getByRole('tab', { name: '提示词' }).click();
    await page.getByRole('button', { name: /chat\.rules/ }).click();
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

  it('runs test cases against the active and the new rules with the judge, and compares the reports', async () => {
    // One case through the API, one through the form.
    const made = await page.evaluate(async (id) => {
      const r = await fetch('/api/admin/test-cases', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: '李白-单聊2', kind: 'chat', characterId: id, input: { messages: [{ role: 'user', content: '你怎么看杜甫？' }] }, expected: '以李白的口吻评价杜甫' }),
      });
      return r.status;
    }, characterId);
    expect(made).toBe(201);
    // The feedback dialog of the test before is still open.
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.getByRole('tab', { name: '评测' }).click();
    await page.getByRole('button', { name: '新建测试用例' }).click();
    const form = page.getByRole('form', { name: '新建测试用例' });
    await form.getByLabel('名称').fill('李白-单聊1');
    await form.getByLabel('角色 ID').fill(String(characterId));
    await form.getByLabel('对话设定').fill('user: 你好\n李白: 幸会！\nuser: 你最喜欢哪首诗？');
    await form.getByLabel('期望表现（评审会读到）').fill('提到饮酒或明月，语气豪放');
    await form.getByLabel('温度').fill('0.7');
    await shot('test-case-form');
    await form.getByRole('button', { name: '保存' }).click();
    await form.waitFor({ state: 'detached' });

    const runWith = async (note: string, version?: string) => {
      await page.getByRole('tab', { name: '测试用例' }).click();
      for (const name of ['李白-单聊1', '李白-单聊2']) await page.getByRole('checkbox', { name }).check();
      await page.getByRole('button', { name: '运行所选…' }).click();
      const start = page.getByRole('form', { name: '新的运行' });
      if (version) {
        const select = start.getByLabel('提示词版本');
        await select.selectOption((await select.locator('option', { hasText: version }).getAttribute('value'))!);
      }
      await start.getByLabel('备注').fill(note);
      await start.getByRole('button', { name: '开始运行' }).click();
      // The report follows the run live and ends judged.
      await page.locator('h2').filter({ hasText: note }).getByText('已完成').waitFor({ timeout: 60_000 });
      await expect.poll(() => page.locator('.eval-case').filter({ hasText: '通过' }).count()).toBe(2);
    };
    await runWith('baseline');
    expect(await page.locator('.eval-case').first().innerText()).toContain('9/100');
    expect(await page.getByRole('table', { name: '维度' }).innerText()).toContain('流畅度');
    await shot('report');
    await runWith('poetic', 'v2');

    await page.getByRole('tab', { name: '对比' }).click();
    for (const [label, note] of [['运行 A（之前）', 'baseline'], ['运行 B（之后）', 'poetic']]) {
      const select = page.getByLabel(label);
      await select.selectOption((await select.locator('option', { hasText: note }).getAttribute('value'))!);
    }
    const dims = page.getByRole('table', { name: '维度' });
    await dims.getByText('共情').waitFor();
    expect(await dims.getByRole('row').count()).toBe(1 + 11 + 1);
    expect(await dims.getByRole('row', { name: /流畅度/ }).innerText()).toMatch(/0\.9\s+0\.9\s+0/);
    expect(await page.getByRole('table', { name: '测试用例' }).innerText()).toContain('李白-单聊1');
    await shot('compare');
    // The better version is one click away from the comparison.
    await page.getByRole('button', { name: '启用 B 的版本（v2）' }).click();
    await page.getByText('B v2 （激活）').waitFor();

    // Phone and dark theme: the comparison stays usable.
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
    });
    await page.setViewportSize({ width: 360, height: 740 });
    await page.waitForTimeout(300); // colour transitions
    await shot('compare-phone-dark');
    await page.evaluate(() => {
      delete document.documentElement.dataset.theme;
    });
    await page.setViewportSize({ width: 1360, height: 860 });
    expect(pageErrors).toEqual([]);
  });

  it("reviews a user's conversation read-only and inspects a reply as an administrator (audited)", async () => {
    await page.getByRole('tab', { name: '用户' }).click();
    await page.getByRole('row', { name: /operator/ }).getByRole('button', { name: '查看' }).click();
    await page.getByRole('button', { name: /李白/ }).click();
    const reply = page.locator('.review-conversation .eval-case').filter({ has: page.getByRole('button', { name: '查看发送内容' }) }).last();
    await reply.getByRole('button', { name: '查看发送内容' }).click();
    const inspect = page.getByRole('dialog', { name: '最终发送内容' });
    await inspect.getByText('chat.rules v2').waitFor();
    await shot('admin-inspect');
    await inspect.getByRole('button', { name: '关闭' }).last().click();
    await page.getByRole('tab', { name: '运行状态' }).click();
    await expect.poll(() => page.getByRole('table').last().innerText()).toContain('inspect.message');
    expect(pageErrors).toEqual([]);
  });
});
