/**
 * Where the milliseconds of the map's first paint go: chromium performance traces (CDP Tracing
 * through playwright-core) of fresh pages on the simulated cluster (100 hosts, 2,000 replicas),
 * from navigation start to the frame painted with the map. Per round: the milestones (document,
 * map data and modules in, header painted, map rendered and painted) and the renderer main
 * thread's time by kind — thread CPU time (the trace's `tdur`) beside wall time, since on a shared
 * machine the wall clock mostly measures the other processes: CPU time is what a change to the
 * page can lower. Then the median of each over the rounds, and the CPU time of the browser's other
 * processes in the same window (browser, GPU, network service: what the page's requests cost).
 * `--token`: an API with a token (the page builds the map from /v1/map; without, the map comes in the page).
 * Driven by playwright, which attaches to the page and enables its domains: its rounds run
 * ~150 ms slower than first-paint.ts (bare DevTools protocol, cdp.ts); the split between kinds of work is what it is for.
 * Usage: node .build/x/bench/ui/trace.js [rounds] [--token]   (rounds after one warm-up)
 */
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../../test/ui/browser.js';
import { simulatedClusterProcess } from './simulated-cluster.js';
import { kindOf, selfTimes, type TraceEvent } from './trace-events.js';

const rounds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);
const TOKEN = process.argv.includes('--token') ? 'bench-token' : undefined;
if (!CHROMIUM) throw new Error('chromium is needed (apt-get install chromium, or MAESTRO_CHROMIUM)');
const cluster = await simulatedClusterProcess(TOKEN);
const browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
const CATEGORIES = ['toplevel', 'devtools.timeline', 'blink.user_timing', 'loading', 'v8'];
const perRound: Array<Map<string, number>> = [];
const ms = (us: number): string => (us / 1000).toFixed(1);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;

for (let round = 0; round <= rounds; round++) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  if (TOKEN) await page.addInitScript((t) => (globalThis as any).sessionStorage.setItem('maestro.token', t), TOKEN);
  await browser.startTracing(page, { categories: CATEGORIES });
  await page.goto(cluster.url, { waitUntil: 'commit' });
  await page.waitForFunction(() => (globalThis as any).performance.getEntriesByName('maestro-map-painted').length > 0, undefined, { timeout: 60_000, polling: 100 });
  const at = await page.evaluate(() => {
    const p = (globalThis as any).performance;
    const last = (re: RegExp): number => Math.max(...p.getEntriesByType('resource').filter((e: any) => re.test(e.name)).map((e: any) => e.responseEnd));
    const mark = (name: string): number => p.getEntriesByName(name)[0]?.startTime ?? NaN;
    return {
      document: p.getEntriesByType('navigation')[0]?.responseEnd as number,
      'map data': last(/\/v1\/map$/),
      modules: last(/\.js$/),
      'header painted': mark('first-contentful-paint'),
      'map rendered': mark('maestro-map'),
      'map painted': mark('maestro-map-painted'),
    };
  });
  const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
  await page.close();
  if (round === 0) continue; // warm-up: the browser's first page pays its own start-up
  const events = trace.traceEvents;
  const navStart = events.find((e) => e.name === 'navigationStart');
  if (!navStart) throw new Error('the trace lacks navigationStart');
  // The mark's own time is the paint it stands for (map-marks.js sets it), not when it was made.
  const painted = { ts: navStart.ts + at['map painted'] * 1000 };
  const main = events.find((e) => e.name === 'thread_name' && e.pid === navStart.pid && e.args?.name === 'CrRendererMain');
  // The renderer is created before navigationStart: its start-up counts from the first event of its main thread.
  const span = { from: navStart.ts - 200_000, to: painted.ts };
  const onMain = events.filter((e) => e.pid === navStart.pid && e.tid === (main?.tid ?? navStart.tid));
  const self = selfTimes(onMain, span);
  const figures = new Map<string, number>();
  let cpu = 0, wall = 0;
  for (const [name, t] of self) {
    const kind = kindOf(name);
    figures.set(`cpu ${kind}`, (figures.get(`cpu ${kind}`) ?? 0) + t.cpu);
    figures.set(`wall ${kind}`, (figures.get(`wall ${kind}`) ?? 0) + t.wall);
    cpu += t.cpu;
    wall += t.wall;
  }
  figures.set('cpu total', cpu);
  figures.set('wall total', wall);
  // Other processes of the browser in the same window: top-level tasks' CPU, per process.
  const names = new Map(events.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args?.name ?? String(e.pid)]));
  for (const e of events) {
    if (e.pid === navStart.pid || e.ph !== 'X' || !e.tdur || e.ts < navStart.ts || e.ts > painted.ts) continue;
    if (e.name !== 'ThreadControllerImpl::RunTask' && e.name !== 'RunTask') continue;
    const key = `other ${names.get(e.pid) ?? e.pid}`;
    figures.set(key, (figures.get(key) ?? 0) + e.tdur);
  }
  for (const [name, t] of Object.entries(at)) figures.set(`at ${name}`, t * 1000);
  perRound.push(figures);
  console.log(`round ${round}: ${Object.entries(at).map(([n, t]) => `${n} ${t.toFixed(0)}`).join(', ')} ms after navigation start; renderer main thread CPU ${ms(cpu)} ms`);
}
await browser.close();
await cluster.stop();

const keys = [...new Set(perRound.flatMap((f) => [...f.keys()]))];
const med = (key: string): number => median(perRound.map((f) => f.get(key) ?? 0));
console.log(`\nmedian of ${rounds} rounds`);
console.log(`milestones (ms after navigation start): ${keys.filter((k) => k.startsWith('at ')).map((k) => `${k.slice(3)} ${ms(med(k))}`).join(', ')}`);
console.log('renderer main thread, navigation → map painted:   CPU ms   wall ms');
for (const key of keys.filter((k) => k.startsWith('cpu ')).sort((a, b) => med(b) - med(a))) {
  const kind = key.slice(4);
  console.log(`  ${kind.padEnd(44)} ${ms(med(key)).padStart(6)}  ${ms(med(`wall ${kind}`)).padStart(7)}`);
}
console.log('other processes (CPU ms in the same window):');
for (const key of keys.filter((k) => k.startsWith('other ')).sort((a, b) => med(b) - med(a))) console.log(`  ${key.slice(6).padEnd(44)} ${ms(med(key)).padStart(6)}`);
