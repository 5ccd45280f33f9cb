/**
 * The API's one seam onto the scheduler and the catalog: every job write goes through the
 * scheduler's job functions, every read comes from the state view (src/view/) — never from a
 * listing of the catalog per request. After a write, the answer waits until the view has applied it
 * (read-your-writes): a client reading after its own write sees it, from any later request too.
 */
import type { Catalog } from '../catalog/types.js';
import { keys, type Job, type JobRecord } from '../state/index.js';
import { getJob, jobHistory, restartJob, rollbackJob, scaleJob, stopJob, submitJob } from '../scheduler/jobs.js';
import { jobChangesWhatRuns } from '../scheduler/spec/index.js';
import type { IndexedStateView } from '../view/index.js';

export interface SubmitResult {
  record: JobRecord;
  /** True when no job of that name existed (or it was stopped). */
  created: boolean;
  /** True when anything was written: created, new version, or new count. */
  changed: boolean;
}

export interface Cluster {
  /** What every read is answered from. */
  readonly view: IndexedStateView;
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
}

/** How long a write's answer waits for the view to show it before answering anyway. */
const READ_YOUR_WRITES_MS = 10_000;

export function catalogCluster(catalog: Catalog, view: IndexedStateView): Cluster {
  /** Waits until the view holds the job record as the catalog has it now (the write just made). */
  const seen = async <T>(name: string, result: T): Promise<T> => {
    const entry = (await catalog.kvGet(keys.job(name))).value;
    // The key itself, not the view's index: on Consul the view's index also moves with hosts and
    // instances, so it can pass the write's index before the KV part of the view has it.
    const deadline = Date.now() + READ_YOUR_WRITES_MS;
    while (entry && (view.kv(entry.key)?.modifyIndex ?? 0) < entry.modifyIndex && Date.now() < deadline) {
      await view.waitForIndex(view.index, deadline - Date.now());
    }
    return result;
  };
  return {
    view,
    async submit(job) {
      const prev = await getJob(catalog, job.name);
      // An identical resubmit writes nothing, so it wakes no watcher.
      if (prev && !prev.stopped && prev.job.count === job.count && !jobChangesWhatRuns(prev.job, job)) {
        return seen(job.name, { record: prev, created: false, changed: false });
      }
      const { record, created } = await submitJob(catalog, job);
      return seen(job.name, { record, created, changed: true });
    },
    stop: async (name) => seen(name, await stopJob(catalog, name)),
    scale: async (name, count) => seen(name, await scaleJob(catalog, name, count)),
    history: (name) => jobHistory(catalog, name),
    rollback: async (name, version) => seen(name, await rollbackJob(catalog, name, version)),
    restart: async (name) => seen(name, (await restartJob(catalog, name)).record),
  };
}
