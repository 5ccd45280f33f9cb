/**
 * One round of the UI benchmarks (first-paint.ts, trace.ts, profile.ts): a new tab of chromium
 * (cdp.ts) with the HTTP cache emptied (a first visit), the page opened once the machine is at rest
 * (at-rest.ts; `atRest: false`: at once), and the page's own first-paint marks read when the map is
 * painted and complete. `token`: put in the tab's sessionStorage, as after the user gave it once.
 * `beforeNavigate` / `afterLoad` run around the load (a profiler, a trace). The tab is closed after.
 */
import { machineAtRest } from './at-rest.js';
import type { Chromium } from './cdp.js';

/** The page's figures, ms after navigation start (null: the page had no such mark or request). */
export interface Marks {
  doc: number | null;
  /** The map's first request, if the page made one: its markup (/ui/map.html) or its data (/v1/map). */
  dataSent: number | null;
  dataEnd: number | null;
  /** The last of the page's modules in. */
  modulesEnd: number | null;
  /** First contentful paint (the header). */
  fcp: number | null;
  rendered: number | null;
  frame: number | null;
  painted: number;
  complete: number;
  firstHosts: number;
  filled: boolean;
  hosts: number;
  replicas: number;
  window: string;
}

// Runs in the page: resolves once the page's own marks are there (one observer that sleeps until
// then; polling would take the page's main thread inside the measured window), with the figures.
const READ_MARKS = `new Promise((resolve) => {
  const p = performance;
  const at = (name) => p.getEntriesByName(name)[0]?.startTime ?? null;
  const done = () => p.getEntriesByName('maestro-map-complete').length > 0 && p.getEntriesByName('maestro-map-painted').length > 0;
  const report = () => {
    const detail = p.getEntriesByName('maestro-map-painted')[0].detail ?? {};
    const resources = p.getEntriesByType('resource');
    const data = resources.find((e) => e.name.endsWith('/ui/map.html') || e.name.endsWith('/v1/map'));
    const modules = resources.filter((e) => e.name.endsWith('.js')).map((e) => e.responseEnd);
    resolve({ doc: p.getEntriesByType('navigation')[0]?.responseEnd ?? null, dataSent: data?.startTime ?? null, dataEnd: data?.responseEnd ?? null,
      modulesEnd: modules.length ? Math.max(...modules) : null, fcp: at('first-contentful-paint'), rendered: at('maestro-map'), frame: at('maestro-map-frame'),
      painted: at('maestro-map-painted'), complete: at('maestro-map-complete'), firstHosts: detail.hosts ?? 0, filled: detail.filled === true,
      hosts: document.querySelectorAll('.host').length, replicas: document.querySelectorAll('.replica').length, window: innerWidth + '×' + innerHeight });
  };
  if (done()) return report();
  const observer = new PerformanceObserver(() => { if (done()) { observer.disconnect(); report(); } });
  observer.observe({ type: 'mark' });
})`;

export interface RoundOptions {
  url: string;
  token?: string;
  atRest: boolean;
  beforeNavigate?: (sessionId: string) => Promise<void>;
  afterLoad?: (sessionId: string) => Promise<void>;
}

export async function loadRound(browser: Chromium, opts: RoundOptions): Promise<Marks & { rested: boolean }> {
  const { targetId } = await browser.send<{ targetId: string }>('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await browser.send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true });
  try {
    await browser.send('Network.clearBrowserCache', {}, sessionId);
    if (opts.token) {
      // The call needs the page domain enabled: its lifecycle events are the one piece of
      // instrumentation these rounds have and the token-less ones do not.
      await browser.send('Page.enable', {}, sessionId);
      await browser.send('Page.addScriptToEvaluateOnNewDocument', { source: `sessionStorage.setItem('maestro.token', ${JSON.stringify(opts.token)})` }, sessionId);
    }
    const rested = opts.atRest ? await machineAtRest() : false;
    await opts.beforeNavigate?.(sessionId);
    // Answers once the navigation committed: the evaluation below runs in the new document.
    const nav = await browser.send<{ errorText?: string }>('Page.navigate', { url: opts.url }, sessionId);
    if (nav.errorText) throw new Error(`navigation failed: ${nav.errorText}`);
    const evaluated = browser.send<{ result: { value: Marks }; exceptionDetails?: { text: string } }>('Runtime.evaluate', { expression: READ_MARKS, awaitPromise: true, returnByValue: true }, sessionId);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('the map was not painted and complete within 60 s')), 60_000); });
    const answer = await Promise.race([evaluated, late]).finally(() => clearTimeout(timer));
    if (answer.exceptionDetails) throw new Error(`reading the page's marks: ${answer.exceptionDetails.text}`);
    await opts.afterLoad?.(sessionId);
    return { ...answer.result.value, rested };
  } finally {
    await browser.send('Target.closeTarget', { targetId });
  }
}
