/**
 * What the read endpoints return, built by pure functions from one ClusterState snapshot (so they
 * are tested with plain data). These shapes are the API's JSON contract, shared with the CLI.
 */
import type { Capacity, Health, HostStatus, ServiceInstance } from '../catalog/types.js';
import {
  type Allocation,
  type Evaluation,
  type Job,
  type JobRecord,
  type PlacementFailure,
} from '../state/index.js';
import { allocView, stablyHealthy, type AllocView } from './alloc-view.js';
import type { StateView } from '../view/types.js';

/** What the views read: the state view (src/view/), or any plain stand-in in tests. */
export type StateReader = Pick<StateView, 'job' | 'jobs' | 'allocsOfJob' | 'allocsOnHost' | 'status' | 'evaluation'>;

export { allocView, stablyHealthy, type AllocDisplayStatus, type AllocView } from './alloc-view.js';

export type JobState = 'stopped' | 'healthy' | 'pending' | 'degraded';

export interface JobSummary {
  name: string;
  version: number;
  state: JobState;
  stopped: boolean;
  global: boolean;
  /** Replicas wanted: `count`, or for global jobs the allocations placed. */
  wanted: number;
  running: number;
  /** Replicas of the current version healthy for at least `update.minHealthy` (alloc-view.ts). */
  healthy: number;
  /** Replicas the last evaluation of this version could not place. */
  unplaced: number;
  images: string[];
  labels: Record<string, string>;
  submittedAt: number;
}

export interface JobDetail extends JobSummary {
  job: Job;
  allocations: AllocView[];
  /** One entry per placement failure, with its explanation (`message`). */
  unplacedReasons: PlacementFailure[];
  evaluation?: Evaluation;
}

export interface HostView extends HostStatus {
  used: Capacity;
  allocations: number;
}

export interface ServiceView {
  name: string;
  tags: string[];
  total: number;
  healthy: number;
  instances: ServiceInstance[];
}

/** Code-point order: stable across locales, and cheaper than localeCompare in listings. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The order of allocation listings: by job, replica, then age. */
export function compareAllocs(x: Allocation, y: Allocation): number {
  return compare(x.job, y.job) || x.ordinal - y.ordinal || x.createdAt - y.createdAt || compare(x.id, y.id);
}

/** Views of `allocs` (already filtered), in listing order. */
export function allocViews(state: StateReader, allocs: Iterable<Allocation>, now = Date.now()): AllocView[] {
  return [...allocs].sort(compareAllocs).map((a) => allocView(a, state.status(a.id), state.job(a.job)?.job, now));
}

export function jobDetail(state: StateReader, record: JobRecord, now = Date.now()): JobDetail {
  const allocations = allocViews(state, state.allocsOfJob(record.job.name), now);
  const evaluation = state.evaluation(record.job.name);
  // An evaluation of an older version says nothing about why the current one is unplaced.
  const current = evaluation && evaluation.jobVersion === record.version && !record.stopped ? evaluation : undefined;
  const unplacedReasons = current?.failures ?? [];
  const live = allocations.filter((a) => a.desired === 'run');
  const running = live.filter((a) => a.state === 'running').length;
  const healthy = live.filter((a) => a.jobVersion === record.version && stablyHealthy(a, record.job, now)).length;
  const unplaced = unplacedReasons.reduce((n, f) => n + f.unplaced, 0);
  const wanted = record.stopped ? 0 : record.job.global ? live.length + unplaced : record.job.count;
  let jobState: JobState;
  if (record.stopped) jobState = 'stopped';
  else if (unplaced > 0 || current?.rollout?.state === 'failed') jobState = 'degraded';
  else if (healthy >= wanted && live.length === wanted) jobState = 'healthy';
  else jobState = 'pending';
  return {
    name: record.job.name,
    version: record.version,
    state: jobState,
    stopped: record.stopped,
    global: record.job.global,
    wanted,
    running,
    healthy,
    unplaced,
    images: record.job.containers.map((c) => c.image),
    labels: record.job.labels,
    submittedAt: record.submittedAt,
    job: record.job,
    allocations,
    unplacedReasons,
    ...(evaluation ? { evaluation } : {}),
  };
}

export function jobSummary(state: StateReader, record: JobRecord, now = Date.now()): JobSummary {
  const { job: _job, allocations: _a, unplacedReasons: _u, evaluation: _e, ...summary } = jobDetail(state, record, now);
  return summary;
}

function jobResources(job: Job): Capacity {
  return job.containers.reduce(
    (sum, c) => ({ cpu: sum.cpu + c.resources.cpu, memory: sum.memory + c.resources.memory }),
    { cpu: 0, memory: 0 },
  );
}

export function hostViews(state: StateReader, hosts: readonly HostStatus[]): HostView[] {
  return hosts
    .map((h) => {
      const mine = state.allocsOnHost(h.name).filter((a) => a.desired === 'run');
      const used = mine.reduce(
        (sum, a) => {
          const job = state.job(a.job)?.job;
          const r = job ? jobResources(job) : { cpu: 0, memory: 0 };
          return { cpu: sum.cpu + r.cpu, memory: sum.memory + r.memory };
        },
        { cpu: 0, memory: 0 },
      );
      return { ...h, used, allocations: mine.length };
    })
    .sort((a, b) => compare(a.name, b.name));
}

const passing = (h: Health): boolean => h === 'passing';

export function serviceViews(instances: readonly ServiceInstance[]): ServiceView[] {
  const by = new Map<string, ServiceInstance[]>();
  for (const i of instances) by.set(i.service, [...(by.get(i.service) ?? []), i]);
  return [...by.entries()]
    .map(([name, list]) => ({
      name,
      tags: [...new Set(list.flatMap((i) => i.tags))].sort(),
      total: list.length,
      healthy: list.filter((i) => passing(i.health)).length,
      instances: [...list].sort((a, b) => compare(a.name, b.name) || compare(a.id, b.id)),
    }))
    .sort((a, b) => compare(a.name, b.name));
}
