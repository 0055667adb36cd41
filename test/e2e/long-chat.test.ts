/**
 * A 1,000-message chat in Chromium against the real server and the mock LLM (history seeded into
 * SQLite, test/support/long-chat.ts): the message list is virtual, so the number of message rows in
 * the DOM stays bounded at the bottom, all the way up and at the very top; the first message is
 * reachable by scrolling; an older page loading above keeps the message being read in place; a
 * streamed reply stays in view while the reader is at the bottom; "latest" jumps back down.
 * Screenshots of the long chat in zh-CN/en × light/dark × desktop/phone go to
 * test-output/screenshots/long-chat-*.png.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedLongChat, type LongChat } from '../support/long-chat.js';
import { launchChromium, ROOT, startStack, type Stack } from './stack.js';

const SHOTS = join(ROOT, 'test-output', 'screenshots');
const DESKTOP = { width: 1360, height: 860 };
const PHONE = { width: 390, height: 844 };
/** What "bounded" means here: a screenful and the overscan either side, far below 1,000. */
const MAX_ROWS = 80;

let stack: Stack;
let browser: Browser;
let chat: LongChat;
const pageErrors: string[] = [];

const poll = <T>(fn: () => T | Promise<T>, timeout = 15_000) => expect.poll(fn, { timeout });

async function open(opts: { viewport?: { width: number; height: number }; locale?: string; colorScheme?: 'light' | 'dark' } = {}): Promise<{ ctx: BrowserContext; page: Page }> {
  const ctx = await browser.newContext({ viewport: opts.viewport ?? DESKTOP, locale: opts.locale ?? 'zh-CN', colorScheme: opts.colorScheme ?? 'light', reducedMotion: 'reduce' });
  await ctx.addCookies([chat.cookie]);
  const page = await ctx.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${stack.baseUrl}/characters/${chat.characterId}`);
  await page.locator('article[data-role="assistant"] .md').last().waitFor();
  return { ctx, page };
}

/** Rows in the DOM, and where the log's scroll position is. */
const listState = (page: Page) =>
  page.evaluate(() => {
    const el = document.querySelector<HTMLElement>('.messages')!;
    return { rows: el.querySelectorAll('article.msg').length, top: el.scrollTop, fromEnd: el.scrollHeight - el.scrollTop - el.clientHeight, height: el.scrollHeight };
  });

/** Waits until the log's scroll position has not changed for 10 frames in a row (a scroll animation is over). */
const scrollSettled = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const el = document.querySelector<HTMLElement>('.messages')!;
        let last = el.scrollTop;
        let still = 0;
        const frame = () => {
          still = el.scrollTop === last ? still + 1 : 0;
          last = el.scrollTop;
          if (still >= 10) resolve();
          else requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      }),
  );

/** Waits until the browser has painted what is in the DOM now (two animation frames, no fixed sleep). */
const painted = (page: Page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));

describe('a 1,000-message chat in Chromium', { timeout: 240_000 }, () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    stack = await startStack();
    browser = await launchChromium();
    chat = await seedLongChat(stack, 1000, 'longreader');
  }, 120_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stack?.close();
  });

  it('opens at the newest message with a bounded number of rows in the DOM', async () => {
    const { ctx, page } = await open();
    const log = page.getByRole('log', { name: '对话消息' });
    await poll(async () => (await listState(page)).fromEnd).toBeLessThan(80);
    const s = await listState(page);
    expect(s.rows).toBeGreaterThan(3);
    expect(s.rows).toBeLessThanOrEqual(MAX_ROWS);
    // The newest message (the real turn's reply) is on screen.
    const lastBox = await page.locator('article.msg').last().boundingBox();
    const logBox = await log.boundingBox();
    expect(lastBox!.y + lastBox!.height).toBeLessThanOrEqual(logBox!.y + logBox!.height + 1);
    await ctx.close();
  });

  it('scrolls up to the very first message with the DOM bounded all the way, and jumps back to the latest', async () => {
    const { ctx, page } = await open({ viewport: PHONE });
    let most = 0;
    const began = Date.now();
    for (;;) {
      const step = await page.evaluate(() => {
        const el = document.querySelector<HTMLElement>('.messages')!;
        el.scrollBy(0, -el.clientHeight * 0.9);
        return { atBeginning: !!el.querySelector('.older.muted'), top: el.scrollTop };
      });
      await painted(page);
      most = Math.max(most, (await listState(page)).rows);
      if (step.atBeginning && step.top === 0) break;
      expect(Date.now() - began, 'never reached the beginning').toBeLessThan(180_000);
    }
    expect(most).toBeLessThanOrEqual(MAX_ROWS);
    const first = page.locator('article.msg').first();
    await expect.poll(() => first.locator('.bubble').textContent()).toContain(chat.firstText.slice(0, 5));
    expect(await first.isVisible()).toBe(true);
    const atTop = await listState(page);
    expect(atTop.rows).toBeLessThanOrEqual(MAX_ROWS);
    await page.screenshot({ path: join(SHOTS, 'long-chat-top-phone.png') });

    const latest = page.getByRole('button', { name: '回到最新消息' });
    await latest.click();
    await poll(async () => (await listState(page)).fromEnd).toBeLessThan(80);
    await poll(() => latest.count()).toBe(0);
    expect((await listState(page)).rows).toBeLessThanOrEqual(MAX_ROWS);
    await ctx.close();
  });

  it('keeps the message being read in place when an older page loads above it', async () => {
    const { ctx, page } = await open();
    // Far enough from the top that nothing loads yet, then up into the zone that asks for a page.
    const before = await page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('.messages')!;
      el.scrollTop = 900;
      return el.scrollHeight;
    });
    await painted(page);
    const anchor = await page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('.messages')!;
      const top = el.getBoundingClientRect().top;
      const a = [...el.querySelectorAll<HTMLElement>('article.msg')].find((x) => x.getBoundingClientRect().top >= top)!;
      return { key: a.dataset.key!, y: a.getBoundingClientRect().top };
    });
    const older = page.waitForResponse((r) => /\/messages\?before=/.test(r.url()));
    await page.evaluate(() => document.querySelector<HTMLElement>('.messages')!.scrollBy(0, -500));
    await older;
    await poll(async () => (await listState(page)).height).toBeGreaterThan(before);
    await painted(page);
    const after = await page.evaluate((key) => document.querySelector<HTMLElement>(`article[data-key="${key}"]`)?.getBoundingClientRect().top ?? null, anchor.key);
    expect(after).not.toBeNull();
    // Scrolled up by 500 px: the same message is 500 px lower on screen, not thrown elsewhere by the prepend.
    expect(Math.abs(after! - (anchor.y + 500))).toBeLessThanOrEqual(2);
    await ctx.close();
  });

  it('follows a streamed reply while the reader is at the bottom', async () => {
    const { ctx, page } = await open({ viewport: PHONE });
    await poll(async () => (await listState(page)).fromEnd).toBeLessThan(80);
    // Each painted frame while a reply streams: how far the log is from its end.
    await page.evaluate(() => {
      const w = window as unknown as { __gaps: number[]; __watch: boolean };
      w.__gaps = [];
      w.__watch = true;
      const frame = () => {
        if (!w.__watch) return;
        setTimeout(() => {
          const el = document.querySelector<HTMLElement>('.messages')!;
          if (el.querySelector('article[data-status="streaming"] .md')) w.__gaps.push(el.scrollHeight - el.scrollTop - el.clientHeight);
          requestAnimationFrame(frame);
        }, 0);
      };
      requestAnimationFrame(frame);
    });
    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill('请写一首长诗，写月亮、长江和故乡。');
    await input.press('Enter');
    await page.locator('article[data-role="assistant"][data-status="streaming"]').last().waitFor();
    await page.locator('article[data-role="assistant"][data-status="complete"]').last().waitFor({ timeout: 30_000 });
    await poll(() => page.locator('article[data-status="streaming"]').count()).toBe(0);
    const gaps = await page.evaluate(() => {
      const w = window as unknown as { __gaps: number[]; __watch: boolean };
      w.__watch = false;
      return w.__gaps;
    });
    expect(gaps.length).toBeGreaterThan(0);
    // A frame may show one token's growth before the list follows it (a line or two), never more.
    expect(Math.max(...gaps)).toBeLessThan(120);
    await poll(async () => (await listState(page)).fromEnd).toBeLessThan(80);
    const reply = page.locator('article[data-role="assistant"]').last();
    const box = await reply.boundingBox();
    const logBox = await page.locator('.messages').boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(logBox!.y + logBox!.height + 1);
    expect((await listState(page)).rows).toBeLessThanOrEqual(MAX_ROWS);
    await ctx.close();
  });

  it('can be scrolled with the keyboard: the log takes focus, Page Up goes up, End comes back to the newest message', async () => {
    const { ctx, page } = await open();
    const log = page.getByRole('log', { name: '对话消息' });
    await log.focus();
    const start = (await listState(page)).top;
    for (let i = 0; i < 3; i++) await page.keyboard.press('PageUp');
    await poll(async () => (await listState(page)).top).toBeLessThan(start);
    // At once, while the Page Up scroll may still be animating: Chromium does not stop that
    // animation for a script's scroll, so it used to carry the log back up after the jump.
    await page.keyboard.press('End');
    await poll(async () => (await listState(page)).fromEnd).toBeLessThan(80);
    // And it stays there once nothing moves any more.
    await scrollSettled(page);
    expect((await listState(page)).fromEnd).toBeLessThan(80);
    await ctx.close();
  });

  it('moves from the character to its chat URL without reloading: typed text, scroll position and rows stay', async () => {
    const ctx = await browser.newContext({ viewport: DESKTOP, locale: 'zh-CN', reducedMotion: 'reduce' });
    await ctx.addCookies([chat.cookie]);
    const page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    // Hold the chat list (what names the chat for the URL) until the conversation is on screen and in use.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    await page.route(/\/api\/characters\/\d+\/chats$/, async (route) => {
      await held;
      await route.continue();
    });
    const messageRequests: string[] = [];
    page.on('request', (r) => /\/messages(\?|$)/.test(r.url()) && messageRequests.push(new URL(r.url()).pathname + new URL(r.url()).search));
    await page.goto(`${stack.baseUrl}/characters/${chat.characterId}`);
    await page.locator('article[data-role="assistant"] .md').last().waitFor();
    await poll(async () => (await listState(page)).fromEnd).toBeLessThan(80);
    const input = page.getByRole('textbox', { name: '消息' });
    await input.fill('还没发出去的话');
    await page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('.messages')!;
      el.scrollTop -= 300;
      (el as unknown as { __mark: boolean }).__mark = true;
    });
    // The rows scrolled into view are measured (and the list settles) before the move.
    await painted(page);
    await painted(page);
    const top = (await listState(page)).top;
    const requestsBefore = messageRequests.length;
    release();
    await poll(() => new URL(page.url()).pathname).toMatch(/\/characters\/\d+\/chats\/\d+$/);
    await painted(page);
    expect(await input.inputValue()).toBe('还没发出去的话');
    const after = await page.evaluate(() => {
      const el = document.querySelector<HTMLElement>('.messages')!;
      return { same: (el as unknown as { __mark?: boolean }).__mark === true, top: el.scrollTop };
    });
    expect(after.same).toBe(true);
    expect(Math.abs(after.top - top)).toBeLessThanOrEqual(1);
    // No second fetch of the newest page: the messages on screen are this chat's.
    expect(messageRequests.slice(requestsBefore).filter((u) => !u.includes('before='))).toEqual([]);
    await ctx.close();
  });

  it('looks right in both languages and themes, on desktop and phone (screenshots)', async () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      for (const colorScheme of ['light', 'dark'] as const) {
        for (const [name, viewport] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
          const { ctx, page } = await open({ viewport, locale, colorScheme });
          await poll(async () => (await listState(page)).fromEnd).toBeLessThan(80);
          // Partway up, so the "latest" button shows too.
          await page.evaluate(() => {
            const el = document.querySelector<HTMLElement>('.messages')!;
            el.scrollTop = Math.max(0, el.scrollTop - el.clientHeight * 2.5);
          });
          await page.getByRole('button', { name: locale === 'en' ? 'Latest messages' : '回到最新消息' }).waitFor();
          await painted(page);
          expect((await listState(page)).rows).toBeLessThanOrEqual(MAX_ROWS);
          await page.screenshot({ path: join(SHOTS, `long-chat-${locale}-${colorScheme}-${name}.png`) });
          await ctx.close();
        }
      }
    }
  });

  it('raised no page error', () => {
    expect(pageErrors).toEqual([]);
  });
});
