import type { HostStatus } from '../../catalog/types.js';
import type { Allocation, Job } from '../types.js';
import { ClusterUsage, demandOf, NO_DEMAND, type UsageSnapshot } from './usage.js';

/**
 * The usage the scheduler service keeps between passes, updated by what changed instead of being
 * rebuilt from every allocation per pass: a job's allocations are re-charged when the job or its
 * allocations change (only those whose host or spec moved cost anything), hosts are updated in
 * place. A pass plans on it directly (`beginPass`); its placements and stops are then undone
 * (`rollback`) and come back as the committed allocations arrive through the state view — so the
 * usage always equals what the view holds, never what a pass merely hoped to write.
 */
export class LiveUsage extends ClusterUsage {
  /** The running allocations charged per job. */
  private readonly ofJob = new Map<string, Set<string>>();

  constructor(specOf?: UsageSnapshot['specOf']) {
    super({ hosts: [], allocations: [], jobs: new Map(), ...(specOf ? { specOf } : {}) });
  }

  /** The job's current spec (undefined: the job is gone). Re-charge its allocations after this. */
  setJob(name: string, job: Job | undefined): void {
    if (job) this.jobs.set(name, job);
    else this.jobs.delete(name);
    this.jobsChanged();
  }

  /**
   * Makes the job's charges equal `allocs` (every allocation of the job, any desired state).
   * Returns true when something stopped holding resources (stopped, removed, moved, shrunk).
   */
  syncAllocs(job: string, allocs: readonly Allocation[]): boolean {
    let freed = false;
    const before = this.ofJob.get(job);
    const now = new Set<string>();
    for (const a of allocs) {
      if (a.desired !== 'run') continue;
      now.add(a.id);
      const c = this.charged.get(a.id);
      const spec = this.specOf(a);
      if (c && c.slot === this.byName.get(a.host) && c.demand === (spec ? demandOf(spec) : NO_DEMAND)) continue;
      if (this.free(a.id)) freed = true;
      this.chargeAlloc(a);
    }
    for (const id of before ?? []) if (!now.has(id) && this.free(id)) freed = true;
    if (now.size) this.ofJob.set(job, now);
    else this.ofJob.delete(job);
    return freed;
  }

  /** Hosts registered, changed (liveness, capacity, metadata) or removed (undefined). */
  setHosts(changes: Iterable<[string, HostStatus | undefined]>): void {
    let membership = false;
    for (const [name, host] of changes) {
      const slot = this.byName.get(name);
      if (host && slot) slot.host = host;
      else if (host) {
        this.byName.set(name, { host, index: -1, cpu: 0, memory: 0, ports: new Map(), jobs: new Map() });
        membership = true;
      } else if (slot) {
        // Charges on it stay with the orphaned slot: re-syncing its jobs frees them exactly.
        this.byName.delete(name);
        membership = true;
      }
    }
    if (membership) {
      this.slots = [...this.byName.values()].sort((a, b) => (a.host.name < b.host.name ? -1 : a.host.name > b.host.name ? 1 : 0));
      this.slots.forEach((s, i) => (s.index = i));
    }
    // Host-only filters are per host index and per host record: recomputed on next use.
    this.filters.clear();
  }

  /** From here, every charge and free is recorded so that `rollback` can undo the pass's plan. */
  beginPass(): void {
    this.journal = [];
  }

  /** Undoes what the pass charged and freed since `beginPass`. */
  rollback(): void {
    const journal = this.journal ?? [];
    this.journal = undefined;
    for (let i = journal.length - 1; i >= 0; i--) {
      const e = journal[i]!;
      this.charge(e.slot, e.job, e.demand, e.sign === 1 ? -1 : 1);
    }
  }

  private free(id: string): boolean {
    const c = this.charged.get(id);
    if (!c) return false;
    this.charge(c.slot, c.job, c.demand, -1);
    this.charged.delete(id);
    return true;
  }
}
