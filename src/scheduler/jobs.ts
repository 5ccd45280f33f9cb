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

export interface LifecycleResult {
  record: JobRecord;
  /** False when nothing was written (a rollback to what already runs). */
  changed: boolean;
}

/**
 * Helios' and Nomad's revert: submits an earlier version's spec as a new version, so the rolling
 * update replaces the replicas within the job's `update` settings. Without `version`, the newest
 * earlier version whose spec differs from the current one in what runs (restarts make versions
 * that do not). The replica count stays the current one (scaling makes no versions, so an old
 * version's count is not what anyone chose last). A stopped job runs again, as any submit does.
 */
export async function rollbackJob(catalog: Catalog, name: string, version?: number, now = Date.now()): Promise<LifecycleResult & { target: number }> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const found = await read(catalog, name);
    if (!found) throw new JobError('not_found', `no such job: ${name}`);
    const current = found.record;
    const target = pickTarget(name, current, await list<JobRecord>(catalog, keys.jobVersionPrefix(name)), version);
    const job: Job = { ...target.job, count: current.job.count };
    if (!jobChangesWhatRuns(current.job, job) && !current.stopped) return { record: current, changed: false, target: target.version };
    const record: JobRecord = { job, version: current.version + 1, submittedAt: now, stopped: false, note: `rollback to version ${target.version}` };
    if (await commitVersion(catalog, record, found.index)) return { record, changed: true, target: target.version };
  }
  throw new JobError('conflict', `job ${name} changed concurrently; retry`);
}

function pickTarget(name: string, current: JobRecord, history: JobRecord[], version: number | undefined): JobRecord {
  if (version !== undefined) {
    if (!Number.isInteger(version) || version < 1) throw new JobError('bad_request', `version must be a whole number from 1, got ${version}`);
    if (version === current.version) throw new JobError('bad_request', `version ${version} is the current version of ${name}`);
    const target = history.find((r) => r.version === version);
    if (!target) {
      const known = history.map((r) => r.version);
      throw new JobError('not_found', `job ${name} has no version ${version} (versions kept: ${known.length ? known.join(', ') : 'none'})`);
    }
    return target;
  }
  const earlier = history.filter((r) => r.version < current.version && jobChangesWhatRuns(r.job, current.job)).sort((a, b) => b.version - a.version);
  if (!earlier[0]) throw new JobError('bad_request', `job ${name} has no earlier version that differs from version ${current.version}: nothing to roll back to`);
  return earlier[0];
}

/**
 * A rolling restart: the same spec as a new version (`note: restart`), so the rolling update
 * replaces every replica — at most `update.maxParallel` at a time, the next batch only once the new
 * ones are healthy for `update.minHealthy` — with new containers. Nothing else changes.
 */
export async function restartJob(catalog: Catalog, name: string, now = Date.now()): Promise<LifecycleResult> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const found = await read(catalog, name);
    if (!found) throw new JobError('not_found', `no such job: ${name}`);
    const current = found.record;
    if (current.stopped) throw new JobError('bad_request', `job ${name} is stopped: nothing runs to restart (\`maestro run\` starts it)`);
    const record: JobRecord = { job: current.job, version: current.version + 1, submittedAt: now, stopped: false, note: 'restart' };
    if (await commitVersion(catalog, record, found.index)) return { record, changed: true };
  }
  throw new JobError('conflict', `job ${name} changed concurrently; retry`);
}

/** CAS on the job's key, then the history entry (as submitJob: a crash in between loses only history). */
async function commitVersion(catalog: Catalog, record: JobRecord, index: number): Promise<boolean> {
  if (!(await catalog.kvPut(keys.job(record.job.name), JSON.stringify(record), { cas: index }))) return false;
  await catalog.kvPut(keys.jobVersion(record.job.name, record.version), JSON.stringify(record));
  return true;
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
