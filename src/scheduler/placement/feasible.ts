import type { Job } from '../types.js';
import { anyGlob } from './glob.js';
import { demandOf, type ClusterUsage, type Demand, type HostSlot } from './usage.js';

/** Resource dimensions a host can run out of, as PlacementFailure.exhausted names them. */
export type Dimension = 'cpu' | 'memory';

/** Why one host cannot take one more replica: a filter reason, or the resource that ran out. */
export type Verdict = { filter: string } | { exhausted: Dimension } | undefined;

/** Constant reasons (Nomad's FilterNode strings): they are counted per reason in explanations. */
export const REASONS = {
  down: 'host down',
  hosts: (globs: string[]) => `hosts ${globs.join(',')}`,
  hostMeta: (k: string, v: string) => `hostMeta ${k}=${v}`,
  colocateWith: (job: string) => `colocateWith ${job}`,
  conflictsWith: (globs: string[]) => `conflictsWith ${globs.join(',')}`,
  conflictedBy: (job: string) => `conflictsWith of ${job}`,
  distinctHosts: 'distinctHosts',
  maxPerHost: (n: number) => `maxPerHost ${n}`,
  port: (p: string) => `port ${p} in use`,
} as const;

const conflictGlobs = new WeakMap<Job, RegExp | null>();

function conflictsOf(job: Job): RegExp | undefined {
  let re = conflictGlobs.get(job);
  if (re === undefined) {
    re = anyGlob(job.constraints.conflictsWith) ?? null;
    conflictGlobs.set(job, re);
  }
  return re ?? undefined;
}

/**
 * The feasibility checkers of one job, compiled once (globs, reasons) and applied per host.
 *
 * Checks are split the way Nomad splits them: `static` ones depend only on the host and on *other*
 * jobs, so their verdict is cached per host for the whole job; `dynamic` ones (per-host limits,
 * ports, resources) change as this job's own replicas are placed and are re-checked every time.
 */
export class JobFeasibility {
  readonly job: Job;
  readonly demand: Demand;
  private readonly hosts?: { re: RegExp; reason: string };
  private readonly meta: [string, string, string][];
  private readonly conflicts?: { re: RegExp; reason: string };
  private readonly perHost: { limit: number; reason: string } | undefined;
  private readonly cache: (string | null | undefined)[];

  constructor(
    private readonly usage: ClusterUsage,
    job: Job,
  ) {
    this.job = job;
    this.demand = demandOf(job);
    const c = job.constraints;
    const hostsRe = anyGlob(c.hosts);
    if (hostsRe && c.hosts) this.hosts = { re: hostsRe, reason: REASONS.hosts(c.hosts) };
    this.meta = Object.entries(c.hostMeta ?? {}).map(([k, v]) => [k, v, REASONS.hostMeta(k, v)]);
    const conflicts = conflictsOf(job);
    if (conflicts && c.conflictsWith) this.conflicts = { re: conflicts, reason: REASONS.conflictsWith(c.conflictsWith) };
    if (c.distinctHosts) this.perHost = { limit: 1, reason: REASONS.distinctHosts };
    else if (c.maxPerHost !== undefined) this.perHost = { limit: c.maxPerHost, reason: REASONS.maxPerHost(c.maxPerHost) };
    this.cache = new Array(usage.slots.length);
  }

  /** The first failing check for one more replica on `slot`, or undefined when it fits. */
  check(slot: HostSlot): Verdict {
    const s = this.staticReason(slot);
    return s === undefined ? this.dynamic(slot) : { filter: s };
  }

  /** Host-level checks (cached): liveness, names, metadata, co-location, conflicts. */
  staticReason(slot: HostSlot): string | undefined {
    let r = this.cache[slot.index];
    if (r === undefined) {
      r = this.computeStatic(slot) ?? null;
      this.cache[slot.index] = r;
    }
    return r ?? undefined;
  }

  /** Checks that change as replicas land: per-host limits, fixed ports, then cpu and memory. */
  dynamic(slot: HostSlot): Verdict {
    if (this.perHost && (slot.jobs.get(this.job.name) ?? 0) >= this.perHost.limit) return { filter: this.perHost.reason };
    for (const p of this.demand.ports) if (slot.ports.has(p)) return { filter: REASONS.port(p) };
    const cap = slot.host.capacity;
    if (slot.cpu + this.demand.cpu > cap.cpu) return { exhausted: 'cpu' };
    if (slot.memory + this.demand.memory > cap.memory) return { exhausted: 'memory' };
    return undefined;
  }

  private computeStatic(slot: HostSlot): string | undefined {
    const host = slot.host;
    if (!host.alive) return REASONS.down;
    if (this.hosts && !this.hosts.re.test(host.name)) return this.hosts.reason;
    for (const [k, v, reason] of this.meta) if (host.meta[k] !== v) return reason;
    const colocate = this.job.constraints.colocateWith;
    if (colocate !== undefined && !slot.jobs.has(colocate)) return REASONS.colocateWith(colocate);
    for (const other of slot.jobs.keys()) {
      if (other === this.job.name) continue;
      if (this.conflicts?.re.test(other)) return this.conflicts.reason;
      // Conflicts hold both ways: a job that refuses to share a host with us keeps us off its hosts.
      const theirs = this.usage.jobs.get(other);
      if (theirs && conflictsOf(theirs)?.test(this.job.name)) return REASONS.conflictedBy(other);
    }
    return undefined;
  }
}
