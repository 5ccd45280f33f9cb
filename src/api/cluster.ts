/**
 * The API's one seam onto the scheduler and the catalog: every job write goes through the
 * scheduler's job store, every read comes from the catalog KV layout in src/scheduler/types.ts.
 * Keeping it in one module means a change in either is fixed here and nowhere else.
 */
import type { Catalog, HostStatus, ServiceInstance } from '../catalog/types.js';
import {
  keys,
  type Allocation,
  type AllocStatus,
  type Evaluation,
  type Job,
  type JobRecord,
} from '../state/index.js';
import { getJob, jobHistory, restartJob, rollbackJob, scaleJob, stopJob, submitJob } from '../scheduler/jobs.js';
import { jobChangesWhatRuns } from '../scheduler/spec/index.js';

export interface SubmitResult {
  record: JobRecord;
  /** True when no job of that name existed (or it was stopped). */
  created: boolean;
  /** True when anything was written: created, new version, or new count. */
  changed: boolean;
}

/** Everything the read endpoints show, read at (about) one moment. */
export interface ClusterState {
  jobs: JobRecord[];
  allocs: Allocation[];
  statuses: Map<string, AllocStatus>;
  evals: Map<string, Evaluation>;
}

export interface Cluster {
  submit(job: Job): Promise<SubmitResult>;
  /** Throws code `not_found` for an unknown job. */
  stop(name: string): Promise<JobRecord>;
  scale(name: string, count: number): Promise<JobRecord>;
  /** Every version of a job, oldest first. */
  history(name: string): Promise<JobRecord[]>;
  /** An earlier version's spec as a new version (default: the newest that differs); `changed` false when it already runs. */
  rollback(name: string, version?: number): Promise<{ record: JobRecord; changed: boolean; target: number }>;
  /** The same spec as a new version: the rolling update replaces every replica. */
  restart(name: string): Promise<JobRecord>;
  state(): Promise<ClusterState>;
  hosts(): Promise<HostStatus[]>;
  instances(): Promise<ServiceInstance[]>;
}

/**
 * A KV prefix read as parsed values, re-parsing only entries whose modifyIndex changed since the
 * last read: listings parse a thousand allocations per request otherwise, which dominated their
 * cost. Cached values are shared between requests, so views never mutate them.
 */
function cachedList<T>(catalog: Catalog, prefix: string): () => Promise<T[]> {
  let cache = new Map<string, { modifyIndex: number; value: T | undefined }>();
  let last: { index: number; values: T[] } | undefined;
  return async () => {
    const { index, value: entries } = await catalog.kvList(prefix);
    // Nothing written since the last read (the index did not move): the same values.
    if (last && last.index === index && index > 0) return last.values;
    const next = new Map<string, { modifyIndex: number; value: T | undefined }>();
    for (const e of entries) {
      const hit = cache.get(e.key);
      next.set(e.key, hit && hit.modifyIndex === e.modifyIndex ? hit : { modifyIndex: e.modifyIndex, value: parse<T>(e.value) });
    }
    cache = next;
    const values = [...next.values()].map((c) => c.value).filter((v): v is T => v !== undefined);
    last = { index, values };
    return values;
  };
}

function parse<T>(value: string): T | undefined {
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined;
  }
}

export function catalogCluster(catalog: Catalog): Cluster {
  const jobs = cachedList<JobRecord>(catalog, keys.jobPrefix);
  const allocs = cachedList<Allocation>(catalog, keys.allocsPrefix);
  const statuses = cachedList<AllocStatus>(catalog, keys.allocStatusesPrefix);
  const evals = cachedList<Evaluation>(catalog, keys.evaluationPrefix);
  return {
    async submit(job) {
      const prev = await getJob(catalog, job.name);
      // An identical resubmit writes nothing, so it wakes no watcher.
      if (prev && !prev.stopped && prev.job.count === job.count && !jobChangesWhatRuns(prev.job, job)) {
        return { record: prev, created: false, changed: false };
      }
      const { record, created } = await submitJob(catalog, job);
      return { record, created, changed: true };
    },
    stop: (name) => stopJob(catalog, name),
    scale: (name, count) => scaleJob(catalog, name, count),
    history: (name) => jobHistory(catalog, name),
    rollback: (name, version) => rollbackJob(catalog, name, version),
    restart: async (name) => (await restartJob(catalog, name)).record,
    async state() {
      const [j, a, s, e] = await Promise.all([jobs(), allocs(), statuses(), evals()]);
      return {
        jobs: j,
        allocs: a,
        statuses: new Map(s.map((x) => [x.allocId, x])),
        evals: new Map(e.map((x) => [x.job, x])),
      };
    },
    async hosts() {
      return (await catalog.listHosts()).value;
    },
    async instances() {
      return (await catalog.listInstances()).value;
    },
  };
}
