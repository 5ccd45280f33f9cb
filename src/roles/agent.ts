import { ConfigError } from '../config/index.js';
import type { Role } from '../cli/roles.js';
import { roleHelp } from './help.js';
import { startNodeServices } from './node-services.js';
import { connectDocker, openRuntimeCatalog } from './runtime.js';
import { runRole } from './run-role.js';

/** `maestro agent`: the per-host role of a cluster (registrar, agent, DNS, proxies) on Consul. */
export const agentRole: Role = {
  name: 'agent',
  summary: 'cluster role for every host: registrar, agent, DNS and proxies on Consul',
  help: roleHelp(
    'maestro agent --consul URL [flags]',
    'Runs the per-host part of a Maestro cluster: it registers this host and its containers in Consul,\n' +
      'runs the allocations the scheduler places here, and serves DNS and the L4/L7 proxies.',
    'maestro agent --consul http://127.0.0.1:8500 --advertise 10.0.0.5 --meta disk=ssd',
  ),
  run: (argv) => runRole(argv, async (rt) => {
    if (!rt.config.consul) throw new ConfigError('agent needs --consul URL (or CONSUL_HTTP_ADDR); for one host use `maestro up`');
    const { docker, info } = await connectDocker(rt.config, rt.log);
    const catalog = openRuntimeCatalog(rt);
    const node = await startNodeServices(rt, catalog, docker, info);
    return node.addresses;
  }),
};
