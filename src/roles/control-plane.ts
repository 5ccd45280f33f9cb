import type { Catalog } from '../catalog/index.js';
import { formatHostPort, type HostPort } from '../config/index.js';
import { componentLogger } from '../log/index.js';
import { startApi, type ApiServer, type MetricsSources } from '../api/index.js';
import { startScheduler, type Scheduler } from '../scheduler/index.js';
import { agentLogSource, type LocalLogs } from '../agent/logs/index.js';
import { agentVolumeRemover, type LocalVolumes } from '../agent/volumes/index.js';
import { createStateView, type IndexedStateView } from '../view/index.js';
import type { Runtime } from './runtime.js';

/** What runs on the servers: the scheduler (leader-elected) and the API. */
export interface ControlPlane {
  /** The process's one state view: the API (and through it the UI) reads from it. */
  view: IndexedStateView;
  scheduler: Scheduler;
  api: ApiServer;
  addresses: { api: HostPort };
}

/**
 * `localLogs`: this process's own agent (`maestro up`), whose host's logs the API reads without the
 * network; `dns`: its DNS server, shown by the web UI in `dig` lines (else the configured --dns-addr).
 */
export async function startControlPlane(rt: Runtime, catalog: Catalog, metricsSources: MetricsSources, localLogs?: LocalLogs, dns?: HostPort, localVolumes?: LocalVolumes): Promise<ControlPlane> {
  const { config, log } = rt;
  // One subscription to the catalog for the whole process; stopped last (registered first).
  const view = createStateView(catalog, { logger: componentLogger(log, 'view') });
  rt.onShutdown('view', () => view.close());
  // The scheduler evaluates only the jobs whose inputs changed, reading from the same view; a full
  // pass every minute is its safety net.
  const scheduler = startScheduler({
    catalog,
    view,
    logger: componentLogger(log, 'scheduler'),
    graceMs: config.hostDownGraceMs,
  });
  rt.onShutdown('scheduler', () => scheduler.stop());

  const api = await startApi({
    catalog,
    view,
    addr: config.apiAddr,
    token: config.apiToken,
    logger: componentLogger(log, 'api'),
    ui: { zone: config.zone, dns: formatHostPort(dns ?? config.dnsAddr) },
    logs: { source: agentLogSource({ catalog, ...(localLogs ? { local: { host: config.host, logs: localLogs } } : {}) }) },
    // `maestro volumes rm`: this host's volumes in-process (maestro up), others' through their agents.
    volumes: { remove: agentVolumeRemover({ catalog, ...(localVolumes ? { local: { host: config.host, volumes: localVolumes } } : {}) }) },
    metricsSources: {
      ...metricsSources,
      scheduler: {
        read: () => scheduler.metrics(),
        counters: ['leaderChanges', 'passes', 'placed', 'stopped', 'removed', 'conflicts', 'errors'],
      },
    },
  });
  // Registered last, so it stops first: no new requests while the rest drains.
  rt.onShutdown('api', () => api.stop());
  return { view, scheduler, api, addresses: { api: api.address() } };
}
