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
  host: HostStatus;
  index: number;
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

/** What one allocation was charged, on which slot: freed exactly, even after its host or spec changed. */
interface Charge {
  slot: HostSlot;
  job: string;
  demand: Demand;
}

/**
 * The cluster's usage, built once in O(hosts + allocations) and then updated incrementally by each
 * placement and stop, so placing a replica never rescans allocations. An allocation is charged with
 * the spec of the version it runs when `specOf` knows it. The scheduler service keeps one across
 * passes (usage-live.ts adds what that needs); a pure pass builds its own.
 */
export class ClusterUsage {
  slots: HostSlot[];
  readonly byName = new Map<string, HostSlot>();
  readonly jobs: Map<string, Job>;
  protected readonly specOf: (a: Allocation) => Job | undefined;
  /** Allocations per job name, cluster-wide: which jobs a conflicts glob can meet at all. */
  private readonly present = new Map<string, number>();
  protected readonly filters = new Map<string, Uint8Array>();
  /** Each running allocation's charge, by id. */
  protected readonly charged = new Map<string, Charge>();
  private conflictingJobs: Job[] | undefined;
  /** While a pass plans on a kept usage: every change it makes, to undo (usage-live.ts). */
  protected journal: { slot: HostSlot; job: string; demand: Demand; sign: 1 | -1 }[] | undefined;

  constructor(snapshot: UsageSnapshot) {
    this.jobs = new Map(snapshot.jobs);
    const given = snapshot.specOf;
    this.specOf = (a) => given?.(a) ?? this.jobs.get(a.job);
    this.slots = [...snapshot.hosts]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((host, index) => ({ host, index, cpu: 0, memory: 0, ports: new Map(), jobs: new Map() }));
    for (const s of this.slots) this.byName.set(s.host.name, s);
    for (const a of snapshot.allocations) if (a.desired === 'run') this.chargeAlloc(a);
  }

  /** The jobs that declare conflictsWith: the only ones a reverse conflict check must look at. */
  get conflicting(): Job[] {
    return (this.conflictingJobs ??= [...this.jobs.values()].filter((j) => j.constraints.conflictsWith?.length));
  }

  protected jobsChanged(): void {
    this.conflictingJobs = undefined;
  }

  add(host: string, job: Job): void {
    const slot = this.byName.get(host);
    if (slot) this.apply(slot, job.name, demandOf(job), 1);
  }

  /** Frees what a running allocation held (its spec may be gone: then only its count). */
  remove(a: Allocation): void {
    const c = this.charged.get(a.id);
    if (c) this.apply(c.slot, c.job, c.demand, -1);
  }

  protected chargeAlloc(a: Allocation): void {
    const slot = this.byName.get(a.host);
    if (!slot) return;
    const job = this.specOf(a);
    const c: Charge = { slot, job: a.job, demand: job ? demandOf(job) : NO_DEMAND };
    this.charged.set(a.id, c);
    this.charge(c.slot, c.job, c.demand, 1);
  }

  protected apply(slot: HostSlot, job: string, d: Demand, sign: 1 | -1): void {
    this.journal?.push({ slot, job, demand: d, sign });
    this.charge(slot, job, d, sign);
  }

  protected charge(slot: HostSlot, jobName: string, d: Demand, sign: 1 | -1): void {
    slot.cpu += sign * d.cpu;
    slot.memory += sign * d.memory;
    for (const p of d.ports) bump(slot.ports, p, sign);
    bump(slot.jobs, jobName, sign);
    bump(this.present, jobName, sign);
  }

  /**
   * Which hosts pass a host-only predicate (a hosts glob, one hostMeta pair), computed once and
   * shared by every job asking the same (Nomad caches feasibility per computed node class).
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

export const NO_DEMAND: Demand = { cpu: 0, memory: 0, ports: [] };

function bump(map: Map<string, number>, key: string, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n > 0) map.set(key, n);
  else map.delete(key);
}
