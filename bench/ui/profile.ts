/**
 * Which of the page's functions take the time of the map's load: a V8 CPU profile (CDP Profiler,
 * sampled every 100 µs) of a fresh page on the simulated cluster (100 hosts, 2,000 replicas), from
 * navigation until the map is painted and every host is in (the page's marks). Prints self and
 * total time per function (name, file:line), summed over the rounds after one warm-up, the heaviest first; time
 * outside any script (layout, style, paint, parsing) shows as "(program)" and "(garbage collector)".
 * Each round is one of first-paint.ts's (round.ts: a new tab, empty cache, from a machine at rest).
 * Usage: node .build/x/bench/ui/profile.js [rounds]
 */
import { CHROMIUM } from '../../test/ui/browser.js';
import { launchChromium } from './cdp.js';
import { loadRound } from './round.js';
import { simulatedClusterProcess } from './simulated-cluster.js';
import type { Profile, ProfileNode } from '../cpuprofile.js';

const rounds = Number(process.argv[2] ?? 3);
if (!CHROMIUM) throw new Error('chromium is needed (apt-get install chromium, or MAESTRO_CHROMIUM)');
const cluster = await simulatedClusterProcess();
const browser = await launchChromium(CHROMIUM, { width: 1600, height: 1000 });
const selfUs = new Map<string, number>();
const totalUs = new Map<string, number>();
const add = (m: Map<string, number>, k: string, us: number): void => void m.set(k, (m.get(k) ?? 0) + us);

for (let round = 0; round <= rounds; round++) {
  let profile: Profile | undefined;
  await loadRound(browser, {
    url: cluster.url,
    atRest: true,
    beforeNavigate: async (session) => {
      await browser.send('Profiler.enable', {}, session);
      await browser.send('Profiler.setSamplingInterval', { interval: 100 }, session);
      await browser.send('Profiler.start', {}, session);
    },
    afterLoad: async (session) => void ({ profile } = await browser.send<{ profile: Profile }>('Profiler.stop', {}, session)),
  });
  if (!profile) throw new Error(`round ${round}: no profile`);
  const { nodes, samples, timeDeltas } = profile;
  if (round === 0) continue; // warm-up: the browser's first page pays its own start-up
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n: ProfileNode): string => {
    const f = n.callFrame;
    const file = f.url.replace(/^.*\/ui\//, '');
    return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
  };
  samples.forEach((id, i) => {
    const us = timeDeltas[i + 1] ?? 0; // a sample's time is the gap to the next one
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
console.log(`per round (mean of ${rounds}), navigation → map complete:   self ms   total ms`);
for (const [name, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${name.slice(0, 52).padEnd(52)} ${ms(us)}  ${ms(totalUs.get(name) ?? 0)}`);
