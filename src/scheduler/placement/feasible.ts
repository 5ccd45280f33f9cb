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
  /** Every host but the one holding a replica's named volumes (sticky placement, sticky.ts). */
  volumes: (instance: string, host: string) => `volumes of ${instance} on ${host}`,
} as const;

const NO_CPU: Verdict = { exhausted: 'cpu' };
const NO_MEMORY: Verdict = { exhausted: 'memory' };

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
  /** Host-only checks (hosts globs, hostMeta pairs) as shared per-host bitmaps. */
  private readonly filters: { bits: Uint8Array; reason: string }[] = [];
  private readonly colocate?: { job: string; reason: string };
  /** The running jobs this job's conflictsWith globs match, found once instead of per host. */
  private readonly conflicts?: { jobs: string[]; reason: string };
  /** Jobs whose conflictsWith matches this job: it must keep off their hosts. */
  private readonly refusedBy: { job: string; reason: string }[];
  private readonly perHost: { limit: number; verdict: Verdict } | undefined;
  private readonly portVerdicts: Verdict[];
  /** Static verdicts per host index: undefined = not computed yet, null = passes. */
  private readonly cache: ({ filter: string } | null | undefined)[];
  /** Verdicts are interned: placing a replica allocates nothing per rejected host. */
  private readonly interned = new Map<string, { filter: string }>();

  constructor(
    private readonly usage: ClusterUsage,
    job: Job,
  ) {
    this.job = job;
    this.demand = demandOf(job);
    const c = job.constraints;
    const hostsRe = anyGlob(c.hosts);
    if (hostsRe && c.hosts) {
      const reason = REASONS.hosts(c.hosts);
      this.filters.push({ bits: usage.hostFilter(reason, (h) => hostsRe.test(h.name)), reason });
    }
    for (const [k, v] of Object.entries(c.hostMeta ?? {})) {
      const reason = REASONS.hostMeta(k, v);
      this.filters.push({ bits: usage.hostFilter(reason, (h) => h.meta[k] === v), reason });
    }
    if (c.colocateWith !== undefined) this.colocate = { job: c.colocateWith, reason: REASONS.colocateWith(c.colocateWith) };
    const conflicts = conflictsOf(job);
    if (conflicts && c.conflictsWith) {
      const jobs = [...usage.presentJobs()].filter((name) => name !== job.name && conflicts.test(name));
      this.conflicts = { jobs, reason: REASONS.conflictsWith(c.conflictsWith) };
    }
    this.refusedBy = usage.conflicting
      .filter((other) => other.name !== job.name && conflictsOf(other)?.test(job.name))
      .map((other) => ({ job: other.name, reason: REASONS.conflictedBy(other.name) }));
    if (c.distinctHosts) this.perHost = { limit: 1, verdict: { filter: REASONS.distinctHosts } };
    else if (c.maxPerHost !== undefined) this.perHost = { limit: c.maxPerHost, verdict: { filter: REASONS.maxPerHost(c.maxPerHost) } };
    this.portVerdicts = this.demand.ports.map((p) => ({ filter: REASONS.port(p) }));
    this.cache = new Array(usage.slots.length);
  }

  /**
   * Indexes of the hosts the shared host filters let through (all hosts without filters): the only
   * ones worth scanning. Reading bitmaps is cheap; the remaining static checks run lazily per host.
   */
  candidates(): Uint32Array {
    const n = this.usage.slots.length;
    const out = new Uint32Array(n);
    if (this.filters.length === 0) {
      for (let i = 0; i < n; i++) out[i] = i;
      return out;
    }
    let k = 0;
    outer: for (let i = 0; i < n; i++) {
      for (const f of this.filters) if (f.bits[i] === 0) continue outer;
      out[k++] = i;
    }
    return out.slice(0, k);
  }

  /** The first failing check for one more replica on `slot`, or undefined when it fits. */
  check(slot: HostSlot): Verdict {
    return this.staticVerdict(slot) ?? this.dynamic(slot);
  }

  /** Host-level checks (cached): liveness, names, metadata, co-location, conflicts. */
  staticReason(slot: HostSlot): string | undefined {
    return this.staticVerdict(slot)?.filter;
  }

  private staticVerdict(slot: HostSlot): { filter: string } | undefined {
    let v = this.cache[slot.index];
    if (v === undefined) {
      const reason = this.computeStatic(slot);
      v = reason === undefined ? null : this.intern(reason);
      this.cache[slot.index] = v;
    }
    return v ?? undefined;
  }

  /** Checks that change as replicas land: per-host limits, fixed ports, then cpu and memory. */
  dynamic(slot: HostSlot): Verdict {
    if (this.perHost && (slot.jobs.get(this.job.name) ?? 0) >= this.perHost.limit) return this.perHost.verdict;
    const ports = this.demand.ports;
    for (let i = 0; i < ports.length; i++) if (slot.ports.has(ports[i]!)) return this.portVerdicts[i];
    const cap = slot.host.capacity;
    if (slot.cpu + this.demand.cpu > cap.cpu) return NO_CPU;
    if (slot.memory + this.demand.memory > cap.memory) return NO_MEMORY;
    return undefined;
  }

  private intern(reason: string): { filter: string } {
    let v = this.interned.get(reason);
    if (!v) this.interned.set(reason, (v = { filter: reason }));
    return v;
  }

  private computeStatic(slot: HostSlot): string | undefined {
    if (!slot.host.alive) return REASONS.down;
    for (const f of this.filters) if (f.bits[slot.index] === 0) return f.reason;
    if (this.colocate && !slot.jobs.has(this.colocate.job)) return this.colocate.reason;
    if (this.conflicts) for (const other of this.conflicts.jobs) if (slot.jobs.has(other)) return this.conflicts.reason;
    // Conflicts hold both ways: a job that refuses to share a host with us keeps us off its hosts.
    for (const r of this.refusedBy) if (slot.jobs.has(r.job)) return r.reason;
    return undefined;
  }
}
