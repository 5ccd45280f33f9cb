import type { ClusterUsage, PlaceResult, Steps } from '../placement/index.js';
import type { Allocation, Evaluation, Job, JobRecord, PlacementFailure, VolumeHome } from '../types.js';
import { isTombstone } from './backoff.js';
import { stopDone, type HostState } from './classify.js';
import type { FinishExtra, PassContext } from './context.js';
import { reconcileCount } from './count.js';
import { reconcileGlobal } from './global.js';
import { idMaker } from './ids.js';
import type { RolloutInput } from './rollout.js';
import { homesOf, leftBehindNotes, nextHome } from './sticky.js';
import type { JobPassInput, Lookup, PassState, Plan } from './types.js';

/**
 * Evaluates the named jobs — and only them — against the cluster `input` describes, as a sequence
 * of steps (it yields between jobs and every few placements). For each job, in name order with
 * co-located jobs after the jobs they follow:
 *   1. its stop-desired allocations the agent reported stopped (or whose host is gone) are deleted,
 *      except failed ones of a running job (tombstones), which it keeps until the replica is replaced;
 *   2. a job without a record (deleted) has its allocations stopped — before any job places, so
 *      what they free is free;
 *   3. a stopped job stops everything; others replace lost and failed replicas, stop surplus, place
 *      missing replicas (lowest free ordinals; a replacement keeps its ordinal) and advance any
 *      rolling update.
 * The whole-cluster pass (`reconcile`) is this over every job.
 */
export function* planJobs(input: JobPassInput, jobs: Iterable<string>): Steps<Plan> {
  const planner = new Planner(input);
  const records: JobRecord[] = [];
  const work = new Map<string, { run: Allocation[]; tombstones: Allocation[] }>();
  let n = 0;
  for (const name of new Set(jobs)) {
    const record = input.record(name);
    const run: Allocation[] = [];
    const tombstones: Allocation[] = [];
    for (const a of input.allocsOf(name)) {
      if (a.desired === 'run') run.push(a);
      else if (isTombstone(a) && record?.stopped === false) tombstones.push(a);
      else planner.forget(a);
    }
    run.sort((a, b) => a.ordinal - b.ordinal || a.createdAt - b.createdAt);
    if (record) {
      records.push(record);
      work.set(name, { run, tombstones });
    } else for (const a of run) planner.retire(a);
    if (++n % 64 === 0) yield;
  }
  for (const record of evaluationOrder(records)) {
    const { run, tombstones } = work.get(record.job.name)!;
    const ev = record.stopped
      ? planner.stopAll(record, run)
      : record.job.global
        ? yield* reconcileGlobal(planner, record, run, tombstones)
        : yield* reconcileCount(planner, record, run, tombstones);
    planner.plan.evaluations.push(ev);
    yield;
  }
  return planner.plan;
}

class Planner implements PassContext {
  readonly plan: Plan = { place: [], stop: [], remove: [], evaluations: [] };
  readonly state: PassState;
  readonly hosts: Lookup<string, HostState>;
  readonly usage: ClusterUsage;
  readonly known: { has(id: string): boolean };
  private readonly newId: (job: string, ordinal: number) => string;

  constructor(private readonly input: JobPassInput) {
    this.state = input;
    this.hosts = input.hosts;
    this.usage = input.usage;
    this.known = input.known;
    this.newId = idMaker(input.seed, input.known);
  }

  homesOf(job: Job): ReadonlyMap<number, VolumeHome> | undefined {
    return this.input.homesOf?.(job.name);
  }

  stopAll(record: JobRecord, allocs: Allocation[]): Evaluation {
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
