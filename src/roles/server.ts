import { ConfigError } from '../config/index.js';
import type { Role } from '../cli/roles.js';
import { startControlPlane } from './control-plane.js';
import { roleHelp } from './help.js';
import { runRole } from './run-role.js';
import { openRuntimeCatalog } from './runtime.js';

/** `maestro server`: the scheduler (one leader among the servers) and the API, on etcd or Consul. */
export const serverRole: Role = {
  name: 'server',
  summary: 'cluster role for 1–3 hosts: scheduler (leader-elected) and API on etcd or Consul',
  help: roleHelp(
    'server',
    'maestro server (--etcd URL[,URL…] | --consul URL) [flags]',
    'Runs the scheduler and the HTTP API. Run it on one to three hosts: one leader schedules,\n' +
      'the others stand by and take over within seconds of its loss.',
    'maestro server --etcd http://10.0.0.1:2379,http://10.0.0.2:2379 --api-addr 0.0.0.0:4680 --api-token $TOKEN',
  ),
  run: (argv) => runRole('server', argv, async (rt) => {
    if (!rt.config.consul && !rt.config.etcd) {
      throw new ConfigError('server needs a cluster catalog: --etcd URL[,URL…] (or MAESTRO_ETCD_ENDPOINTS) or --consul URL (or CONSUL_HTTP_ADDR); for one host use `maestro up`');
    }
    const catalog = await openRuntimeCatalog(rt);
    const control = await startControlPlane(rt, catalog, {});
    return control.addresses;
  }),
};
