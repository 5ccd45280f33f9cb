/**
 * The API's one seam onto the scheduler and the catalog: every job write goes through the
 * scheduler's jobs store, every read comes from the catalog KV layout in src/scheduler/types.ts.
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
} from '../scheduler/types.js';
import { getJob, jobHistory, listJobs, scaleJob, stopJob, submitJob } from '../scheduler/jobs.js';
import { jobChangesWhatRuns, parseJobSpec } from '../scheduler/spec/index.js';

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
  /** Parses and validates a YAML/JSON spec; throws an error with code `invalid_spec` and `problems`. */
  parseSpec(text: string): Job;
  submit(job: Job): Promise<SubmitResult>;
  /** Throws code `not_found` for an unknown job. */
  stop(name: string): Promise<JobRecord>;
  scale(name: string, count: number): Promise<JobRecord>;
  /** Every version of a job, oldest first. */
  history(name: string): Promise<JobRecord[]>;
  state(): Promise<ClusterState>;
  hosts(): Promise<HostStatus[]>;
  instances(): Promise<ServiceInstance[]>;
}

function parse<T>(value: string): T | undefined {
  try {
    return JSON.parse(value) as T;
  } catch {
    return undefined;
  }
}

async function list<T>(catalog: Catalog, prefix: string): Promise<T[]> {
  const { value } = await catalog.kvList(prefix);
  return value.map((e) => parse<T>(e.value)).filter((v): v is T => v !== undefined);
}

export function catalogCluster(catalog: Catalog): Cluster {
  return {
    parseSpec: parseJobSpec,
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
    async state() {
      const [jobs, allocs, statuses, evals] = await Promise.all([
        listJobs(catalog),
        list<Allocation>(catalog, keys.allocsPrefix),
        list<AllocStatus>(catalog, keys.allocStatusesPrefix),
        list<Evaluation>(catalog, keys.evaluationPrefix),
      ]);
      return {
        jobs,
        allocs,
        statuses: new Map(statuses.map((s) => [s.allocId, s])),
        evals: new Map(evals.map((e) => [e.job, e])),
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
