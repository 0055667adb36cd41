/**
 * Lighthouse (mobile preset: Moto G Power screen, simulated slow 4G and 4× CPU) over the local
 * Chromium, for the web bench (`bench/web.ts --lighthouse`) and the browser test that holds
 * accessibility and best practices at 100. Chromium is started by Playwright with a debugging port
 * that Lighthouse drives; a signed-in page gets the session cookie through `extraHeaders`.
 *
 * @example
 *   const lh = await startLighthouse();
 *   const r = await lh.audit(`${stack.baseUrl}/characters/1`, { cookie: 'fastnpc_session=…' });
 *   await lh.close();
 */
import lighthouse from 'lighthouse';
import type { Browser } from 'playwright-core';
import { freePort, launchChromium } from './stack.js';

export type Category = 'performance' | 'accessibility' | 'best-practices' | 'seo';

export interface LighthouseReport {
  url: string;
  /** Where the page ended up (the app puts the open chat's id in the URL once signed in). */
  finalUrl: string;
  /** 0–100 per category (null when Lighthouse could not score it). */
  scores: Partial<Record<Category, number | null>>;
  lcpMs?: number;
  tbtMs?: number;
  cls?: number;
  fcpMs?: number;
  /** Audits scored below 1 in the categories other than performance, with the elements they name. */
  failed: { id: string; title: string; items: string[] }[];
  /** Console errors Lighthouse saw (the best-practices audit fails on any). */
  runtimeError?: string;
}

export interface LighthouseRunner {
  audit: (url: string, opts?: { cookie?: string; categories?: Category[] }) => Promise<LighthouseReport>;
  close: () => Promise<void>;
}

export async function startLighthouse(): Promise<LighthouseRunner> {
  const port = await freePort();
  const browser: Browser = await launchChromium([`--remote-debugging-port=${port}`]);
  const audit: LighthouseRunner['audit'] = async (url, opts = {}) => {
    const categories = opts.categories ?? ['performance', 'accessibility', 'best-practices'];
    const result = await lighthouse(url, {
      port,
      output: 'json',
      logLevel: 'error',
      onlyCategories: categories,
      extraHeaders: opts.cookie ? { cookie: opts.cookie } : undefined,
    });
    if (!result) throw new Error(`Lighthouse returned nothing for ${url}`);
    const lhr = result.lhr;
    const num = (id: string) => {
      const v = lhr.audits[id]?.numericValue;
      if (typeof v !== 'number') return undefined;
      return id === 'cumulative-layout-shift' ? Math.round(v * 1000) / 1000 : Math.round(v); // CLS to 3 places, times to whole ms
    };
    const failed: LighthouseReport['failed'] = [];
    for (const cat of categories) {
      if (cat === 'performance') continue;
      for (const ref of lhr.categories[cat]?.auditRefs ?? []) {
        const a = lhr.audits[ref.id];
        if (!a || ref.weight === 0 || a.score === null || a.score >= 1) continue;
        const items = ((a.details as { items?: { node?: { snippet?: string; selector?: string }; source?: { url?: string }; description?: string; url?: string }[] } | undefined)?.items ?? []).map(
          (i) => i.node?.selector ?? i.node?.snippet ?? i.description ?? i.source?.url ?? i.url ?? JSON.stringify(i).slice(0, 200),
        );
        failed.push({ id: a.id, title: a.title, items });
      }
    }
    return {
      url,
      finalUrl: lhr.finalDisplayedUrl,
      scores: Object.fromEntries(categories.map((c) => [c, lhr.categories[c]?.score == null ? null : Math.round(lhr.categories[c]!.score! * 100)])),
      lcpMs: num('largest-contentful-paint'),
      tbtMs: num('total-blocking-time'),
      cls: num('cumulative-layout-shift'),
      fcpMs: num('first-contentful-paint'),
      failed,
      runtimeError: lhr.runtimeError?.message,
    };
  };
  return { audit, close: () => browser.close() };
}
