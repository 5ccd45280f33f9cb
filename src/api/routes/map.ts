/**
 * `GET /v1/map`: the web UI's cluster map in one compact answer (blocking, like every listing).
 * The map needs, per replica, only where it is, what it is and how it is — not its events, check,
 * containers and times — so for 2,000 replicas this is ~90 KB instead of the ~760 KB of
 * `/v1/allocations`, and one request instead of two (hosts and replicas of the same view index).
 */
import type { Blocker } from '../blocking.js';
import type { Cluster } from '../cluster.js';
import type { Router } from '../router.js';
import { allocView, type AllocDisplayStatus } from '../alloc-view.js';
import { hostViews, type HostView } from '../views.js';

/** One replica on the map: `[host, job, instance, id, status, message?]` (arrays: no key repeated 2,000 times). */
export type MapRow = [host: string, job: string, instance: string, id: string, status: AllocDisplayStatus, message?: string];

export interface MapAnswer {
  hosts: HostView[];
  /** Replicas still wanted or still there (a stopped replica no longer wanted is history, not the map), by host, job, instance, id. */
  replicas: MapRow[];
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Rows by host, then job, instance and id (code-unit order, as the page compares them). */
export const byMapOrder = (a: MapRow, b: MapRow): number => byText(a[0], b[0]) || byText(a[1], b[1]) || byText(a[2], b[2]) || byText(a[3], b[3]);

/** The map as the cluster's view has it now (the answer of `/v1/map`, and the page's inline map). */
export function mapAnswer(cluster: Cluster): MapAnswer {
  const { view } = cluster;
  const now = Date.now();
  const replicas: MapRow[] = [];
  for (const a of view.allocs()) {
    const s = view.status(a.id);
    if (a.desired !== 'run' && (s?.state ?? 'pending') === 'stopped') continue;
    const v = allocView(a, s, view.job(a.job)?.job, now);
    replicas.push(v.message ? [v.host, v.job, v.instance, v.id, v.status, v.message] : [v.host, v.job, v.instance, v.id, v.status]);
  }
  // In the page's order (host, job, instance, id): its per-host sort then only confirms the order
  // in one pass, on the page's critical path, instead of sorting 2,000 replicas cold.
  replicas.sort(byMapOrder);
  return { hosts: hostViews(view, view.hosts()), replicas };
}

export function mapRoutes(router: Router, cluster: Cluster, blocker: Blocker): void {
  router.add('GET', '/v1/map', async (req) => {
    const headers = await blocker.wait(req);
    return { json: mapAnswer(cluster), headers };
  });
}
