/**
 * Reading what this host should run: allocations under the host's KV prefix, and the job spec of the
 * exact version each allocation names (the current record, or a kept older version).
 */
import type { Catalog, KVEntry } from '../catalog/types.js';
import { keys, type Allocation, type Job, type JobRecord } from '../state/index.js';
import type { DesiredAlloc } from './plan.js';

export interface ParsedAllocs {
  allocs: Allocation[];
  /** Keys whose value is not an allocation of this host (logged, never acted on). */
  invalid: string[];
}

export function parseAllocations(entries: KVEntry[], host: string): ParsedAllocs {
  const allocs: Allocation[] = [];
  const invalid: string[] = [];
  for (const e of entries) {
    const a = parseJson(e.value) as Partial<Allocation> | undefined;
    const ok =
      a && typeof a.id === 'string' && typeof a.job === 'string' && typeof a.ordinal === 'number' &&
      typeof a.jobVersion === 'number' && (a.desired === 'run' || a.desired === 'stop') && a.host === host;
    if (ok) allocs.push(a as Allocation);
    else invalid.push(e.key);
  }
  return { allocs, invalid };
}

/** Current job records by name, from a list of `maestro/jobs/` entries. */
export function parseJobRecords(entries: KVEntry[]): Map<string, JobRecord> {
  const out = new Map<string, JobRecord>();
  for (const e of entries) {
    const r = parseJson(e.value) as JobRecord | undefined;
    if (r && r.job && typeof r.job.name === 'string' && typeof r.version === 'number') out.set(r.job.name, r);
  }
  return out;
}

/**
 * Finds the spec for an allocation's job version. A version is immutable once written, so specs are
 * cached by `name@version` and a catalog outage does not stop the agent from (re)starting them.
 */
export class JobSpecs {
  private readonly cache = new Map<string, Job>();
  private records = new Map<string, JobRecord>();

  constructor(private readonly catalog: Catalog) {}

  /** Replaces the known current records (from the jobs watch). */
  setRecords(records: Map<string, JobRecord>): void {
    this.records = records;
    for (const r of records.values()) this.cache.set(`${r.job.name}@${r.version}`, r.job);
  }

  /** Current job specs (for the services a pod's environment names). */
  currentJobs(): Job[] {
    return [...this.records.values()].filter((r) => !r.stopped).map((r) => r.job);
  }

  async resolve(allocs: Allocation[]): Promise<DesiredAlloc[]> {
    const out = await Promise.all(allocs.map((a) => this.resolveOne(a)));
    // Forget specs no allocation names any more.
    const wanted = new Set(allocs.map((a) => `${a.job}@${a.jobVersion}`));
    for (const k of this.cache.keys()) if (!wanted.has(k)) this.cache.delete(k);
    for (const r of this.records.values()) this.cache.set(`${r.job.name}@${r.version}`, r.job);
    return out;
  }

  private async resolveOne(alloc: Allocation): Promise<DesiredAlloc> {
    const key = `${alloc.job}@${alloc.jobVersion}`;
    const cached = this.cache.get(key);
    if (cached || alloc.desired === 'stop') return { alloc, job: cached };
    try {
      const { value } = await this.catalog.kvGet(keys.jobVersion(alloc.job, alloc.jobVersion));
      const parsed = value ? (parseJson(value.value) as (JobRecord & Job) | undefined) : undefined;
      // Older versions may be stored as a whole record or as the bare spec.
      const job = parsed?.job ?? (parsed && Array.isArray(parsed.containers) ? (parsed as Job) : undefined);
      if (!job) return { alloc, jobMissing: `job ${alloc.job} version ${alloc.jobVersion} not found` };
      this.cache.set(key, job);
      return { alloc, job };
    } catch (err) {
      return { alloc, jobMissing: `cannot read job ${alloc.job}: ${(err as Error).message}` };
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
