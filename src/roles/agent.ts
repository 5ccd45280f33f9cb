import { ConfigError } from '../config/index.js';
import type { Role } from '../cli/roles.js';
import { roleHelp } from './help.js';
import { startNodeServices } from './node-services.js';
import { connectDocker, openRuntimeCatalog } from './runtime.js';
import { runRole } from './run-role.js';

/** `maestro agent`: the per-host role of a cluster (registrar, agent, DNS, proxies) on etcd or Consul. */
export const agentRole: Role = {
  name: 'agent',
  summary: 'cluster role for every host: registrar, agent, DNS and proxies on etcd or Consul',
  help: roleHelp(
    'agent',
    'maestro agent (--etcd URL[,URL…] | --consul URL) [flags]',
    'Runs the per-host part of a Maestro cluster: it registers this host and its containers in the\n' +
      'cluster catalog (etcd or Consul), runs the allocations the scheduler places here, and serves\n' +
      'DNS and the L4/L7 proxies.',
    'maestro agent --etcd http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379 --advertise 10.0.0.5 --meta disk=ssd',
  ),
  run: (argv) => runRole('agent', argv, async (rt) => {
    if (!rt.config.consul && !rt.config.etcd) {
      throw new ConfigError('agent needs a cluster catalog: --etcd URL[,URL…] (or MAESTRO_ETCD_ENDPOINTS) or --consul URL (or CONSUL_HTTP_ADDR); for one host use `maestro up`');
    }
    const { docker, info } = await connectDocker(rt.config, rt.log);
    const catalog = await openRuntimeCatalog(rt);
    const node = await startNodeServices(rt, catalog, docker, info);
    return node.addresses;
  }),
};
