/** Figures of one run, and the table printed beside the published anchors. */

export interface RunFigures {
  hosts: number;
  jobs: number;
  replicas: number;
  /** Host registration (sessions + records) through the port, by the simulators. */
  registerS: number;
  /** First submit → last job accepted by the API. */
  submitS: number;
  submitP50: number;
  submitP99: number;
  /** Submissions answered 503 (etcd over the API's deadline) and retried. */
  submitRetries: number;
  /** First submit → the scheduler's placed counter reached `replicas`. */
  committedS: number;
  /** placed / committedS. */
  commitRate: number;
  /** Placements committed when the run ended, and 1 if every replica was placed and seen in time, else 0. */
  placed: number;
  complete: number;
  /**
   * Best 5 s window of the placed counter. The scheduler adds a pass's placements to its counter when
   * the pass ends, so with passes longer than the window this is an artifact: printed in the JSON
   * line only, not in the table.
   */
  peakRate: number;
  /** First submit → every simulated agent had seen all of its allocations. */
  allSeenS: number;
  jobP50: number;
  jobP99: number;
  hostsP50: number;
  hostsP99: number;
  probes: number;
  /** CPU seconds used from the first submit to the end of the run, per process group. */
  cpuEtcd: number;
  cpuServer: number;
  cpuAgents: number;
  cpuBench: number;
}

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export function median(xs: number[]): number {
  return percentile(xs, 50);
}

/** Highest placements/s over any `windowMs` span of (time, counter) samples. */
export function peakRate(samples: { at: number; placed: number }[], windowMs: number): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < samples.length; i++) {
    while (samples[i]!.at - samples[j]!.at > windowMs) j++;
    const span = samples[i]!.at - samples[j]!.at;
    if (span >= windowMs / 2) best = Math.max(best, ((samples[i]!.placed - samples[j]!.placed) / span) * 1000);
  }
  return best;
}

const n0 = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const s1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');

/** The medians over rounds of every figure, with the anchors beside them. */
export function table(rows: RunFigures[]): string {
  const lines = [
    '| cluster | placements committed/s | all allocations seen by their agents | API GET /v1/jobs/:name p50 / p99 | GET /v1/hosts p50 / p99 | submit (POST /v1/jobs) p50 / p99 |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${n0(r.replicas)} replicas (${n0(r.jobs)} jobs) on ${n0(r.hosts)} hosts | ${n0(r.commitRate)} | ${r.complete ? `${s1(r.allSeenS)} s (committed in ${s1(r.committedS)} s)` : `timed out: ${n0(r.placed)} placed in ${s1(r.committedS)} s`} | ${n0(r.jobP50)} / ${n0(r.jobP99)} ms | ${n0(r.hostsP50)} / ${n0(r.hostsP99)} ms | ${n0(r.submitP50)} / ${n0(r.submitP99)} ms (all in ${s1(r.submitS)} s) |`,
    );
  }
  lines.push(
    '',
    'Published anchors (their hardware, their clusters — context, not a like-for-like comparison):',
    '- Nomad C1M (2015): 1,000,000 containers on 5,000 hosts, ~3,750 placements/s',
    '- Nomad C2M (2020): 2,000,000 containers on 6,100 hosts, ~1,500 placements/s',
    '- Kubernetes scheduler_perf (5,000 nodes): ~800–900 pods/s scheduled',
  );
  return lines.join('\n');
}
