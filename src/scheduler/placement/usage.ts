import type { HostStatus } from '../../catalog/types.js';
import type { Allocation, Job } from '../types.js';

/** What one replica of a job takes from a host: its pod's resources summed, its fixed host ports. */
export interface Demand {
  cpu: number;
  memory: number;
  /** `tcp/80`-style keys of fixed host ports. */
  ports: string[];
}

const demands = new WeakMap<Job, Demand>();

export function demandOf(job: Job): Demand {
  let d = demands.get(job);
  if (!d) {
    d = { cpu: 0, memory: 0, ports: [] };
    for (const c of job.containers) {
      d.cpu += c.resources.cpu;
      d.memory += c.resources.memory;
      for (const p of c.ports) if (p.host !== undefined) d.ports.push(`${p.protocol}/${p.host}`);
    }
    demands.set(job, d);
  }
  return d;
}

/** One host with what is allocated on it, kept current as placements are made (never rescanned). */
export interface HostSlot {
  readonly host: HostStatus;
  readonly index: number;
  cpu: number;
  memory: number;
  readonly ports: Map<string, number>;
  /** Allocations per job name on this host. */
  readonly jobs: Map<string, number>;
}

export interface UsageSnapshot {
  hosts: readonly HostStatus[];
  /** Allocations that hold resources: those desired to run. Others are ignored. */
  allocations: readonly Allocation[];
  /** Current specs by job name. */
  jobs: ReadonlyMap<string, Job>;
  /** The spec an allocation runs, when it may be an older version (default: the current spec). */
  specOf?: (a: Allocation) => Job | undefined;
}

/**
 * The cluster's usage, built once per evaluation pass in O(hosts + allocations) and then updated
 * incrementally by each placement and stop, so placing a replica never rescans allocations.
 * An allocation is charged with the spec of the version it runs when `specOf` knows it.
 */
export class ClusterUsage {
  readonly slots: HostSlot[];
  readonly byName = new Map<string, HostSlot>();
  readonly jobs: ReadonlyMap<string, Job>;
  /** The jobs that declare conflictsWith: the only ones a reverse conflict check must look at. */
  readonly conflicting: Job[];
  private readonly specOf: (a: Allocation) => Job | undefined;
  /** Allocations per job name, cluster-wide: which jobs a conflicts glob can meet at all. */
  private readonly present = new Map<string, number>();
  private readonly filters = new Map<string, Uint8Array>();

  constructor(snapshot: UsageSnapshot) {
    this.jobs = snapshot.jobs;
    const given = snapshot.specOf;
    this.specOf = (a) => given?.(a) ?? snapshot.jobs.get(a.job);
    this.conflicting = [...snapshot.jobs.values()].filter((j) => j.constraints.conflictsWith?.length);
    this.slots = [...snapshot.hosts]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((host, index) => ({ host, index, cpu: 0, memory: 0, ports: new Map(), jobs: new Map() }));
    for (const s of this.slots) this.byName.set(s.host.name, s);
    for (const a of snapshot.allocations) {
      if (a.desired === 'run') this.chargeAlloc(a, 1);
    }
  }

  add(host: string, job: Job): void {
    const slot = this.byName.get(host);
    if (slot) this.charge(slot, job.name, demandOf(job), 1);
  }

  /** Frees what a running allocation held (its spec may be gone: then only its count). */
  remove(a: Allocation): void {
    this.chargeAlloc(a, -1);
  }

  private chargeAlloc(a: Allocation, sign: 1 | -1): void {
    const slot = this.byName.get(a.host);
    const job = this.specOf(a);
    if (slot) this.charge(slot, a.job, job ? demandOf(job) : NO_DEMAND, sign);
  }

  private charge(slot: HostSlot, jobName: string, d: Demand, sign: 1 | -1): void {
    slot.cpu += sign * d.cpu;
    slot.memory += sign * d.memory;
    for (const p of d.ports) bump(slot.ports, p, sign);
    bump(slot.jobs, jobName, sign);
    bump(this.present, jobName, sign);
  }

  /**
   * Which hosts pass a host-only predicate (a hosts glob, one hostMeta pair), computed once per pass
   * and shared by every job asking the same (Nomad caches feasibility per computed node class).
   */
  hostFilter(key: string, test: (host: HostStatus) => boolean): Uint8Array {
    let bits = this.filters.get(key);
    if (!bits) {
      bits = new Uint8Array(this.slots.length);
      for (const s of this.slots) bits[s.index] = test(s.host) ? 1 : 0;
      this.filters.set(key, bits);
    }
    return bits;
  }

  /** Names of the jobs with at least one allocation somewhere. */
  presentJobs(): IterableIterator<string> {
    return this.present.keys();
  }
}

const NO_DEMAND: Demand = { cpu: 0, memory: 0, ports: [] };

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
