import { ClusterUsage, globalTargets, placeOnHosts, placeReplicas, type PlaceResult } from '../placement/index.js';
import type { Allocation, Evaluation, Job, JobRecord, PlacementFailure } from '../types.js';
import { better, claimInFlight, classify, hostStates, stopDone, type HostState } from './classify.js';
import { idMaker } from './ids.js';
import { planRollout } from './rollout.js';
import { versionKey, type Plan, type ReconcileState } from './types.js';

/**
 * Desired state (job records) against actual state (allocations, agent statuses, hosts) → a Plan.
 * Pure: the same state and seed give the same plan. Order of a pass:
 *   1. stop-desired allocations the agent reported stopped (or whose host is gone) are deleted;
 *   2. allocations of unknown jobs are stopped;
 *   3. each job, in name order with co-located jobs after the jobs they follow: stopped jobs stop
 *      everything; others replace lost and failed replicas, stop surplus, place missing replicas
 *      (lowest free ordinals; a replacement keeps its ordinal) and advance any rolling update.
 */
export function reconcile(state: ReconcileState): Plan {
  return new Pass(state).run();
}

class Pass {
  private readonly plan: Plan = { place: [], stop: [], remove: [], evaluations: [] };
  private readonly hosts: ReadonlyMap<string, HostState>;
  private readonly usage: ClusterUsage;
  private readonly known: ReadonlySet<string>;
  private readonly newId: (job: string, ordinal: number) => string;
  private readonly byJob = new Map<string, Allocation[]>();

  constructor(private readonly state: ReconcileState) {
    this.hosts = hostStates(state);
    this.usage = new ClusterUsage({
      hosts: state.hosts,
      allocations: state.allocations,
      jobs: new Map(state.jobs.map((r) => [r.job.name, r.job])),
      specOf: (a) => state.versions?.get(versionKey(a.job, a.jobVersion)),
    });
    this.known = new Set(state.allocations.map((a) => a.id));
    this.newId = idMaker(state.seed, this.known);
    const sorted = [...state.allocations].sort((a, b) => a.ordinal - b.ordinal || a.createdAt - b.createdAt);
    for (const a of sorted) {
      if (a.desired !== 'run') continue;
      const list = this.byJob.get(a.job) ?? [];
      list.push(a);
      this.byJob.set(a.job, list);
    }
  }

  run(): Plan {
    for (const a of this.state.allocations) {
      if (a.desired === 'stop' && stopDone(a, this.hosts, this.state.statuses.get(a.id))) this.plan.remove.push(a);
    }
    const records = new Map(this.state.jobs.map((r) => [r.job.name, r]));
    for (const [job, allocs] of this.byJob) if (!records.has(job)) for (const a of allocs) this.retire(a);
    for (const record of evaluationOrder(this.state.jobs)) {
      const allocs = this.byJob.get(record.job.name) ?? [];
      const ev = record.stopped ? this.stopAll(record, allocs) : record.job.global ? this.global(record, allocs) : this.service(record, allocs);
      this.plan.evaluations.push(ev);
    }
    return this.plan;
  }

  /** Count-based jobs: replicas `<job>-0 … <job>-(count-1)`. */
  private service(record: JobRecord, allocs: Allocation[]): Evaluation {
    const { job } = record;
    const kept = new Map<number, Allocation>();
    const failed: Allocation[] = [];
    let stopped = 0;
    for (const a of allocs) {
      const cls = classify(a, this.hosts, this.state);
      if (cls !== 'ok') {
        this.retire(a);
        stopped++;
        if (cls === 'failed') failed.push(a);
        continue;
      }
      const other = kept.get(a.ordinal);
      if (other === undefined) kept.set(a.ordinal, a);
      else {
        const [keep, drop] = better(a, other, this.state.statuses, record.version) ? [a, other] : [other, a];
        kept.set(a.ordinal, keep);
        this.retire(drop);
        stopped++;
      }
    }
    // Surplus goes highest ordinal first, so the names that remain are always <job>-0 … <job>-(count-1).
    for (const ordinal of [...kept.keys()].sort((a, b) => b - a)) {
      if (ordinal < job.count) continue;
      this.retire(kept.get(ordinal)!);
      kept.delete(ordinal);
      stopped++;
    }
    const missing: number[] = [];
    for (let o = 0; o < job.count; o++) {
      if (!kept.has(o) && !claimInFlight(job.name, o, this.known, this.state)) missing.push(o);
    }
    const decision = planRollout({ ...this.rolloutBase(record), kept: [...kept.values()], failed, placing: missing.length });
    for (const a of decision.replace) {
      this.retire(a);
      stopped++;
      missing.push(a.ordinal);
    }
    missing.sort((a, b) => a - b);
    const result = placeReplicas(this.usage, job, missing, { seed: this.state.seed, wanted: job.count });
    return this.finish(record, [result], stopped, decision.rollout);
  }

  /** Global jobs: one replica on every host passing the host-level checks. */
  private global(record: JobRecord, allocs: Allocation[]): Evaluation {
    const { job } = record;
    const targets = new Set(globalTargets(this.usage, job).map((s) => s.host.name));
    const byHost = new Map<string, Allocation>();
    const failed: Allocation[] = [];
    const reuse = new Map<string, number>();
    let stopped = 0;
    for (const a of allocs) {
      const cls = classify(a, this.hosts, this.state);
      // A host that no longer matches (its metadata changed, a conflicting job arrived) loses the replica.
      const wanted = cls === 'ok' && (this.hosts.get(a.host) !== 'alive' || targets.has(a.host));
      const other = byHost.get(a.host);
      let drop: Allocation | undefined = a;
      if (wanted && (other === undefined || better(a, other, this.state.statuses, record.version))) {
        byHost.set(a.host, a);
        drop = other;
      }
      if (drop === undefined) continue;
      this.retire(drop);
      stopped++;
      if (cls === 'failed') {
        failed.push(a);
        reuse.set(a.host, a.ordinal);
      }
    }
    const missing = [...targets].filter((h) => !byHost.has(h));
    const used = new Set([...byHost.values()].map((a) => a.ordinal));
    const ordinalFor = (host: string): number => {
      let o = reuse.get(host);
      if (o === undefined || used.has(o)) {
        o = 0;
        while (used.has(o) || claimInFlight(job.name, o, this.known, this.state)) o++;
      }
      used.add(o);
      return o;
    };
    const decision = planRollout({ ...this.rolloutBase(record), kept: [...byHost.values()], failed, placing: missing.length });
    const results: PlaceResult[] = [];
    for (const a of decision.replace) {
      this.retire(a);
      stopped++;
      results.push(placeOnHosts(this.usage, job, [a.host], () => a.ordinal, 1));
    }
    results.push(placeOnHosts(this.usage, job, missing, ordinalFor, targets.size));
    return this.finish(record, results, stopped, decision.rollout);
  }

  private stopAll(record: JobRecord, allocs: Allocation[]): Evaluation {
    for (const a of allocs) this.retire(a);
    return this.finish(record, [], allocs.length, undefined);
  }

  private rolloutBase(record: JobRecord) {
    const previous = this.state.previous?.get(record.job.name);
    return { record, now: this.state.now, statuses: this.state.statuses, ...(previous ? { previous } : {}) };
  }

  /** Ends an allocation: its key is deleted when its host is gone (no agent to tell), else it is asked to stop. */
  private retire(a: Allocation): void {
    const host = this.hosts.get(a.host);
    if (host === undefined || host === 'lost') this.plan.remove.push(a);
    else this.plan.stop.push(a);
    this.usage.remove(a);
  }

  private finish(record: JobRecord, results: PlaceResult[], stopped: number, rollout: Evaluation['rollout']): Evaluation {
    const { job } = record;
    const failures: PlacementFailure[] = [];
    let placed = 0;
    for (const r of results) {
      for (const p of r.placed) this.plan.place.push(this.allocation(job, record.version, p.ordinal, p.host));
      placed += r.placed.length;
      if (r.failure) failures.push(r.failure);
    }
    const ev: Evaluation = { job: job.name, at: this.state.now, jobVersion: record.version, placed, stopped, failures };
    if (rollout) ev.rollout = rollout;
    return ev;
  }

  private allocation(job: Job, version: number, ordinal: number, host: string): Allocation {
    return { id: this.newId(job.name, ordinal), job: job.name, ordinal, host, jobVersion: version, desired: 'run', createdAt: this.state.now };
  }
}

/** Name order, except that a job co-located with another is evaluated after it (it needs its hosts). */
function evaluationOrder(jobs: readonly JobRecord[]): JobRecord[] {
  const sorted = [...jobs].sort((a, b) => (a.job.name < b.job.name ? -1 : a.job.name > b.job.name ? 1 : 0));
  return [...sorted.filter((r) => r.job.constraints.colocateWith === undefined), ...sorted.filter((r) => r.job.constraints.colocateWith !== undefined)];
}
