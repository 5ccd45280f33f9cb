import type { Cluster } from '../cluster.js';
import { ApiError } from '../errors.js';
import type { Router } from '../router.js';
import { matches } from '../selector.js';
import { hostViews, serviceViews } from '../views.js';
import { selectorOf } from './common.js';

/** Hosts (capacity and use) and services (instances and health). */
export function clusterRoutes(router: Router, cluster: Cluster): void {
  router.add('GET', '/v1/hosts', async () => {
    const [state, hosts] = await Promise.all([cluster.state(), cluster.hosts()]);
    return { json: { hosts: hostViews(state, hosts) } };
  });

  // The selector applies to instances (their metadata carries the job's labels, `job`, `instance`…);
  // a service is listed with the instances that match, and not at all when none does.
  router.add('GET', '/v1/services', async (req) => {
    const selector = selectorOf(req);
    const instances = (await cluster.instances()).filter((i) => matches(selector, i.meta));
    return { json: { services: serviceViews(instances) } };
  });

  router.add('GET', '/v1/services/:name', async (req) => {
    const name = req.params.name!;
    const [service] = serviceViews((await cluster.instances()).filter((i) => i.service === name));
    if (!service) throw new ApiError('not_found', `no such service: ${name} (see GET /v1/services)`);
    return { json: { service } };
  });
}
