import type { Role } from '../cli/roles.js';
import { componentLogger } from '../log/index.js';
import { startRegistrar } from '../registrar/index.js';
import { roleHelp } from './help.js';
import { connectDocker, openRuntimeCatalog } from './runtime.js';
import { runRole } from './run-role.js';

/** `maestro registrar`: only the registrar, for hosts whose containers are started by other tools. */
export const registrarRole: Role = {
  name: 'registrar',
  summary: 'only register this host\'s containers in the catalog (Registrator-style)',
  help: roleHelp(
    'registrar',
    'maestro registrar [flags]',
    'Watches Docker and keeps the catalog equal to the containers running here: one instance per\n' +
      'published port (or per exposed port with --internal). Use --etcd or --consul for a shared catalog.',
    'maestro registrar --consul http://127.0.0.1:8500 --advertise 10.0.0.5',
  ),
  run: (argv) => runRole('registrar', argv, async (rt) => {
    const { docker } = await connectDocker(rt.config, rt.log);
    const catalog = await openRuntimeCatalog(rt);
    const registrar = startRegistrar({
      docker,
      catalog,
      host: rt.config.host,
      advertise: rt.config.advertise,
      internal: rt.config.internal,
      resyncMs: rt.config.resyncMs,
      logger: componentLogger(rt.log, 'registrar'),
    });
    rt.onShutdown('registrar', () => registrar.stop());
    await registrar.synced();
    return {};
  }),
};
