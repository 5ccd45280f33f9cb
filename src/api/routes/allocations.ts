import { ALLOC_STATES } from '../../view/core.js';
import type { AllocState, Allocation } from '../../state/index.js';
import type { Blocker } from '../blocking.js';
import type { Cluster } from '../cluster.js';
import { ApiError } from '../errors.js';
import { page, pageQuery } from '../paging.js';
import type { Request, Router } from '../router.js';
import { matches } from '../selector.js';
import { allocView } from '../views.js';
import { selectorOf } from './common.js';

/** `GET /v1/allocations`: filtered (job, host, state, selector) in the view, paged, blocking. */
export function allocationRoutes(router: Router, cluster: Cluster, blocker: Blocker): void {
  router.add('GET', '/v1/allocations', async (req: Request) => {
    const selector = selectorOf(req);
    const q = req.url.searchParams;
    const [job, host, state] = ['job', 'host', 'state'].map((k) => q.get(k) ?? undefined);
    if (state !== undefined && !ALLOC_STATES.includes(state as AllocState)) {
      throw new ApiError('bad_request', `state must be one of ${ALLOC_STATES.join(', ')}, got "${state.slice(0, 40)}"`);
    }
    const paging = pageQuery(q);
    const headers = await blocker.wait(req);
    const { view } = cluster;
    if (job !== undefined && !view.job(job)) throw new ApiError('not_found', `no such job: ${job}`);
    // Start from the narrowest index the filters allow, then check the other filters per item.
    const from: Iterable<Allocation> =
      job !== undefined ? view.allocsOfJob(job) : host !== undefined ? view.allocsOnHost(host) : state !== undefined ? view.allocsInState(state as AllocState) : view.allocs();
    const stateOf = (a: Allocation) => view.status(a.id)?.state ?? 'pending';
    const kept: Allocation[] = [];
    for (const a of from) {
      if ((host !== undefined && a.host !== host) || (state !== undefined && stateOf(a) !== state)) continue;
      if (selector.length && !matches(selector, view.job(a.job)?.job.labels ?? {})) continue;
      kept.push(a);
    }
    const sorted = kept.map((a) => ({ key: allocKey(a), a })).sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    const now = Date.now();
    const { items, headers: next } = page(sorted, (x) => x.key, paging, (x) => allocView(x.a, view.status(x.a.id), view.job(x.a.job)?.job, now));
    return { json: { allocations: items }, headers: { ...headers, ...next } };
  });
}

/** The listing order (job, replica, age) as one string, so a page token can name a place in it. */
function allocKey(a: Allocation): string {
  return `${a.job}\u0000${String(a.ordinal).padStart(10, '0')}\u0000${String(Math.max(0, a.createdAt)).padStart(16, '0')}\u0000${a.id}`;
}

