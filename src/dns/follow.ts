/**
 * Keeps the zone's table equal to the catalog: both watches (instances, hosts) feed one update,
 * coalesced, and the new table is swapped in for every listener at once. Each update re-encodes only
 * the names the change touched (builder.ts). A failed build keeps the last good table serving.
 */
import { mirrorCatalog, type CatalogMirror } from '../catalog/feed/mirror.js';
import type { Catalog } from '../catalog/types.js';
import type { Logger } from '../log/index.js';
import type { Zone } from './handler.js';
import type { DnsMetrics } from './metrics.js';
import { buildTable } from './table.js';


export interface FollowOptions {
  zone: string;
  ttl: number;
  nsAddress: string;
  shared: Zone;
  metrics: DnsMetrics;
  log: Logger;
  /** Stops following. */
  signal: AbortSignal;
}

/** Follows the catalog's change feed; resolves once the first table is built. */
export function followCatalog(catalog: Catalog, opts: FollowOptions): Promise<void> {
  const { zone, ttl, nsAddress, shared, metrics, log, signal } = opts;
  // The feed's batches fold into one update per turn of the loop; a burst of changes costs one.
  let latest: CatalogMirror | undefined;
  let scheduled = false;
  let lastBuild = 0;
  let buildMs = 0;
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  const rebuild = () => {
    scheduled = false;
    if (!latest) return;
    try {
      const started = performance.now();
      const serial = latest.index;
      const instances = [...latest.instances.values()];
      const hosts = [...latest.hosts.values()];
      const table = buildTable({ zone, ttl, serial, instances, hosts, nsAddress, previous: shared.table() });
      shared.setTable(table);
      metrics.tableNames = table.names.size;
      metrics.tableRecords = table.records;
      metrics.syncIndex = { instances: serial, hosts: serial };
      metrics.lastSyncAt = Date.now();
      buildMs = performance.now() - started;
      log.debug({ names: table.names.size, index: serial, ms: buildMs }, 'dns table updated');
      resolveSynced();
    } catch (err) {
      // Keep serving the last good table.
      log.error({ err }, 'dns table build failed');
    }
  };
  // Changes read in one turn of the event loop (both watches) fold into one update, run right after
  // (setImmediate: answers follow a change within milliseconds). Under churn updates are spaced by
  // twice the last one's duration, so updates take at most a third of the loop; an update costs
  // what changed (builder.ts), so this spacing only matters for a burst that changes most names.
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    const wait = lastBuild + Math.min(2 * buildMs, 500) - performance.now();
    const run = () => {
      lastBuild = performance.now();
      rebuild();
    };
    if (wait <= 0) setImmediate(run);
    else setTimeout(run, wait).unref();
  };
  const done = mirrorCatalog(
    catalog,
    {
      signal,
      onError: (err, attempt) => (attempt === 1 ? log.warn : log.debug).call(log, { err, attempt }, 'dns: catalog feed failed; serving the last table'),
    },
    (mirror) => {
      latest = mirror;
      schedule();
    },
  );
  void done.catch((err) => log.error({ err }, 'dns: the catalog feed ended'));
  return synced;
}
