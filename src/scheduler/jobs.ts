import type { Catalog } from '../catalog/types.js';
import { jobChangesWhatRuns } from './spec/index.js';
import { keys, type AllocStatus, type Allocation, type Evaluation, type Job, type JobRecord } from './types.js';

/**
 * The job store: how the API (and tests) change what should run. Every write is a compare-and-set on
 * the job's key, retried a few times, so concurrent submits never lose each other's changes. The
 * scheduler only reads job records; it reacts to these writes through its watches.
 */

export type JobErrorCode = 'not_found' | 'conflict' | 'bad_request';

export class JobError extends Error {
  readonly code: JobErrorCode;
  constructor(code: JobErrorCode, message: string) {
    super(message);
    this.name = 'JobError';
    this.code = code;
  }
}

export interface SubmitResult {
  record: JobRecord;
  /** No job of that name existed, or it was stopped. */
  created: boolean;
  /** A new version was made (what runs changed). */
  changed: boolean;
}

export interface JobStatus {
  record: JobRecord;
  allocations: { allocation: Allocation; status?: AllocStatus }[];
  evaluation?: Evaluation;
}

const ATTEMPTS = 5;

/** Creates or updates a job; a new version only when what runs changes (scaling keeps the version). */
export async function submitJob(catalog: Catalog, job: Job, now = Date.now()): Promise<SubmitResult> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const found = await read(catalog, job.name);
    const prev = found?.record;
    const changed = !prev || jobChangesWhatRuns(prev.job, job);
    const version = prev ? prev.version + (changed ? 1 : 0) : 1;
    const record: JobRecord = { job, version, submittedAt: now, stopped: false };
    if (!(await catalog.kvPut(keys.job(job.name), JSON.stringify(record), { cas: found?.index ?? 0 }))) continue;
    // Written after the record: a crash in between loses only the history entry, never the job.
    if (changed) await catalog.kvPut(keys.jobVersion(job.name, version), JSON.stringify(record));
    return { record, created: !prev || prev.stopped, changed };
  }
  throw new JobError('conflict', `job ${job.name} changed concurrently; retry`);
}

/** Marks a job stopped: the scheduler stops its allocations; the record and history stay. */
export function stopJob(catalog: Catalog, name: string): Promise<JobRecord> {
  return update(catalog, name, (r) => ({ ...r, stopped: true }));
}

export function scaleJob(catalog: Catalog, name: string, count: number): Promise<JobRecord> {
  if (!Number.isInteger(count) || count < 0) return Promise.reject(new JobError('bad_request', 'count must be an integer >= 0'));
  return update(catalog, name, (r) => {
    if (r.job.global) throw new JobError('bad_request', `job ${name} is global: it runs on every matching host`);
    return { ...r, job: { ...r.job, count }, stopped: false };
  });
}

export async function getJob(catalog: Catalog, name: string): Promise<JobRecord | undefined> {
  return (await read(catalog, name))?.record;
}

export async function listJobs(catalog: Catalog): Promise<JobRecord[]> {
  return list<JobRecord>(catalog, keys.jobPrefix);
}

/** Every version of a job, oldest first. */
export async function jobHistory(catalog: Catalog, name: string): Promise<JobRecord[]> {
  if (!(await read(catalog, name))) throw new JobError('not_found', `no such job: ${name}`);
  return list<JobRecord>(catalog, keys.jobVersionPrefix(name));
}

/** The job with its allocations (and what their agents report) and its last evaluation. */
export async function jobStatus(catalog: Catalog, name: string): Promise<JobStatus> {
  const found = await read(catalog, name);
  if (!found) throw new JobError('not_found', `no such job: ${name}`);
  const [allocs, statuses, evaluation] = await Promise.all([
    list<Allocation>(catalog, keys.allocsPrefix),
    list<AllocStatus>(catalog, keys.allocStatusesPrefix),
    catalog.kvGet(keys.evaluation(name)),
  ]);
  const byId = new Map(statuses.map((s) => [s.allocId, s]));
  const out: JobStatus = {
    record: found.record,
    allocations: allocs
      .filter((a) => a.job === name)
      .sort((a, b) => a.ordinal - b.ordinal || a.createdAt - b.createdAt)
      .map((allocation) => {
        const status = byId.get(allocation.id);
        return status ? { allocation, status } : { allocation };
      }),
  };
  const ev = evaluation.value && parse<Evaluation>(evaluation.value.value);
  if (ev) out.evaluation = ev;
  return out;
}

async function update(catalog: Catalog, name: string, change: (r: JobRecord) => JobRecord): Promise<JobRecord> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const found = await read(catalog, name);
    if (!found) throw new JobError('not_found', `no such job: ${name}`);
    const next = change(found.record);
    if (await catalog.kvPut(keys.job(name), JSON.stringify(next), { cas: found.index })) return next;
  }
  throw new JobError('conflict', `job ${name} changed concurrently; retry`);
}

async function read(catalog: Catalog, name: string): Promise<{ record: JobRecord; index: number } | undefined> {
  const { value } = await catalog.kvGet(keys.job(name));
  const record = value && parse<JobRecord>(value.value);
  return record && value ? { record, index: value.modifyIndex } : undefined;
}

async function list<T>(catalog: Catalog, prefix: string): Promise<T[]> {
  const { value } = await catalog.kvList(prefix);
  return value.map((e) => parse<T>(e.value)).filter((v): v is T => v !== undefined);
}

function parse<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
