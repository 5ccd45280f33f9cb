import { openCatalog } from '../catalog/index.js';
import { formatHostPort } from '../config/index.js';
import type { Role } from '../cli/roles.js';
import { startControlPlane } from './control-plane.js';
import { roleHelp } from './help.js';
import { nodeMetricsSources } from './metrics.js';
import { startNodeServices } from './node-services.js';
import { connectDocker, createRuntime, reportStartupFailure, writeAddresses, type Runtime } from './runtime.js';

/** `maestro up`: everything for one host in one process, on the embedded catalog (or Consul if given). */
export const upRole: Role = {
  name: 'up',
  summary: 'run everything on this host: registrar, DNS, proxies, scheduler, agent, API',
  help: roleHelp(
    'maestro up [flags]',
    'Runs Maestro for one host in one process, with the embedded catalog persisted under --data-dir.\n' +
      'Containers keep running when it stops and are adopted on the next start.',
    'maestro up --meta disk=ssd --dns-addr 127.0.0.1:8600 --http-addr 127.0.0.1:8080',
  ),
  run: (argv) => runRole(argv, async (rt) => {
    const { docker, info } = await connectDocker(rt.config, rt.log);
    const catalog = openCatalog({ consul: rt.config.consul, dataDir: rt.config.dataDir, host: rt.config.host, logger: rt.log });
    rt.onShutdown('catalog', () => catalog.close());
    const node = await startNodeServices(rt, catalog, docker, info);
    const control = await startControlPlane(rt, catalog, nodeMetricsSources(node));
    return { ...node.addresses, ...control.addresses };
  }),
};

/**
 * Runs a role: builds the runtime, starts what `start` starts, publishes the chosen addresses,
 * then waits for a signal and shuts down in order. Startup failures print a clear message.
 */
export async function runRole(
  argv: string[],
  start: (rt: Runtime) => Promise<Record<string, { host: string; port: number }>>,
): Promise<number> {
  let rt: Runtime | undefined;
  try {
    rt = createRuntime(argv, process.env);
    const addresses = await start(rt);
    const path = writeAddresses(rt.config.dataDir, addresses);
    rt.log.info(
      { host: rt.config.host, ...Object.fromEntries(Object.entries(addresses).map(([k, v]) => [k, formatHostPort(v)])), addressesFile: path },
      'maestro is up',
    );
  } catch (err) {
    const code = reportStartupFailure(err);
    // Undo what did start, so a half-started process does not linger on its ports.
    await rt?.shutdown();
    return code;
  }
  return rt.untilShutdown();
}
