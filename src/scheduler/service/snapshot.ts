import type { Catalog, HostStatus, KVEntry } from '../../catalog/types.js';
import type { Claim } from '../reconcile/index.js';
import { claimKey, versionKey } from '../reconcile/index.js';
import { keys, type AllocStatus, type Allocation, type Evaluation, type Job, type JobRecord, type VolumeHome } from '../types.js';

/** What a pass reads from the catalog, with the modify indexes its commit compares against. */
export interface CatalogSnapshot {
  hosts: HostStatus[];
  jobs: JobRecord[];
  allocations: Allocation[];
  statuses: Map<string, AllocStatus>;
  evaluations: Map<string, Evaluation>;
  claims: Map<string, Claim>;
  /** Where replicas' named volumes live, by `claimKey` (sticky placement). */
  volumeHomes: Map<string, VolumeHome>;
  /** Specs of the older versions allocations still run (during rollouts), by `versionKey`. */
  versions: Map<string, Job>;
  /** modifyIndex by KV key, for CAS on allocations and claims. */
  indexes: Map<string, number>;
  /** Entries that did not parse, by key (logged, otherwise ignored). */
  unreadable: string[];
}

/**
 * Reads everything fresh for one pass. Watches only *trigger* passes: a pass never trusts a value a
 * watch delivered earlier, so it always sees its own previous commit (no double placement by a pass
 * that ran before the watch caught up).
 */
/**
 * Parsed values kept between passes by key and modifyIndex (an entry is parsed again only when it
 * changed): at 100,000 allocations, parsing every value on every pass was a large share of the
 * scheduler's CPU. Values are shared between passes; the reconciler never mutates its input.
 */
export class ParseCache {
  private entries = new Map<string, { modifyIndex: number; value: unknown }>();
  private next = new Map<string, { modifyIndex: number; value: unknown }>();

  parse(e: KVEntry): unknown {
    const hit = this.entries.get(e.key);
    const value = hit && hit.modifyIndex === e.modifyIndex ? hit.value : JSON.parse(e.value);
    this.next.set(e.key, { modifyIndex: e.modifyIndex, value });
    return value;
  }

  /** Forgets what the pass did not read (deleted keys). */
  endPass(): void {
    this.entries = this.next;
    this.next = new Map();
  }
}

export async function readSnapshot(catalog: Catalog, cache?: ParseCache): Promise<CatalogSnapshot> {
  const [hosts, jobs, allocs, statuses, evals, claims, homes] = await Promise.all([
    catalog.listHosts(),
    catalog.kvList(keys.jobPrefix),
    catalog.kvList(keys.allocsPrefix),
    catalog.kvList(keys.allocStatusesPrefix),
    catalog.kvList(keys.evaluationPrefix),
    catalog.kvList(keys.allocClaimsPrefix),
    catalog.kvList(keys.volumeHomesPrefix),
  ]);
  const snap: CatalogSnapshot = {
    hosts: hosts.value,
    jobs: [],
    allocations: [],
    statuses: new Map(),
    evaluations: new Map(),
    claims: new Map(),
    volumeHomes: new Map(),
    versions: new Map(),
    indexes: new Map(),
    unreadable: [],
  };
  const each = <T>(entries: KVEntry[], use: (v: T, e: KVEntry) => void) => {
    for (const e of entries) {
      try {
        use((cache ? cache.parse(e) : JSON.parse(e.value)) as T, e);
      } catch {
        snap.unreadable.push(e.key);
      }
    }
  };
  each<JobRecord>(jobs.value, (r) => snap.jobs.push(r));
  each<Allocation>(allocs.value, (a, e) => {
    snap.allocations.push(a);
    snap.indexes.set(e.key, e.modifyIndex);
  });
  each<AllocStatus>(statuses.value, (s) => snap.statuses.set(s.allocId, s));
  each<Evaluation>(evals.value, (ev) => snap.evaluations.set(ev.job, ev));
  each<Claim>(claims.value, (c, e) => {
    const rest = e.key.slice(keys.allocClaimsPrefix.length);
    const slash = rest.lastIndexOf('/');
    snap.claims.set(claimKey(rest.slice(0, slash), Number(rest.slice(slash + 1))), c);
    snap.indexes.set(e.key, e.modifyIndex);
  });
  each<VolumeHome>(homes.value, (h, e) => {
    const rest = e.key.slice(keys.volumeHomesPrefix.length);
    const slash = rest.lastIndexOf('/');
    if (typeof h?.host === 'string' && Array.isArray(h.volumes)) snap.volumeHomes.set(claimKey(rest.slice(0, slash), Number(rest.slice(slash + 1))), h);
    else snap.unreadable.push(e.key);
  });
  cache?.endPass();
  await readOldVersions(catalog, snap);
  return snap;
}

/** Only versions that differ from the current one are read: few, and only while rollouts run. */
async function readOldVersions(catalog: Catalog, snap: CatalogSnapshot): Promise<void> {
  const current = new Map(snap.jobs.map((r) => [r.job.name, r.version]));
  const wanted = new Map<string, [string, number]>();
  for (const a of snap.allocations) {
    const v = current.get(a.job);
    if (v !== undefined && v !== a.jobVersion) wanted.set(versionKey(a.job, a.jobVersion), [a.job, a.jobVersion]);
  }
  await Promise.all(
    [...wanted].map(async ([key, [job, version]]) => {
      const { value } = await catalog.kvGet(keys.jobVersion(job, version));
      try {
        if (value) snap.versions.set(key, (JSON.parse(value.value) as JobRecord).job);
      } catch {
        snap.unreadable.push(value!.key);
      }
    }),
  );
}
