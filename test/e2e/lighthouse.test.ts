/**
 * Lighthouse (mobile preset, local Chromium) over the sign-in page and a signed-in chat: the
 * accessibility and best-practices categories score 100 (their audits are deterministic; the
 * performance score depends on the machine and is reported by `npm run bench:web` instead).
 * Also: a page asked for with a session cookie names the signed-in app's chunk in a modulepreload
 * header, and the sign-in page (no cookie) loads nothing more.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedLongChat, type LongChat } from '../support/long-chat.js';
import { startLighthouse, type LighthouseReport, type LighthouseRunner } from './lighthouse.js';
import { launchChromium, startStack, type Stack } from './stack.js';

let stack: Stack;
let lh: LighthouseRunner;
let browser: Browser;
let chat: LongChat;

/** The scores, and what failed, for a readable assertion message. */
const summary = (r: LighthouseReport) => ({ accessibility: r.scores.accessibility, bestPractices: r.scores['best-practices'], failed: r.failed, runtimeError: r.runtimeError });

describe('Lighthouse in Chromium', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    stack = await startStack();
    chat = await seedLongChat(stack, 60, 'lighthouse');
    lh = await startLighthouse();
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await lh?.close().catch(() => undefined);
    await browser?.close().catch(() => undefined);
    await stack?.close();
  });

  it('scores 100 for accessibility and best practices on the sign-in page', async () => {
    const r = await lh.audit(`${stack.baseUrl}/`, { categories: ['accessibility', 'best-practices'] });
    expect(summary(r)).toEqual({ accessibility: 100, bestPractices: 100, failed: [], runtimeError: undefined });
  });

  it('scores 100 for accessibility and best practices on a signed-in chat', async () => {
    const r = await lh.audit(`${stack.baseUrl}/characters/${chat.characterId}`, { cookie: `${chat.cookie.name}=${chat.cookie.value}`, categories: ['accessibility', 'best-practices'] });
    // Signed in: the app moved to the chat's own URL (a signed-out page stays on the sign-in form).
    expect(r.finalUrl).toMatch(new RegExp(`/characters/${chat.characterId}/chats/\\d+$`));
    expect(summary(r)).toEqual({ accessibility: 100, bestPractices: 100, failed: [], runtimeError: undefined });
  });

  it('preloads the signed-in app for a browser with a session, and only the sign-in code without one', async () => {
    const signedIn = await fetch(`${stack.baseUrl}/characters/${chat.characterId}`, { headers: { cookie: `${chat.cookie.name}=${chat.cookie.value}` } });
    const link = signedIn.headers.get('link') ?? '';
    expect(link).toMatch(/^<\/assets\/Shell-[\w-]+\.js>; rel=modulepreload/);
    const anonymous = await fetch(`${stack.baseUrl}/`);
    expect(anonymous.headers.get('link')).toBeNull();

    // The preloaded chunk is the one the app then imports: the browser fetches it once, from the header.
    const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
    await ctx.addCookies([chat.cookie]);
    const page = await ctx.newPage();
    const scripts: string[] = [];
    page.on('request', (r) => r.resourceType() === 'script' && scripts.push(new URL(r.url()).pathname));
    await page.goto(`${stack.baseUrl}/characters/${chat.characterId}`);
    await page.locator('article[data-role="assistant"] .md').last().waitFor({ timeout: 15_000 });
    const shell = /<([^>]+)>/.exec(link)![1]!;
    expect(scripts.filter((s) => s === shell)).toHaveLength(1);
    await ctx.close();
  });
});
