/**
 * The view's pure core: the indexes reads need, and how one feed batch changes them. No I/O, no
 * timers — tested with plain batches (test/view/core.test.ts). A batch is applied whole before any
 * reader runs (JavaScript runs it to completion), so no read sees half of a catalog write.
 */
import type { HostStatus, KVEntry, ServiceInstance } from '../catalog/types.js';
import type { FeedBatch } from '../catalog/feed/types.js';
import type { AllocState, AllocStatus, Allocation, Evaluation, JobRecord } from '../state/index.js';
import { byCodePoint, Groups } from './groups.js';
import { KvDirs } from './kv-dirs.js';
import { parseRecord } from './records.js';
import type { ViewChange } from './types.js';

interface Keyed<V> {
  key: string;
  value: V;
}

export class ViewState {
  index = 0;
  readonly kv = new KvDirs();
  readonly jobs = new Map<string, JobRecord>();
  readonly allocs = new Map<string, Keyed<Allocation>>();
  readonly allocsByJob = new Groups<Allocation>();
  readonly allocsByHost = new Groups<Allocation>();
  readonly statuses = new Map<string, Keyed<AllocStatus>>();
  /** Allocation ids by their reported state (`pending` for those with no status yet are not here). */
  readonly idsByState = new Groups<string>();
  readonly evals = new Map<string, Evaluation>();
  readonly hosts = new Map<string, HostStatus>();
  readonly instances = new Map<string, ServiceInstance>();
  readonly instancesByService = new Groups<ServiceInstance>();
  /** `key=value` → job names: the selector's equality requirements start from here. */
  readonly jobsByLabel = new Groups<string>();
  private sortedJobs?: readonly JobRecord[];
  private sortedHosts?: readonly HostStatus[];
  private allInstances?: readonly ServiceInstance[];

  /** Applies one batch and tells what it touched. */
  apply(batch: FeedBatch): ViewChange {
    const change = { index: batch.index, reset: batch.reset, jobs: new Set<string>(), allocJobs: new Set<string>(), hosts: new Set<string>(), services: new Set<string>(), keys: new Set<string>() };
    if (batch.reset) this.clear();
    for (const c of batch.kv) this.applyKv(c.key, c.entry, change);
    for (const c of batch.hosts) {
      if (c.host) this.hosts.set(c.name, c.host);
      else this.hosts.delete(c.name);
      this.sortedHosts = undefined;
      change.hosts.add(c.name);
    }
    for (const c of batch.instances) this.applyInstance(c.id, c.instance, change.services);
    this.index = batch.reset ? batch.index : Math.max(this.index, batch.index);
    change.index = this.index;
    if (batch.reset) for (const s of Object.values(change)) if (s instanceof Set) s.clear();
    return change;
  }

  jobList(): readonly JobRecord[] {
    return (this.sortedJobs ??= Object.freeze([...this.jobs.values()].sort((a, b) => byCodePoint(a.job.name, b.job.name))));
  }

  hostList(): readonly HostStatus[] {
    return (this.sortedHosts ??= Object.freeze([...this.hosts.values()].sort((a, b) => byCodePoint(a.name, b.name))));
  }

  instanceList(): readonly ServiceInstance[] {
    return (this.allInstances ??= Object.freeze([...this.instances.values()].sort((a, b) => byCodePoint(a.id, b.id))));
  }

  private clear(): void {
    this.kv.clear();
    this.jobs.clear();
    this.allocs.clear();
    this.allocsByJob.clear();
    this.allocsByHost.clear();
    this.statuses.clear();
    this.idsByState.clear();
    this.evals.clear();
    this.hosts.clear();
    this.instances.clear();
    this.instancesByService.clear();
    this.jobsByLabel.clear();
    this.sortedJobs = this.sortedHosts = this.allInstances = undefined;
  }

  private applyKv(key: string, entry: KVEntry | undefined, change: ViewChange & { jobs: Set<string>; allocJobs: Set<string>; keys: Set<string> }): void {
    if (entry) this.kv.set(entry);
    else this.kv.delete(key);
    change.keys.add(key);
    const parsed = parseRecord(key, entry?.value);
    switch (parsed.kind) {
      case 'job': {
        const before = this.jobs.get(parsed.name);
        if (before) for (const [k, v] of Object.entries(before.job.labels ?? {})) this.jobsByLabel.delete(`${k}=${v}`, parsed.name);
        if (parsed.value) {
          this.jobs.set(parsed.name, parsed.value);
          for (const [k, v] of Object.entries(parsed.value.job.labels ?? {})) this.jobsByLabel.set(`${k}=${v}`, parsed.name, parsed.name);
        } else this.jobs.delete(parsed.name);
        if (before || parsed.value) this.sortedJobs = undefined;
        change.jobs.add(parsed.name);
        break;
      }
      case 'alloc': {
        const before = this.allocs.get(parsed.id);
        // Another key naming the same id (never written so) does not remove the one indexed.
        if (before && before.key !== key && !parsed.value) break;
        if (before) {
          this.allocsByJob.delete(before.value.job, parsed.id);
          this.allocsByHost.delete(before.value.host, parsed.id);
          change.allocJobs.add(before.value.job);
        }
        if (parsed.value) {
          this.allocs.set(parsed.id, { key, value: parsed.value });
          this.allocsByJob.set(parsed.value.job, parsed.id, parsed.value);
          this.allocsByHost.set(parsed.value.host, parsed.id, parsed.value);
          change.allocJobs.add(parsed.value.job);
        } else this.allocs.delete(parsed.id);
        break;
      }
      case 'status': {
        const before = this.statuses.get(parsed.id);
        if (before && before.key !== key && !parsed.value) break;
        if (before) this.idsByState.delete(before.value.state, parsed.id);
        if (parsed.value) {
          this.statuses.set(parsed.id, { key, value: parsed.value });
          this.idsByState.set(parsed.value.state, parsed.id, parsed.id);
        } else this.statuses.delete(parsed.id);
        const job = this.allocs.get(parsed.id)?.value.job;
        if (job !== undefined) change.allocJobs.add(job);
        break;
      }
      case 'eval':
        if (parsed.value) this.evals.set(parsed.job, parsed.value);
        else this.evals.delete(parsed.job);
        // Not in `jobs`: the scheduler writes evaluations itself, and must not wake itself with them.
        break;
      default:
        break;
    }
  }

  private applyInstance(id: string, instance: ServiceInstance | undefined, services: Set<string>): void {
    const before = this.instances.get(id);
    if (before) {
      this.instancesByService.delete(before.service, id);
      services.add(before.service);
    }
    if (instance) {
      this.instances.set(id, instance);
      this.instancesByService.set(instance.service, id, instance);
      services.add(instance.service);
    } else this.instances.delete(id);
    this.allInstances = undefined;
  }
}

/** The allocation states a status reports; `pending` also covers allocations with no status yet. */
export const ALLOC_STATES: readonly AllocState[] = ['pending', 'running', 'failed', 'stopped'];
