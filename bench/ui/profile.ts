/**
 * Which of the page's functions take the time before the map's first paint: a V8 CPU profile (CDP
 * Profiler, sampled every 100 µs) of a fresh page on the simulated cluster (100 hosts, 2,000
 * replicas), from navigation to the `maestro-map-painted` mark. Prints self and total time per
 * function (name, file:line), summed over the rounds after one warm-up, the heaviest first; time
 * outside any script (layout, style, paint, parsing) shows as "(program)" and "(garbage collector)".
 * Driven by playwright (its instrumentation adds time to the page's load; first-paint.ts gives the figure).
 * Usage: node .build/x/bench/ui/profile.js [rounds]
 */
import { chromium } from 'playwright-core';
import { CHROMIUM } from '../../test/ui/browser.js';
import { simulatedClusterProcess } from './simulated-cluster.js';
import type { Profile, ProfileNode } from '../cpuprofile.js';


const rounds = Number(process.argv[2] ?? 3);
if (!CHROMIUM) throw new Error('chromium is needed (apt-get install chromium, or MAESTRO_CHROMIUM)');
const cluster = await simulatedClusterProcess();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
const selfUs = new Map<string, number>();
const totalUs = new Map<string, number>();
const add = (m: Map<string, number>, k: string, us: number): void => void m.set(k, (m.get(k) ?? 0) + us);

for (let round = 0; round <= rounds; round++) {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
  await page.goto(cluster.url);
  await page.waitForFunction(() => (globalThis as any).performance.getEntriesByName('maestro-map-painted').length > 0, undefined, { timeout: 60_000 });
  const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: Profile };
  await page.close();
  if (round === 0) continue; // warm-up: the browser's first page pays its own start-up
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode): string => {
    const f = n.callFrame;
    const file = f.url.replace(/^.*\/ui\//, '');
    return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
  };
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i + 1] ?? 0; // a sample's time is the gap to the next one
    add(selfUs, label(byId.get(id)!), us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const l = label(byId.get(at)!);
      if (!seen.has(l)) add(totalUs, l, us);
      seen.add(l);
    }
  });
}
await browser.close();
await cluster.stop();
const ms = (us: number): string => (us / 1000 / rounds).toFixed(1).padStart(7);
console.log(`per round (mean of ${rounds}), navigation → map painted:   self ms   total ms`);
for (const [name, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${name.slice(0, 52).padEnd(52)} ${ms(us)}  ${ms(totalUs.get(name) ?? 0)}`);
