/**
 * Keeps the zone's table equal to the catalog: both watches (instances, hosts) feed one rebuild,
 * coalesced, and the new table is swapped in for every listener at once. A failed build keeps the
 * last good table serving.
 */
import type { Catalog, HostStatus, ServiceInstance } from '../catalog/types.js';
import { watch } from '../catalog/watch.js';
import type { Logger } from '../log/index.js';
import type { Zone } from './handler.js';
import type { DnsMetrics } from './metrics.js';
import { buildTable } from './table.js';

const REBUILD_MIN_MS = 50;

export interface FollowOptions {
  zone: string;
  ttl: number;
  nsAddress: string;
  shared: Zone;
  metrics: DnsMetrics;
  log: Logger;
  /** Stops both watches. */
  signal: AbortSignal;
}

/** Starts the watches; resolves once the first table is built from both reads. */
export function followCatalog(catalog: Catalog, opts: FollowOptions): Promise<void> {
  const { zone, ttl, nsAddress, shared, metrics, log, signal } = opts;
  // Both reads feed one rebuild; a burst of changes costs one build.
  let instances: { value: readonly ServiceInstance[]; index: number } | undefined;
  let hosts: { value: readonly HostStatus[]; index: number } | undefined;
  let scheduled = false;
  let lastBuild = 0;
  let buildMs = 0;
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  const rebuild = () => {
    scheduled = false;
    if (!instances || !hosts) return;
    try {
      const started = performance.now();
      const serial = Math.max(instances.index, hosts.index);
      const table = buildTable({ zone, ttl, serial, instances: instances.value, hosts: hosts.value, nsAddress, previous: shared.table() });
      shared.setTable(table);
      metrics.tableNames = table.names.size;
      metrics.tableRecords = table.records;
      metrics.syncIndex = { instances: instances.index, hosts: hosts.index };
      metrics.lastSyncAt = Date.now();
      buildMs = performance.now() - started;
      log.debug({ names: table.names.size, index: serial, ms: buildMs }, 'dns table rebuilt');
      resolveSynced();
    } catch (err) {
      // Keep serving the last good table.
      log.error({ err }, 'dns table build failed');
    }
  };
  // Under churn, rebuilds are spaced by at least REBUILD_MIN_MS and by twice the last build's
  // duration: a big table then spends at most a third of a core on rebuilds, and answers still
  // follow the catalog well within a second.
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      const gap = Math.max(REBUILD_MIN_MS, 2 * buildMs);
      setTimeout(() => {
        lastBuild = Date.now();
        rebuild();
      }, Math.max(0, lastBuild + gap - Date.now())).unref();
    }
  };
  const onError = (what: string) => (err: unknown, attempt: number) =>
    (attempt === 1 ? log.warn : log.debug).call(log, { err, attempt }, `dns: catalog ${what} read failed; serving the last table`);
  void watch((o) => catalog.listInstances(o), (value, index) => ((instances = { value, index }), schedule()), {
    signal,
    onError: onError('instances'),
  });
  void watch((o) => catalog.listHosts(o), (value, index) => ((hosts = { value, index }), schedule()), {
    signal,
    onError: onError('hosts'),
  });
  return synced;
}
