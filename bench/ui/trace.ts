/**
 * Where the milliseconds of the map's first paint go: one chromium performance trace (CDP Tracing
 * through playwright-core) of a fresh page on the simulated cluster (100 hosts, 2,000 replicas),
 * from navigation start to the frame painted with the map. Prints the page's requests (when each
 * was sent, its first byte, its end: Resource Timing) and the renderer main thread's time by kind
 * (self time of the trace's events: HTML, script compile/run, GC, style, layout, paint) and idle.
 * Usage: node .build/x/bench/ui/trace.js [rounds]   (rounds after one warm-up; the last is printed)
 */
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../../test/ui/browser.js';
import { simulatedCluster } from './simulated-cluster.js';

interface TraceEvent { name: string; ph: string; ts: number; dur?: number; pid: number; tid: number; args?: { name?: string } }

const KIND: Record<string, string> = {
  ParseHTML: 'HTML parse', ParseAuthorStyleSheet: 'style', UpdateLayoutTree: 'style', RecalculateStyles: 'style',
  Layout: 'layout', PrePaint: 'paint', Paint: 'paint', Layerize: 'paint', UpdateLayer: 'paint', 'Commit': 'paint', CompositeLayers: 'paint',
  'v8.compile': 'script compile', 'v8.compileModule': 'script compile', 'V8.CompileCode': 'script compile', 'v8.produceModuleCache': 'script compile',
  MinorGC: 'GC', MajorGC: 'GC', 'V8.GC_SCAVENGER': 'GC', BlinkGC: 'GC', 'V8.GCScavenger': 'GC', 'V8.GCFinalizeMC': 'GC', 'V8.GCIncrementalMarking': 'GC',
};
const kindOf = (name: string): string => KIND[name] ?? (/GC/.test(name) ? 'GC' : /^(v8|V8|FunctionCall|EvaluateScript|TimerFire|EventDispatch|FireAnimationFrame|RunMicrotasks|XHR|Resource)/.test(name) ? 'script run' : 'other');

const rounds = Number(process.argv[2] ?? 2);
if (!CHROMIUM) throw new Error('chromium is needed (apt-get install chromium, or MAESTRO_CHROMIUM)');
const cluster = await simulatedCluster();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
let report = '';
for (let round = 0; round <= rounds; round++) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink.user_timing', 'v8', 'v8.execute', 'disabled-by-default-v8.gc'] });
  await page.goto(cluster.url);
  await page.waitForFunction(() => (globalThis as any).performance.getEntriesByName('maestro-map-painted').length > 0, undefined, { timeout: 60_000 });
  const timing = await page.evaluate(() => {
    const p = (globalThis as any).performance;
    const nav = p.getEntriesByType('navigation')[0];
    const rows = [nav, ...p.getEntriesByType('resource')].map((e: any) => [e.name.replace(/^https?:\/\/[^/]+/, ''), e.startTime, e.responseStart, e.responseEnd, e.encodedBodySize]);
    const marks = p.getEntries().filter((e: any) => e.entryType === 'mark' || e.entryType === 'paint').map((e: any) => [e.name, e.startTime]);
    return { rows, marks };
  });
  const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
  await page.close();
  const events = trace.traceEvents;
  const navStart = events.find((e) => e.name === 'navigationStart');
  const painted = events.find((e) => e.name === 'maestro-map-painted');
  if (!navStart || !painted) throw new Error('the trace lacks navigationStart or the page\'s maestro-map-painted mark');
  const main = events.find((e) => e.name === 'thread_name' && e.pid === navStart.pid && e.args?.name === 'CrRendererMain');
  const from = navStart.ts;
  const to = painted.ts;
  const spans = events
    .filter((e) => e.ph === 'X' && e.pid === navStart.pid && e.tid === (main?.tid ?? navStart.tid) && e.dur !== undefined && e.ts + e.dur! > from && e.ts < to)
    .sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
  // Self time: an event's duration minus its children's, clipped to the window.
  const self = new Map<string, number>();
  const stack: Array<{ e: TraceEvent; end: number; child: number }> = [];
  const close = (upTo: number): void => {
    while (stack.length && stack[stack.length - 1]!.end <= upTo) {
      const top = stack.pop()!;
      const own = Math.max(0, Math.min(top.end, to) - Math.max(top.e.ts, from)) - top.child;
      self.set(top.e.name, (self.get(top.e.name) ?? 0) + own);
      if (stack.length) stack[stack.length - 1]!.child += Math.max(0, Math.min(top.end, to) - Math.max(top.e.ts, from));
    }
  };
  for (const e of spans) {
    close(e.ts);
    stack.push({ e, end: e.ts + e.dur!, child: 0 });
  }
  close(Infinity);
  const byKind = new Map<string, number>();
  let busy = 0;
  for (const [name, us] of self) {
    if (name === 'RunTask' || name === 'ThreadControllerImpl::RunTask') continue; // a task's own bookkeeping, not work
    byKind.set(kindOf(name), (byKind.get(kindOf(name)) ?? 0) + us);
    busy += us;
  }
  const ms = (us: number): string => `${(us / 1000).toFixed(1)} ms`;
  const lines = [`round ${round}: navigation start → map painted ${ms(to - from)}`, 'requests (ms after navigation start: sent, first byte, end; bytes):'];
  for (const [name, start, first, end, bytes] of timing.rows) lines.push(`  ${String(name).padEnd(28)} ${start.toFixed(0).padStart(5)} ${first.toFixed(0).padStart(5)} ${end.toFixed(0).padStart(5)}  ${bytes}`);
  lines.push(`marks: ${timing.marks.map(([n, t]: [string, number]) => `${n} ${t.toFixed(0)}`).join(', ')}`);
  lines.push('renderer main thread (self time in the window):');
  for (const [kind, us] of [...byKind].sort((a, b) => b[1] - a[1])) lines.push(`  ${kind.padEnd(16)} ${ms(us)}`);
  lines.push(`  ${'idle/waiting'.padEnd(16)} ${ms(to - from - busy)}`);
  lines.push('top events:', ...[...self].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([n, us]) => `  ${n.padEnd(32)} ${ms(us)}`));
  report = lines.join('\n');
  if (round === 0) continue; // warm-up: the browser's first page pays its own start-up
  console.log(report);
}
await browser.close();
await cluster.stop();
