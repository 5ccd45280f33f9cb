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
import { jobChangesWhatRuns, parseJobSpec } from '../scheduler/spec/index.js';
import { ApiError } from './errors.js';

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
  const getRecord = async (name: string): Promise<{ record: JobRecord; index: number } | undefined> => {
    const { value } = await catalog.kvGet(keys.job(name));
    const record = value && parse<JobRecord>(value.value);
    return record && value ? { record, index: value.modifyIndex } : undefined;
  };
  const mustGet = async (name: string): Promise<{ record: JobRecord; index: number }> => {
    const found = await getRecord(name);
    if (!found) throw new ApiError('not_found', `no such job: ${name}`);
    return found;
  };
  // INTERIM writes, following the KV layout, until src/scheduler/jobs.ts lands.
  const put = async (record: JobRecord, cas: number): Promise<void> => {
    const ok = await catalog.kvPut(keys.job(record.job.name), JSON.stringify(record), { cas });
    if (!ok) throw new ApiError('unavailable', `job ${record.job.name} changed concurrently; retry`);
  };

  return {
    parseSpec: parseJobSpec,
    async submit(job) {
      const found = await getRecord(job.name);
      const created = !found || found.record.stopped;
      const same = found !== undefined && !jobChangesWhatRuns(found.record.job, job);
      if (!created && same && found.record.job.count === job.count) return { record: found.record, created, changed: false };
      const version = found ? found.record.version + (same ? 0 : 1) : 1;
      const record: JobRecord = { job, version, submittedAt: Date.now(), stopped: false };
      await put(record, found?.index ?? 0);
      if (!same) await catalog.kvPut(keys.jobVersion(job.name, version), JSON.stringify(record));
      return { record, created, changed: true };
    },
    async stop(name) {
      const { record, index } = await mustGet(name);
      const stopped = { ...record, stopped: true };
      await put(stopped, index);
      return stopped;
    },
    async scale(name, count) {
      const { record, index } = await mustGet(name);
      const scaled = { ...record, job: { ...record.job, count }, stopped: false };
      await put(scaled, index);
      return scaled;
    },
    async history(name) {
      await mustGet(name);
      return list<JobRecord>(catalog, keys.jobVersionPrefix(name));
    },
    async state() {
      const [jobs, allocs, statuses, evals] = await Promise.all([
        list<JobRecord>(catalog, keys.jobPrefix),
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
