/**
 * The web app on a throttled phone profile, in Chromium through the e2e stack (real server, mock
 * LLM): `npm run bench:web` (builds first) or `npx tsx bench/web.ts [--web-dir DIR] [--runs N]`.
 *
 * `--lighthouse` (on in `npm run bench:web`) first runs Lighthouse's mobile preset on the sign-in page
 * and on the chat page of the signed-in user, `--runs` times each (medians of the scores, LCP, TBT
 * and CLS; test/e2e/lighthouse.ts); `--lighthouse-only` stops there. The bench's own loads measure
 * more than Lighthouse reports, from CDP and the browser's performance timeline: 4× CPU slowdown (Emulation.setCPUThrottlingRate)
 * and a Fast-3G-like network (150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up), a 390×844 phone
 * viewport, a cold cache per run. Measured:
 *   - sign-in and chat screens: largest contentful paint, cumulative layout shift, JS bytes loaded
 *     (as sent, and brotli-compressed as a compressing server would send them), console errors;
 *   - chat: sequential API round trips before the messages are requested and shown (a request's
 *     depth is one more than the deepest API request that had finished when it started);
 *   - a 1,000-message chat: keystroke to next frame in the composer (Event Timing, p50/p95),
 *     long tasks while scrolling to the very top, and the DOM size there.
 * `--long-only` measures the 1,000-message chat alone (no page loads). `--web-dir DIR` serves another build of the app (e.g. one from before a change) by the same
 * server. Results go to stdout and bench/results/<time>-web.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brotliCompressSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { seedLongChat } from '../test/support/long-chat.js';
import { startLighthouse, type LighthouseReport } from '../test/e2e/lighthouse.js';
import { launchChromium, ROOT, startStack, type Stack } from '../test/e2e/stack.js';

const { values: args } = parseArgs({ options: { 'web-dir': { type: 'string' }, runs: { type: 'string', default: '3' }, label: { type: 'string' }, messages: { type: 'string', default: '1000' }, 'long-only': { type: 'boolean', default: false }, lighthouse: { type: 'boolean', default: false }, 'lighthouse-only': { type: 'boolean', default: false } } });
const RUNS = Math.max(1, Number(args.runs));
const WEB_DIR = args['web-dir'] ?? join(ROOT, 'dist', 'web');
const PHONE = { width: 390, height: 844 };
const NETWORK = { offline: false, latency: 150, downloadThroughput: (1.6 * 1024 * 1024) / 8, uploadThroughput: (750 * 1024) / 8 };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
};

/** Collects LCP and layout shifts from the first paint on (installed before any page script). */
const OBSERVERS = () => {
  const w = window as unknown as { __lcp: number; __cls: number; __shifts: string[] };
  w.__lcp = 0;
  w.__cls = 0;
  w.__shifts = [];
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) w.__lcp = e.startTime;
  }).observe({ type: 'largest-contentful-paint', buffered: true });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean; sources?: { node?: Node }[] })[]) {
      if (e.hadRecentInput) continue;
      w.__cls += e.value;
      const what = (e.sources ?? []).map((x) => (x.node instanceof Element ? `${x.node.tagName.toLowerCase()}.${[...x.node.classList].join('.')}` : '?')).join(' ');
      w.__shifts.push(`${e.value.toFixed(3)} at ${Math.round(e.startTime)} ms: ${what}`);
    }
  }).observe({ type: 'layout-shift', buffered: true });
};

interface Load {
  lcpMs: number;
  cls: number;
  jsBytes: number;
  jsBrotliBytes: number;
  jsFiles: string[];
  apiDepth?: number;
  consoleErrors: string[];
  /** The layout shifts, largest first, with the elements that moved. */
  shifts: string[];
}

async function throttled(browser: Browser, cookie?: { name: string; value: string; url: string }, signedInHint = false): Promise<{ ctx: BrowserContext; page: Page; errors: string[] }> {
  const ctx = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  if (cookie) await ctx.addCookies([cookie]);
  if (signedInHint) await ctx.addInitScript(() => localStorage.setItem('fastnpc.signedIn', '1'));
  await ctx.addInitScript(OBSERVERS);
  const page = await ctx.newPage();
  page.setDefaultTimeout(60_000);
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  await cdp.send('Network.emulateNetworkConditions', NETWORK);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  return { ctx, page, errors };
}

/** Loads `path`, waits for `ready`, and reads the timeline. */
async function measureLoad(browser: Browser, stack: Stack, path: string, ready: (p: Page) => Promise<unknown>, cookie?: { name: string; value: string; url: string }, hint = false): Promise<Load> {
  const { ctx, page, errors } = await throttled(browser, cookie, hint);
  const js: { url: string; bytes: number }[] = [];
  const api: { url: string; start: number; end: number }[] = [];
  const started = new Map<string, number>();
  page.on('request', (r) => started.set(r.url() + r.method(), Date.now()));
  page.on('requestfinished', async (r) => {
    const url = new URL(r.url());
    const sizes = await r.sizes().catch(() => null);
    if (r.resourceType() === 'script') js.push({ url: url.pathname, bytes: sizes?.responseBodySize ?? 0 });
    if (url.pathname.startsWith('/api/')) api.push({ url: `${r.method()} ${url.pathname}`, start: started.get(r.url() + r.method()) ?? 0, end: Date.now() });
  });
  await page.goto(`${stack.baseUrl}${path}`);
  await ready(page);
  // Let the largest paint settle (and late shifts, such as a banner, happen) before reading.
  await page.waitForTimeout(1500);
  const { lcp, cls, shifts } = await page.evaluate(() => {
    const w = window as unknown as { __lcp: number; __cls: number; __shifts: string[] };
    return { lcp: w.__lcp, cls: w.__cls, shifts: w.__shifts };
  });
  const jsBrotliBytes = js.reduce((n, f) => {
    try {
      return n + brotliCompressSync(readFileSync(join(WEB_DIR, f.url))).length;
    } catch {
      return n;
    }
  }, 0);
  // Round trips: depth of each API request, from which finished before it began.
  const depth = new Map<number, number>();
  api.sort((a, b) => a.start - b.start);
  api.forEach((r, i) => depth.set(i, 1 + Math.max(0, ...api.slice(0, i).map((q, j) => (q.end <= r.start ? depth.get(j)! : 0)))));
  const messagesAt = api.findIndex((r) => /\/messages$/.test(r.url));
  await ctx.close();
  return {
    lcpMs: Math.round(lcp),
    cls: Math.round(cls * 1000) / 1000,
    jsBytes: js.reduce((n, f) => n + f.bytes, 0),
    jsBrotliBytes,
    jsFiles: js.map((f) => f.url),
    apiDepth: messagesAt >= 0 ? depth.get(messagesAt) : undefined,
    consoleErrors: errors,
    shifts: shifts.sort((a, b) => parseFloat(b) - parseFloat(a)).slice(0, 5),
  };
}

/** Keystroke-to-frame in the composer and long tasks while scrolling to the top of the whole chat. */
async function longChat(browser: Browser, stack: Stack, cookie: { name: string; value: string; url: string }, characterId: number) {
  const { ctx, page } = await throttled(browser, cookie, true);
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await page.goto(`${stack.baseUrl}/characters/${characterId}`);
  await page.locator('article[data-role="assistant"]').last().waitFor();
  const input = page.getByRole('textbox', { name: '消息' });
  // Scroll to the top first, so all 1,000 messages are loaded when typing is measured.
  await page.evaluate(() => {
    const w = window as unknown as { __long: number[] };
    w.__long = [];
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) w.__long.push(e.duration);
    }).observe({ type: 'longtask' });
  });
  const list = page.locator('.messages');
  await list.waitFor();
  // BENCH_WEB_PROFILE=file.cpuprofile: the page's CPU profile while scrolling (open in DevTools).
  const profile = process.env.BENCH_WEB_PROFILE;
  if (profile) {
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
  }
  const began = Date.now();
  // One cheap evaluate per step: Playwright's own selector engine over 15,000 elements would show
  // up in the page's long tasks.
  for (;;) {
    const top = await page.evaluate(() => {
      const el = document.querySelector('.messages')!;
      el.scrollBy(0, -el.clientHeight * 0.8);
      return !!el.querySelector('.older.muted');
    });
    if (top) break;
    await page.waitForTimeout(50);
    if (Date.now() - began > 240_000) throw new Error(`never reached the top: ${await page.evaluate(() => document.querySelectorAll('article.msg').length)} messages loaded`);
  }
  await list.evaluate((el) => (el.scrollTop = 0));
  await page.waitForTimeout(500);
  const scroll = await page.evaluate(() => {
    const w = window as unknown as { __long: number[] };
    return { longTasks: w.__long.length, longestMs: Math.round(Math.max(0, ...w.__long)), totalMs: Math.round(w.__long.reduce((a, b) => a + b, 0)), elements: document.querySelectorAll('*').length, messages: document.querySelectorAll('article.msg').length };
  });
  const scrollSeconds = (Date.now() - began) / 1000;
  if (profile) writeFileSync(profile, JSON.stringify((await cdp.send('Profiler.stop')).profile));

  await input.focus();
  // From the keydown handler to the end of the next frame (a task queued from requestAnimationFrame
  // runs after that frame's style, layout and paint). Event Timing was tried first, but in headless
  // Chromium under CDP input its durations were a second or more even on a 60-message chat.
  await page.evaluate(() => {
    const w = window as unknown as { __keys: number[] };
    w.__keys = [];
    document.addEventListener(
      'keydown',
      () => {
        const t0 = performance.now();
        requestAnimationFrame(() => setTimeout(() => w.__keys.push(performance.now() - t0), 0));
      },
      true,
    );
  });
  // Latin letters: each is a real keydown (CJK text would come through the IME path, with no key events).
  const text = 'the moon is bright tonight, shall we walk by the river and talk about poems? ';
  for (const ch of text) {
    await page.keyboard.type(ch);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
  }
  await page.waitForTimeout(300);
  const all = await page.evaluate(() => (window as unknown as { __keys: number[] }).__keys.map((x) => Math.round(x)));
  await ctx.close();
  return { ...scroll, scrollSeconds: Math.round(scrollSeconds), keystrokes: text.length, keyToFrameP50Ms: median(all), keyToFrameP95Ms: pct(all, 95), keyToFrameMaxMs: Math.max(...all) };
}

/** Lighthouse `RUNS` times on each page, alternating; medians per figure, and every failed audit seen. */
async function lighthouseRuns(pages: Record<string, { url: string; cookie?: string }>) {
  const lh = await startLighthouse();
  const reports: Record<string, LighthouseReport[]> = Object.fromEntries(Object.keys(pages).map((k) => [k, []]));
  try {
    for (let i = 0; i < RUNS; i++) for (const [name, p] of Object.entries(pages)) reports[name]!.push(await lh.audit(p.url, { cookie: p.cookie }));
  } finally {
    await lh.close();
  }
  const med = (xs: (number | null | undefined)[]) => median(xs.filter((x): x is number => typeof x === 'number'));
  return Object.fromEntries(
    Object.entries(reports).map(([name, rs]) => [
      name,
      {
        performance: med(rs.map((r) => r.scores.performance)),
        accessibility: med(rs.map((r) => r.scores.accessibility)),
        bestPractices: med(rs.map((r) => r.scores['best-practices'])),
        lcpMs: med(rs.map((r) => r.lcpMs)),
        tbtMs: med(rs.map((r) => r.tbtMs)),
        cls: med(rs.map((r) => r.cls)),
        fcpMs: med(rs.map((r) => r.fcpMs)),
        performanceRuns: rs.map((r) => r.scores.performance),
        finalUrl: rs[0]?.finalUrl,
        failed: [...new Map(rs.flatMap((r) => r.failed).map((f) => [f.id, f])).values()],
        runtimeErrors: [...new Set(rs.map((r) => r.runtimeError).filter(Boolean))],
      },
    ]),
  );
}

async function main() {
  if (args['web-dir']) process.env.FASTNPC_WEB_DIR = args['web-dir'];
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  const stack = await startStack();
  const browser = await launchChromium();
  try {
    const { cookie, characterId } = await seedLongChat(stack, Number(args.messages));
    const lighthouseResult =
      args.lighthouse || args['lighthouse-only']
        ? await lighthouseRuns({ signIn: { url: `${stack.baseUrl}/` }, chat: { url: `${stack.baseUrl}/characters/${characterId}`, cookie: `${cookie.name}=${cookie.value}` } })
        : null;
    if (lighthouseResult) process.stderr.write(`lighthouse: ${JSON.stringify(lighthouseResult, null, 2)}\n`);
    const signIn: Load[] = [];
    const chatFirst: Load[] = [];
    const chatReturning: Load[] = [];
    const chatReady = (p: Page) => p.locator('article[data-role="assistant"] .bubble').last().waitFor();
    const loads = !args['long-only'] && !args['lighthouse-only'];
    for (let i = 0; i < (loads ? RUNS : 0); i++) {
      signIn.push(await measureLoad(browser, stack, '/', (p) => p.locator('.auth-card button[type=submit]').waitFor()));
      chatFirst.push(await measureLoad(browser, stack, `/characters/${characterId}`, chatReady, cookie));
      chatReturning.push(await measureLoad(browser, stack, `/characters/${characterId}`, chatReady, cookie, true));
    }
    const summary = (xs: Load[]) =>
      xs.length === 0
        ? null
        : {
      lcpMs: median(xs.map((x) => x.lcpMs)),
      cls: median(xs.map((x) => x.cls)),
      jsBytes: median(xs.map((x) => x.jsBytes)),
      jsBrotliBytes: median(xs.map((x) => x.jsBrotliBytes)),
      apiRoundTrips: xs[0]!.apiDepth,
      jsFiles: xs[0]!.jsFiles,
      consoleErrors: [...new Set(xs.flatMap((x) => x.consoleErrors))],
            shifts: xs[0]!.shifts,
          };
    process.stderr.write(`loads: ${JSON.stringify({ signIn: summary(signIn), chatFirst: summary(chatFirst), chatReturning: summary(chatReturning) })}\n`);
    const result = {
      label: args.label ?? (args['web-dir'] ? args['web-dir'] : 'dist/web'),
      at: new Date().toISOString(),
      profile: { cpuSlowdown: 4, network: NETWORK, viewport: PHONE, runs: RUNS },
      lighthouse: lighthouseResult,
      signIn: summary(signIn),
      chatFirstVisit: summary(chatFirst),
      chatReturning: summary(chatReturning),
      longChat: args['lighthouse-only'] ? null : await longChat(browser, stack, cookie, characterId),
      // The machine is shared: 1/5/15-minute load averages when the bench began and ended.
      loadAverage: { before: loadBefore, after: loadavg().map((x) => Math.round(x * 100) / 100) },
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
    writeFileSync(join(ROOT, 'bench', 'results', `${result.at.replace(/[:.]/g, '-')}-web.json`), JSON.stringify(result, null, 2));
  } finally {
    await browser.close();
    await stack.close();
  }
}

await main();
