/**
 * Where the milliseconds of the map's first paint go: chromium performance traces (CDP Tracing,
 * browser-wide) of the rounds of first-paint.ts (round.ts: a new tab, empty cache, from a machine at
 * rest) on the simulated cluster (100 hosts, 2,000 replicas),
 * from navigation start to the frame painted with the map. Per round: the milestones (document,
 * map data and modules in, header painted, map rendered and painted) and the renderer main
 * thread's time by kind — thread CPU time (the trace's `tdur`) beside wall time, since on a shared
 * machine the wall clock mostly measures the other processes: CPU time is what a change to the
 * page can lower. Then the median of each over the rounds, and the CPU time of the browser's other
 * processes in the same window (browser, GPU, network service: what the page's requests cost).
 * `--token`: an API with a token (the page puts in /ui/map.html; without, the map comes in the page).
 * Tracing itself costs the browser time: the totals run slower than first-paint.ts's.
 * Usage: node .build/x/bench/ui/trace.js [rounds] [--token]   (rounds after one warm-up)
 */
import { CHROMIUM } from '../../test/ui/browser.js';
import { launchChromium, type Chromium } from './cdp.js';
import { loadRound } from './round.js';
import { simulatedClusterProcess } from './simulated-cluster.js';
import { kindOf, selfTimes, type TraceEvent } from './trace-events.js';

const rounds = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);
const TOKEN = process.argv.includes('--token') ? 'bench-token' : undefined;
if (!CHROMIUM) throw new Error('chromium is needed (apt-get install chromium, or MAESTRO_CHROMIUM)');
const cluster = await simulatedClusterProcess(TOKEN);
const browser = await launchChromium(CHROMIUM, { width: 1600, height: 1000 });
const CATEGORIES = ['toplevel', 'devtools.timeline', 'blink.user_timing', 'loading', 'v8'];
const perRound: Array<Map<string, number>> = [];
const ms = (us: number): string => (us / 1000).toFixed(1);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;

/** Ends the browser-wide trace started before the load and reads it back (a stream, in chunks). */
async function endTrace(b: Chromium): Promise<TraceEvent[]> {
  const complete = new Promise<{ stream: string }>((resolve) => {
    const off = b.on('Tracing.tracingComplete', (params: { stream: string }) => {
      off();
      resolve(params);
    });
  });
  await b.send('Tracing.end');
  const { stream } = await complete;
  let text = '';
  for (;;) {
    const chunk = await b.send<{ data: string; eof: boolean; base64Encoded?: boolean }>('IO.read', { handle: stream });
    text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString('utf8') : chunk.data;
    if (chunk.eof) break;
  }
  await b.send('IO.close', { handle: stream });
  const parsed = JSON.parse(text) as TraceEvent[] | { traceEvents: TraceEvent[] };
  return Array.isArray(parsed) ? parsed : parsed.traceEvents;
}

for (let round = 0; round <= rounds; round++) {
  const marks = await loadRound(browser, {
    url: cluster.url,
    token: TOKEN,
    atRest: true,
    beforeNavigate: () => browser.send('Tracing.start', { traceConfig: { includedCategories: CATEGORIES }, transferMode: 'ReturnAsStream' }),
  });
  const events = await endTrace(browser);
  const at = {
    document: marks.doc ?? NaN,
    'map data': marks.dataEnd ?? NaN,
    modules: marks.modulesEnd ?? NaN,
    'header painted': marks.fcp ?? NaN,
    'map rendered': marks.rendered ?? NaN,
    'map painted': marks.painted,
  };
  if (round === 0) continue; // warm-up: the browser's first page pays its own start-up
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
