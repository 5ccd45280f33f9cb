import type { Catalog, HostStatus, KVEntry } from '../../catalog/types.js';
import type { Claim } from '../reconcile/index.js';
import { claimKey } from '../reconcile/index.js';
import { keys, type AllocStatus, type Allocation, type Evaluation, type JobRecord } from '../types.js';

/** What a pass reads from the catalog, with the modify indexes its commit compares against. */
export interface CatalogSnapshot {
  hosts: HostStatus[];
  jobs: JobRecord[];
  allocations: Allocation[];
  statuses: Map<string, AllocStatus>;
  evaluations: Map<string, Evaluation>;
  claims: Map<string, Claim>;
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
export async function readSnapshot(catalog: Catalog): Promise<CatalogSnapshot> {
  const [hosts, jobs, allocs, statuses, evals, claims] = await Promise.all([
    catalog.listHosts(),
    catalog.kvList(keys.jobPrefix),
    catalog.kvList(keys.allocsPrefix),
    catalog.kvList(keys.allocStatusesPrefix),
    catalog.kvList(keys.evaluationPrefix),
    catalog.kvList(keys.allocClaimsPrefix),
  ]);
  const snap: CatalogSnapshot = {
    hosts: hosts.value,
    jobs: [],
    allocations: [],
    statuses: new Map(),
    evaluations: new Map(),
    claims: new Map(),
    indexes: new Map(),
    unreadable: [],
  };
  const each = <T>(entries: KVEntry[], use: (v: T, e: KVEntry) => void) => {
    for (const e of entries) {
      try {
        use(JSON.parse(e.value) as T, e);
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
  return snap;
}
