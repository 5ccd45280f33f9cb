/**
 * The rounds of the user bench and its report: every subject under keep-alive and under connection
 * churn, in alternating order (a busy neighbour then weighs on both sides alike), medians per
 * (subject, mode), and the ratios beside the goals of issue 16.
 */
import { median } from '../proxy/wrk.js';
import { runLoad, type LoadResult } from './load.js';
import { sampleRss } from './maestro-up.js';

export interface Subject {
  name: string;
  port: number;
  pid: number;
  /** Maestro's process: its resident size is sampled while it serves. */
  maestro?: boolean;
}

export interface Measured {
  /** `<subject> <mode>` → one result per round. */
  runs: Map<string, LoadResult[]>;
  /** The largest resident size of Maestro sampled while it served, MB. */
  maxRss: number;
}

const MODES = [
  { mode: 'keep-alive', churn: false },
  { mode: 'churn', churn: true },
] as const;

export async function measure(o: {
  subjects: Subject[];
  host: string;
  rounds: number;
  seconds: number;
  warmupSeconds: number;
  connections: number;
  rssPid: number;
}): Promise<Measured> {
  const cases = o.subjects.flatMap((s) => MODES.map((m) => ({ ...s, ...m, key: `${s.name} ${m.mode}` })));
  const run = (c: (typeof cases)[number], seconds: number) =>
    runLoad({ port: c.port, host: o.host, seconds, connections: o.connections, churn: c.churn, pid: c.pid });
  for (const c of cases) await run(c, o.warmupSeconds); // JIT, pools, the kernel's caches
  const runs = new Map(cases.map((c) => [c.key, [] as LoadResult[]]));
  let maxRss = 0;
  for (let round = 0; round < o.rounds; round++) {
    for (const c of round % 2 === 0 ? cases : [...cases].reverse()) {
      const rss = c.maestro ? sampleRss(o.rssPid) : undefined;
      const r = await run(c, o.seconds);
      if (rss) maxRss = Math.max(maxRss, rss.stop());
      runs.get(c.key)!.push(r);
      console.log(
        `  round ${round + 1} ${c.key.padEnd(24)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50Ms.toFixed(2).padStart(6)} ms  ` +
          `p99 ${r.p99Ms.toFixed(2).padStart(6)} ms  ${r.cpuUsPerReq.toFixed(1).padStart(6)} µs CPU/req  errors ${r.errors}`,
      );
    }
  }
  return { runs, maxRss };
}

/** What issue 16 asks of each comparison: a throughput ratio, and a p99 ratio where it names one. */
const GOALS = [
  { label: 'L7 keep-alive', maestro: 'maestro-l7 keep-alive', ref: 'haproxy-http keep-alive', rps: 0.9, p99: 1.5 },
  { label: 'L4 keep-alive', maestro: 'maestro-l4 keep-alive', ref: 'haproxy-tcp keep-alive', rps: 1.0, p99: 1.5 },
  { label: 'L7 churn', maestro: 'maestro-l7 churn', ref: 'haproxy-http churn', rps: 0.8 },
  { label: 'L4 churn', maestro: 'maestro-l4 churn', ref: 'haproxy-tcp churn', rps: 0.8 },
];

export function report(m: Measured): void {
  const med = (key: string) => {
    const rs = m.runs.get(key)!;
    return { rps: median(rs.map((r) => r.rps)), p99: median(rs.map((r) => r.p99Ms)), cpu: median(rs.map((r) => r.cpuUsPerReq)), errors: rs.reduce((a, r) => a + r.errors, 0) };
  };
  const cell = (x: ReturnType<typeof med>) =>
    `${x.rps.toFixed(0).padStart(7)} req/s p99 ${x.p99.toFixed(2).padStart(6)} ms ${x.cpu.toFixed(1).padStart(5)} µs/req`;
  console.log(`\nmedians${' '.repeat(15)}${'maestro up'.padEnd(40)}${'haproxy'.padEnd(40)}ratio  p99×  CPU×   goal`);
  for (const g of GOALS) {
    const a = med(g.maestro);
    const b = med(g.ref);
    const ratio = a.rps / b.rps;
    const p99x = a.p99 / b.p99;
    const met = ratio >= g.rps && (g.p99 === undefined || p99x <= g.p99);
    const goal = `≥ ${g.rps.toFixed(1)}×${g.p99 ? `, p99 ≤ ${g.p99}×` : ''}`;
    console.log(
      `  ${g.label.padEnd(20)}${cell(a).padEnd(40)}${cell(b).padEnd(40)}${ratio.toFixed(2).padStart(5)}  ${p99x.toFixed(2).padStart(5)}  ` +
        `${(b.cpu / a.cpu).toFixed(2).padStart(4)}  ` +
        `${goal} ${met ? 'met' : 'NOT MET'}${a.errors + b.errors ? `  (errors: maestro ${a.errors}, haproxy ${b.errors})` : ''}`,
    );
  }
  console.log(
    '  CPU× = haproxy µs / maestro µs per request: the req/s ratio one core each would give, robust to the neighbours on a shared\n' +
      '  machine; req/s and p99 are not: read them with the load average',
  );
}
