/**
 * Placement throughput on simulated clusters (Nomad's scheduler/benchmarks): N hosts with metadata
 * and capacity, jobs with constraints and resources, every replica placed through the same code the
 * reconciler uses. Prints placements/s, per-job latency percentiles, and a whole reconcile pass.
 *
 *   node .build/<you>/bench/scheduler/placement.js [--rounds 3]      (BENCH_SMALL=1: 1,000 hosts only)
 *
 * Wall-clock rates suffer when other work shares the cores; per-CPU-second rates do not.
 */
import { performance } from 'node:perf_hooks';
import type { HostStatus } from '../../src/catalog/types.js';
import { ClusterUsage, placeReplicas, seededRng, type Rng } from '../../src/scheduler/placement/index.js';
import { reconcile } from '../../src/scheduler/reconcile/index.js';
import { validateJob } from '../../src/scheduler/spec/index.js';
import type { Job, JobRecord } from '../../src/scheduler/types.js';

interface Scenario {
  hosts: number;
  jobs: number;
  replicas: number;
}

const SCENARIOS: Scenario[] = process.env.BENCH_SMALL ? [{ hosts: 1_000, jobs: 500, replicas: 20 }] : [
  { hosts: 1_000, jobs: 500, replicas: 20 },
  { hosts: 5_000, jobs: 2_000, replicas: 50 },
];

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;

function hosts(n: number, rng: Rng): HostStatus[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `rack${i % 20}-host-${i}`,
    address: '10.0.0.1',
    meta: { disk: rng() < 0.5 ? 'ssd' : 'hdd', zone: pick(rng, ['a', 'b', 'c']) },
    capacity: { cpu: 32_000, memory: 131_072 },
    alive: rng() > 0.01,
  }));
}

/** A mix like a real fleet's: most jobs constrained somehow, a few with fixed ports. */
function jobs(s: Scenario, rng: Rng): Job[] {
  return Array.from({ length: s.jobs }, (_, i) => {
    const constraints: Record<string, unknown> = {};
    const r = rng();
    if (r < 0.3) constraints.hostMeta = { disk: 'ssd' };
    else if (r < 0.45) constraints.hosts = [`rack${i % 20}-*`, `rack${(i + 1) % 20}-*`];
    else if (r < 0.55) constraints.hostMeta = { zone: pick(rng, ['a', 'b', 'c']) };
    if (rng() < 0.2) constraints.distinctHosts = true;
    else if (rng() < 0.2) constraints.maxPerHost = 2;
    if (rng() < 0.1) constraints.conflictsWith = [`job-${(i + 7) % s.jobs}`];
    return validateJob({
      name: `job-${i}`,
      image: 'app',
      count: s.replicas,
      resources: { cpu: pick(rng, [100, 250, 500]), memory: pick(rng, [128, 256, 1_024]) },
      ports: rng() < 0.05 ? [{ container: 80, host: 10_000 + (i % 100) }] : [],
      strategy: rng() < 0.2 ? 'binpack' : 'spread',
      constraints,
    });
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function placementRound(s: Scenario, seed: number) {
  const rng = seededRng(seed);
  const cluster = hosts(s.hosts, rng);
  const js = jobs(s, rng);
  const usage = new ClusterUsage({ hosts: cluster, allocations: [], jobs: new Map(js.map((j) => [j.name, j])) });
  const ordinals = Array.from({ length: s.replicas }, (_, i) => i);
  const perJob: number[] = [];
  let placed = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const job of js) {
    const t = performance.now();
    placed += placeReplicas(usage, job, ordinals, { seed }).placed.length;
    perJob.push(performance.now() - t);
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  perJob.sort((a, b) => a - b);
  return { placed, ms, cpuMs: (cpu.user + cpu.system) / 1_000, p50: percentile(perJob, 50), p99: percentile(perJob, 99) };
}

function reconcileRound(s: Scenario, seed: number) {
  const rng = seededRng(seed);
  const cluster = hosts(s.hosts, rng);
  const records: JobRecord[] = jobs(s, rng).map((job) => ({ job, version: 1, submittedAt: 0, stopped: false }));
  const t0 = performance.now();
  const plan = reconcile({ now: 0, hosts: cluster, jobs: records, allocations: [], statuses: new Map(), hostDownSince: new Map(), graceMs: 10_000, seed });
  const first = performance.now() - t0;
  // The steady state: the same cluster with every allocation in place, nothing to do.
  const t1 = performance.now();
  const again = reconcile({ now: 1, hosts: cluster, jobs: records, allocations: plan.place, statuses: new Map(), hostDownSince: new Map(), graceMs: 10_000, seed: seed + 1 });
  const steady = performance.now() - t1;
  return { placed: plan.place.length, first, steady, noop: again.place.length === 0 && again.stop.length === 0 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

for (const s of SCENARIOS) {
  const total = s.jobs * s.replicas;
  const p = Array.from({ length: rounds }, (_, r) => placementRound(s, r + 1));
  const rate = median(p.map((x) => (x.placed / x.ms) * 1_000));
  const cpuRate = median(p.map((x) => (x.placed / x.cpuMs) * 1_000));
  console.log(
    `placement  ${fmt(total)} replicas (${s.jobs} jobs x ${s.replicas}) on ${fmt(s.hosts)} hosts: ` +
      `${fmt(rate)} placements/s wall, ${fmt(cpuRate)} per CPU-second (medians of ${rounds}), placed ${fmt(p[0]!.placed)}, ` +
      `per job p50 ${median(p.map((x) => x.p50)).toFixed(2)} ms p99 ${median(p.map((x) => x.p99)).toFixed(2)} ms, ` +
      `total ${fmt(median(p.map((x) => x.ms)))} ms`,
  );
  const rc = Array.from({ length: rounds }, (_, r) => reconcileRound(s, r + 1));
  console.log(
    `reconcile  one pass from empty: ${fmt(median(rc.map((x) => x.first)))} ms (${fmt(median(rc.map((x) => (x.placed / x.first) * 1_000)))} placements/s); ` +
      `steady-state pass: ${fmt(median(rc.map((x) => x.steady)))} ms, no-op ${rc.every((x) => x.noop)}`,
  );
  if (s.hosts === 1_000) {
    console.log(`target     >= 20,000 placements/s at 1,000 hosts: wall ${(rate / 20_000).toFixed(1)}x, CPU ${(cpuRate / 20_000).toFixed(1)}x`);
  }
}
