import type { Role } from '../cli/roles.js';
import { startControlPlane } from './control-plane.js';
import { roleHelp } from './help.js';
import { nodeMetricsSources } from './metrics.js';
import { startNodeServices } from './node-services.js';
import { runRole } from './run-role.js';
import { connectDocker, openRuntimeCatalog } from './runtime.js';

/** `maestro up`: everything for one host in one process, on the embedded catalog (or etcd / Consul if given). */
export const upRole: Role = {
  name: 'up',
  summary: 'run everything on this host: registrar, DNS, proxies, scheduler, agent, API',
  help: roleHelp(
    'up',
    'maestro up [flags]',
    'Runs Maestro for one host in one process, with the embedded catalog persisted under --data-dir.\n' +
      'Containers keep running when it stops and are adopted on the next start.',
    'maestro up --meta disk=ssd --dns-addr 127.0.0.1:8600 --http-addr 127.0.0.1:8080',
  ),
  run: (argv) => runRole('up', argv, async (rt) => {
    const { docker, info } = await connectDocker(rt.config, rt.log);
    const catalog = await openRuntimeCatalog(rt);
    const node = await startNodeServices(rt, catalog, docker, info);
    const control = await startControlPlane(rt, catalog, nodeMetricsSources(node), node.logs, node.addresses.dns, node.volumes);
    return { ...node.addresses, ...control.addresses };
  }),
};
