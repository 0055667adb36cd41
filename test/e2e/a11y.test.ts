/**
 * Accessibility in Chromium against the real server: keyboard-only walkthroughs (register through
 * the tablist, create a character, chat, settings and a confirmation, a group, the phone drawer),
 * each checking where focus is; then axe-core over every screen × zh-CN/en × light/dark ×
 * desktop/phone, which must find no violation; and a console with no error in it (the signed-out
 * session check is an answer, not a 401). Screenshots go to test-output/screenshots/a11y-*.png.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardJson } from '../support/characters.js';
import { launchChromium, ROOT, startStack, type Stack } from './stack.js';

const SHOTS = join(ROOT, 'test-output', 'screenshots');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const DESKTOP = { width: 1360, height: 860 };
const PHONE = { width: 390, height: 844 };

let stack: Stack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const consoleErrors: string[] = [];

const poll = <T>(fn: () => T | Promise<T>) => expect.poll(fn, { timeout: 15_000 });
const focused = (l: Locator) => l.evaluate((el) => el === document.activeElement);
/** What has focus, described for an assertion message. */
const focusInfo = (p: Page) =>
  p.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el ? `${el.tagName.toLowerCase()} ${el.getAttribute('aria-label') ?? el.getAttribute('name') ?? el.textContent?.trim().slice(0, 40) ?? ''}` : 'none';
  });

/** Presses Tab until `target` has focus (a keyboard user's way there), failing after `max` presses. */
async function tabTo(p: Page, target: Locator, max = 200): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await focused(target)) return;
    await p.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached the target; focus is on ${await focusInfo(p)}`);
}

async function launch(opts: { viewport?: { width: number; height: number }; locale?: string; colorScheme?: 'light' | 'dark' } = {}) {
  const ctx = await browser.newContext({ viewport: opts.viewport ?? DESKTOP, locale: opts.locale ?? 'zh-CN', colorScheme: opts.colorScheme ?? 'light', reducedMotion: 'reduce', bypassCSP: true });
  const p = await ctx.newPage();
  p.setDefaultTimeout(15_000);
  p.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${p.url()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => consoleErrors.push(`${p.url()}: ${e.message}`));
  return { ctx, p };
}

describe('accessibility in Chromium', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    browser = await launchChromium();
    ({ ctx: context, p: page } = await launch());
  }, 90_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.close();
  });

  it('registers with the keyboard: the tabs are one Tab stop switched by arrow keys, and focus lands on the conversation', async () => {
    await page.goto(stack.baseUrl);
    const register = page.getByRole('tab', { name: '注册' });
    const signIn = page.getByRole('tab', { name: '登录' });
    await poll(() => register.getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('Tab');
    expect(await focused(register), await focusInfo(page)).toBe(true);
    expect(await signIn.getAttribute('tabindex')).toBe('-1');
    await page.keyboard.press('ArrowLeft');
    expect(await signIn.getAttribute('aria-selected')).toBe('true');
    expect(await focused(signIn)).toBe(true);
    await page.keyboard.press('End');
    expect(await register.getAttribute('aria-selected')).toBe('true');
    // One Tab from the tabs goes into the form, not to the other tab.
    await page.keyboard.press('Tab');
    expect(await focused(page.getByLabel('用户名'))).toBe(true);
    await page.keyboard.type('keys');
    await page.keyboard.press('Tab');
    await page.keyboard.type('correct horse battery');
    await page.keyboard.press('Enter');
    const heading = page.locator('main h1');
    await heading.waitFor();
    await poll(() => focused(heading)).toBe(true);
  });

  it('creates a character with the keyboard: the name has focus, Enter submits, the candidates and "Start chatting" get focus, and closing returns focus', async () => {
    const create = page.locator('.side-actions').getByRole('button', { name: '新建角色' });
    await tabTo(page, create);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: '新建角色' });
    const name = dialog.getByLabel('角色名');
    await poll(() => focused(name)).toBe(true);
    await page.keyboard.type('李白');
    await page.keyboard.press('Enter');
    const picker = page.getByRole('dialog', { name: '选择同名词条' });
    await picker.waitFor();
    const first = picker.getByRole('radio').first();
    await poll(() => focused(first)).toBe(true);
    await page.keyboard.press('Space');
    await tabTo(page, picker.getByRole('button', { name: '使用这个词条' }));
    await page.keyboard.press('Enter');
    const start = page.getByRole('dialog', { name: '新建角色' }).getByRole('button', { name: '开始对话' });
    await start.waitFor({ timeout: 60_000 });
    await poll(() => focused(start)).toBe(true);
    await page.screenshot({ path: join(SHOTS, 'a11y-01-start-focused.png') });
    await page.keyboard.press('Enter');
    await dialog.waitFor({ state: 'detached' });
    await poll(() => page.locator('.conv-title').textContent()).toContain('李白');
    await poll(() => focused(create)).toBe(true);
  });

  it('skips to the composer and chats with the keyboard', async () => {
    await page.reload();
    await page.locator('main h1').waitFor();
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: '跳到对话' });
    expect(await focused(skip), await focusInfo(page)).toBe(true);
    expect(await skip.evaluate((el) => el.getBoundingClientRect().top >= 0)).toBe(true); // shown when focused
    await page.screenshot({ path: join(SHOTS, 'a11y-02-skip-link.png') });
    await page.keyboard.press('Enter');
    const input = page.getByRole('textbox', { name: '消息' });
    expect(await focused(input)).toBe(true);
    await page.keyboard.type('你好');
    await page.keyboard.press('Enter');
    await page.locator('article[data-role="assistant"][data-status="complete"]').last().waitFor({ timeout: 30_000 });
  });

  it('closes settings and a confirmation with Escape, focus back on the button that opened each', async () => {
    const settings = page.getByRole('button', { name: '设置' });
    await tabTo(page, settings);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: '设置' });
    await dialog.waitFor();
    expect(await dialog.evaluate((d) => d.contains(document.activeElement))).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await poll(() => focused(settings)).toBe(true);

    const clear = page.getByRole('button', { name: '清空对话' });
    await tabTo(page, clear);
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('dialog', { name: '清空对话' });
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    await poll(() => focused(clear)).toBe(true);
  });

  it('creates a group with the keyboard', async () => {
    // A second character to group with, imported as a card.
    await page.evaluate(async (body) => {
      const fd = new FormData();
      fd.append('file', new Blob([body], { type: 'application/json' }), 'card.json');
      await fetch('/api/characters/import', { method: 'POST', body: fd });
    }, JSON.stringify(cardJson('杜甫')));
    await page.reload();
    await page.locator('.sidebar').getByRole('link', { name: '杜甫' }).waitFor();
    const newGroup = page.getByRole('button', { name: '新建群聊' });
    await tabTo(page, newGroup);
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: '新建群聊' });
    await poll(() => focused(dialog.getByLabel('群聊名称'))).toBe(true);
    await page.keyboard.type('诗友会');
    for (const n of ['李白', '杜甫']) {
      await tabTo(page, dialog.getByRole('checkbox', { name: n }));
      await page.keyboard.press('Space');
    }
    await tabTo(page, dialog.getByRole('button', { name: '创建' }));
    await page.keyboard.press('Enter');
    await poll(() => page.locator('.conv-title').textContent()).toContain('诗友会');
  });

  it('makes the phone drawer modal: focus inside, Tab stays inside, Escape closes to the menu button, a pick focuses the conversation', async () => {
    await page.setViewportSize(PHONE);
    const menu = page.getByRole('button', { name: '打开菜单' });
    await menu.waitFor();
    await menu.focus();
    await page.keyboard.press('Enter');
    const sidebar = page.locator('#sidebar');
    await page.locator('.sidebar.open').waitFor();
    await poll(() => sidebar.evaluate((s) => s.contains(document.activeElement))).toBe(true);
    expect(await page.locator('main').evaluate((m) => (m as HTMLElement).inert)).toBe(true); // hidden from screen readers too
    await page.screenshot({ path: join(SHOTS, 'a11y-03-phone-drawer.png') });
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      const where = await page.evaluate(() => (document.activeElement === document.body ? 'body' : document.getElementById('sidebar')?.contains(document.activeElement) ? 'sidebar' : 'behind'));
      expect(where, `Tab ${i + 1} left the drawer for ${await focusInfo(page)}`).not.toBe('behind');
    }
    await page.keyboard.press('Escape');
    await page.locator('.sidebar.open').waitFor({ state: 'detached' });
    await poll(() => focused(menu)).toBe(true);

    await page.keyboard.press('Enter');
    await page.locator('.sidebar.open').waitFor();
    const link = sidebar.getByRole('link', { name: '李白', exact: true });
    await tabTo(page, link);
    await page.keyboard.press('Enter');
    await poll(() => page.locator('.conv-title').textContent()).toContain('李白');
    await poll(() => focused(page.locator('main h1'))).toBe(true);
    await page.setViewportSize(DESKTOP);
  });

  it('names each character row by its name, with the biography as its description', async () => {
    const row = page.locator('.sidebar').getByRole('link', { name: '杜甫', exact: true });
    expect(await row.count()).toBe(1);
    const described = await row.evaluate((a) => document.getElementById(a.getAttribute('aria-describedby') ?? '')?.textContent ?? '');
    expect(described).toContain('唐代诗人');
  });

  it('axe finds no violation on any screen, in both languages and themes, on desktop and phone', async () => {
    const cookies = await context.cookies();
    const ids = await page.evaluate(async () => {
      const chars = (await (await fetch('/api/characters')).json()) as { items: { id: number; name: string }[] };
      const groups = (await (await fetch('/api/groups')).json()) as { id: number }[] | { items: { id: number }[] };
      const g = Array.isArray(groups) ? groups : groups.items;
      return { character: chars.items.find((c) => c.name === '李白')!.id, group: g[0]!.id };
    });
    // Markdown worth checking in the bubbles (a table, code, a list, a link).
    await page.goto(`${stack.baseUrl}/characters/${ids.character}`);
    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill('| 诗 | 年 |\n|---|---|\n| 静夜思 | 726 |\n\n`code` and [a link](https://example.com)\n\n- one\n- two');
    await input.press('Enter');
    await page.locator('article[data-role="assistant"][data-status="complete"]').nth(1).waitFor({ timeout: 30_000 });

    type Screen = { name: string; path: string; signedOut?: boolean; phone?: boolean; desktop?: boolean; open?: (p: Page, en: boolean) => Promise<void> };
    const button = (p: Page, zh: string, en: string, isEn: boolean) => p.getByRole('button', { name: isEn ? en : zh, exact: true }).first();
    const openDrawer = async (p: Page, en: boolean) => {
      if ((p.viewportSize()?.width ?? 1000) > 768) return;
      await button(p, '打开菜单', 'Open menu', en).click();
      await p.locator('.sidebar.open').waitFor();
    };
    const screens: Screen[] = [
      { name: 'sign-in', path: '/', signedOut: true },
      { name: 'chat', path: `/characters/${ids.character}` },
      { name: 'group', path: `/groups/${ids.group}` },
      { name: 'settings', path: '/settings' },
      { name: 'admin', path: '/admin' },
      {
        name: 'create',
        path: `/characters/${ids.character}`,
        open: async (p, en) => {
          await openDrawer(p, en);
          await p.locator('.side-actions').getByRole('button', { name: en ? 'New character' : '新建角色' }).click();
        },
      },
      {
        name: 'profile-editor',
        path: `/characters/${ids.character}`,
        desktop: true,
        open: async (p, en) => {
          await p.locator('.info-pane').getByRole('button', { name: en ? 'Edit profile' : '编辑档案' }).click();
        },
      },
      { name: 'drawer', path: `/characters/${ids.character}`, phone: true, open: openDrawer },
      {
        name: 'info-sheet',
        path: `/characters/${ids.character}`,
        phone: true,
        open: async (p, en) => {
          await button(p, '简介', 'Info', en).click();
        },
      },
      {
        name: 'manage-group',
        path: `/groups/${ids.group}`,
        desktop: true,
        open: async (p, en) => {
          await p.locator('.info-pane').getByRole('button', { name: en ? 'Manage group' : '管理群聊' }).first().click();
        },
      },
    ];

    const failures: string[] = [];
    let scans = 0;
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        for (const [vpName, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
          const signedIn = await launch({ viewport, locale, colorScheme });
          await signedIn.ctx.addCookies(cookies);
          const signedOut = await launch({ viewport, locale, colorScheme });
          const en = locale === 'en';
          for (const s of screens) {
            if ((s.phone && vpName !== 'phone') || (s.desktop && vpName !== 'desktop')) continue;
            const p = s.signedOut ? signedOut.p : signedIn.p;
            await p.goto(`${stack.baseUrl}${s.path}`);
            await p.locator(s.signedOut ? '.auth-card' : 'main h1').waitFor();
            if (!s.signedOut) await p.locator('.side-lists .nav-item').first().waitFor({ state: 'attached' });
            if (s.name === 'chat') await p.locator('.md table').waitFor();
            if (s.open) await s.open(p, en);
            if (s.name !== 'drawer' && s.open) await p.locator('dialog[open]').waitFor();
            await p.evaluate(() => document.fonts.ready);
            if (!(await p.evaluate(() => 'axe' in window))) await p.addScriptTag({ path: AXE });
            const result = await p.evaluate(async () => {
              // eslint-disable-next-line @typescript-eslint/no-explicit-any
              const axe = (window as any).axe;
              const r = await axe.run(document, { resultTypes: ['violations'] });
              return (r.violations as { id: string; impact: string; nodes: { target: string[]; failureSummary: string }[] }[]).map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => `${n.target.join(' ')} — ${n.failureSummary.split('\n').slice(1, 2).join('')}`).join(' | ')}`);
            });
            scans++;
            const label = `${s.name} ${locale} ${colorScheme} ${vpName}`;
            for (const v of result) failures.push(`${label}: ${v}`);
            if (locale === 'zh-CN' && colorScheme === 'dark') await p.screenshot({ path: join(SHOTS, `a11y-axe-${s.name}-${vpName}-dark.png`) });
            await p.keyboard.press('Escape');
          }
          await signedIn.ctx.close();
          await signedOut.ctx.close();
        }
      }
    }
    expect(failures).toEqual([]);
    expect(scans).toBeGreaterThanOrEqual(64);
  }, 480_000);

  it('logs no error to the console (the signed-out session check included)', async () => {
    expect(consoleErrors).toEqual([]);
  });
});
