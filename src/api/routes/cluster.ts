import type { Blocker } from '../blocking.js';
import type { Cluster } from '../cluster.js';
import { ApiError } from '../errors.js';
import { page, pageQuery } from '../paging.js';
import type { Router } from '../router.js';
import { matches } from '../selector.js';
import { hostViews, serviceViews } from '../views.js';
import { selectorOf } from './common.js';

/** Hosts (capacity and use) and services (instances and health), from the state view. */
export function clusterRoutes(router: Router, cluster: Cluster, blocker: Blocker): void {
  const { view } = cluster;
  router.add('GET', '/v1/hosts', async (req) => {
    const paging = pageQuery(req.url.searchParams);
    const headers = await blocker.wait(req);
    const { items, headers: next } = page(view.hosts(), (h) => h.name, paging, (h) => hostViews(view, [h])[0]!);
    return { json: { hosts: items }, headers: { ...headers, ...next } };
  });

  // The selector applies to instances (their metadata carries the job's labels, `job`, `instance`…);
  // a service is listed with the instances that match, and not at all when none does.
  router.add('GET', '/v1/services', async (req) => {
    const selector = selectorOf(req);
    const paging = pageQuery(req.url.searchParams);
    const headers = await blocker.wait(req);
    const instances = selector.length ? view.instances().filter((i) => matches(selector, i.meta)) : view.instances();
    const { items, headers: next } = page(serviceViews(instances), (s) => s.name, paging, (s) => s);
    return { json: { services: items }, headers: { ...headers, ...next } };
  });

  router.add('GET', '/v1/services/:name', async (req) => {
    const name = req.params.name!;
    const headers = await blocker.wait(req);
    const [service] = serviceViews(view.instancesOf(name));
    if (!service) throw new ApiError('not_found', `no such service: ${name} (see GET /v1/services)`);
    return { json: { service }, headers };
  });
}
