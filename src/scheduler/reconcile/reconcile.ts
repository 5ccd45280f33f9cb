import { ClusterUsage, type PlaceResult } from '../placement/index.js';
import type { Allocation, Evaluation, Job, JobRecord, PlacementFailure } from '../types.js';
import { isTombstone } from './backoff.js';
import { hostStates, stopDone, type HostState } from './classify.js';
import type { FinishExtra, PassContext } from './context.js';
import { reconcileCount } from './count.js';
import { reconcileGlobal } from './global.js';
import { idMaker } from './ids.js';
import type { RolloutInput } from './rollout.js';
import { homesOf, leftBehindNotes, nextHome } from './sticky.js';
import { versionKey, type Plan, type ReconcileState } from './types.js';

/**
 * Desired state (job records) against actual state (allocations, agent statuses, hosts) → a Plan.
 * Pure: the same state and seed give the same plan. Order of a pass:
 *   1. stop-desired allocations the agent reported stopped (or whose host is gone) are deleted, except
 *      failed ones of running jobs (tombstones), which their job keeps until the replica is replaced;
 *   2. allocations of unknown jobs are stopped;
 *   3. each job, in name order with co-located jobs after the jobs they follow: stopped jobs stop
 *      everything; others replace lost and failed replicas, stop surplus, place missing replicas
 *      (lowest free ordinals; a replacement keeps its ordinal) and advance any rolling update.
 */
export function reconcile(state: ReconcileState): Plan {
  return new Pass(state).run();
}

class Pass implements PassContext {
  private readonly plan: Plan = { place: [], stop: [], remove: [], evaluations: [] };
  readonly hosts: ReadonlyMap<string, HostState>;
  readonly usage: ClusterUsage;
  readonly known: ReadonlySet<string>;
  private readonly newId: (job: string, ordinal: number) => string;
  private readonly byJob = new Map<string, Allocation[]>();
  private readonly tombstones = new Map<string, Allocation[]>();

  constructor(readonly state: ReconcileState) {
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
    const records = new Map(this.state.jobs.map((r) => [r.job.name, r]));
    for (const a of this.state.allocations) {
      if (isTombstone(a) && records.get(a.job)?.stopped === false) {
        const list = this.tombstones.get(a.job) ?? [];
        list.push(a);
        this.tombstones.set(a.job, list);
      } else if (a.desired === 'stop') this.forget(a);
    }
    for (const [job, allocs] of this.byJob) if (!records.has(job)) for (const a of allocs) this.retire(a);
    for (const record of evaluationOrder(this.state.jobs)) {
      const allocs = this.byJob.get(record.job.name) ?? [];
      const tombstones = this.tombstones.get(record.job.name) ?? [];
      const ev = record.stopped
        ? this.stopAll(record, allocs)
        : record.job.global
          ? reconcileGlobal(this, record, allocs, tombstones)
          : reconcileCount(this, record, allocs, tombstones);
      this.plan.evaluations.push(ev);
    }
    return this.plan;
  }

  private stopAll(record: JobRecord, allocs: Allocation[]): Evaluation {
    for (const a of allocs) this.retire(a);
    return this.finish(record, [], allocs.length, undefined);
  }

  rolloutBase(record: JobRecord): Pick<RolloutInput, 'record' | 'now' | 'statuses' | 'previous'> {
    const previous = this.state.previous?.get(record.job.name);
    return { record, now: this.state.now, statuses: this.state.statuses, ...(previous ? { previous } : {}) };
  }

  retire(a: Allocation): void {
    const host = this.hosts.get(a.host);
    if (host === undefined || host === 'lost') this.plan.remove.push(a);
    else this.plan.stop.push(a);
    this.usage.remove(a);
  }

  forget(a: Allocation): void {
    if (a.desired === 'stop' && stopDone(a, this.hosts, this.state.statuses.get(a.id))) this.plan.remove.push(a);
  }

  finish(record: JobRecord, results: PlaceResult[], stopped: number, rollout: Evaluation['rollout'], extra: FinishExtra = {}): Evaluation {
    const { job } = record;
    const failures: PlacementFailure[] = [];
    let placed = 0;
    const homes = homesOf(this, job);
    for (const r of results) {
      for (const p of r.placed) {
        const a = this.allocation(job, record.version, p.ordinal, p.host, extra.carry?.(p.ordinal, p.host));
        this.plan.place.push(a);
        const home = nextHome(job, homes.get(p.ordinal), p.host, this.state.now);
        if (home) {
          (this.plan.homes ??= new Map()).set(a.id, home);
          homes.set(p.ordinal, home);
        }
      }
      placed += r.placed.length;
      if (r.failure) failures.push(r.failure);
    }
    const ev: Evaluation = { job: job.name, at: this.state.now, jobVersion: record.version, placed, stopped, failures };
    if (rollout) ev.rollout = rollout;
    if (extra.delayed?.length) ev.delayed = extra.delayed;
    const left = record.stopped ? [] : leftBehindNotes(job, homes);
    if (left.length) ev.volumesLeftBehind = left;
    return ev;
  }

  private allocation(job: Job, version: number, ordinal: number, host: string, previousFailures: number | undefined): Allocation {
    const a: Allocation = { id: this.newId(job.name, ordinal), job: job.name, ordinal, host, jobVersion: version, desired: 'run', createdAt: this.state.now };
    if (previousFailures) a.previousFailures = previousFailures;
    return a;
  }
}

/** Name order, except that a job co-located with another is evaluated after it (it needs its hosts). */
function evaluationOrder(jobs: readonly JobRecord[]): JobRecord[] {
  const sorted = [...jobs].sort((a, b) => (a.job.name < b.job.name ? -1 : a.job.name > b.job.name ? 1 : 0));
  return [...sorted.filter((r) => r.job.constraints.colocateWith === undefined), ...sorted.filter((r) => r.job.constraints.colocateWith !== undefined)];
}
