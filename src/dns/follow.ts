/**
 * Keeps the zone's table equal to the catalog: the change feed's batches (mirror.ts) mark the
 * services and hosts they touched; one update per turn of the loop rebuilds exactly those owners
 * (builder.ts) and swaps the new table in for every listener at once. A failed build keeps the last
 * good table serving.
 */
import { mirrorCatalog, type CatalogMirror } from '../catalog/feed/mirror.js';
import type { HostStatus, ServiceInstance } from '../catalog/types.js';
import type { Catalog } from '../catalog/types.js';
import type { Logger } from '../log/index.js';
import { ZoneBuilder, type OwnerChanges } from './builder.js';
import type { Zone } from './handler.js';
import type { DnsMetrics } from './metrics.js';

export interface FollowOptions {
  zone: string;
  ttl: number;
  nsAddress: string;
  shared: Zone;
  metrics: DnsMetrics;
  log: Logger;
  /** Stops following. */
  signal: AbortSignal;
  /** Longest run of build work before the loop is given back (default 4 ms; 0 yields at every step). */
  sliceMs?: number;
  /** Told about the builder in use (tests count its work). */
  onBuilder?: (builder: ZoneBuilder) => void;
}

/** Follows the catalog's change feed; resolves once the first table is built. */
export function followCatalog(catalog: Catalog, opts: FollowOptions): Promise<void> {
  const { zone, ttl, nsAddress, shared, metrics, log, signal } = opts;
  const builder = new ZoneBuilder(zone, ttl, nsAddress);
  opts.onBuilder?.(builder);
  let mirror: CatalogMirror | undefined;
  let running = false;
  let again = false;
  /** Owners a failed build left to redo. */
  let carry = { groups: new Set<string>(), hosts: new Set<string>() };
  let resolveSynced!: () => void;
  const synced = new Promise<void>((r) => (resolveSynced = r));
  const rebuild = async () => {
    const m = mirror!;
    const taken = m.takeChanges();
    const groups = new Set([...carry.groups, ...taken.groups]);
    const hosts = new Set([...carry.hosts, ...taken.hosts]);
    carry = { groups: new Set(), hosts: new Set() };
    const serial = m.index;
    const started = performance.now();
    try {
      const table = await builder.applyAsync(ownerChanges(m, groups, hosts), serial, opts.sliceMs ?? 4);
      shared.setTable(table);
      metrics.tableNames = table.names.size;
      metrics.tableRecords = table.records;
      metrics.syncIndex = { instances: serial, hosts: serial };
      metrics.lastSyncAt = Date.now();
      log.debug({ names: table.names.size, index: serial, changed: table.changedNames, ms: performance.now() - started }, 'dns table updated');
      resolveSynced();
    } catch (err) {
      // Keep serving the last good table. The builder may hold part of the failed update, so the
      // next one goes over every owner again.
      log.error({ err }, 'dns table build failed');
      carry = { groups: new Set([...groups, ...m.groups.keys()]), hosts: new Set([...hosts, ...m.hosts.keys()]) };
    }
  };
  // Batches read in one turn of the loop fold into one update, run right after it (setImmediate:
  // answers follow a change within milliseconds); batches that arrive while an update runs (a cold
  // build yields to the loop) fold into the next one. Each costs what changed.
  const run = () => {
    running = true;
    again = false;
    void rebuild().finally(() => {
      running = false;
      if (again && !signal.aborted) setImmediate(run);
    });
  };
  const done = mirrorCatalog(
    catalog,
    {
      signal,
      groupOf: (i) => builder.labelOf(i.service),
      onError: (err, attempt) => (attempt === 1 ? log.warn : log.debug).call(log, { err, attempt }, 'dns: catalog feed failed; serving the last table'),
    },
    (m) => {
      mirror = m;
      if (running) again = true;
      else if (!again) {
        again = true;
        setImmediate(run);
      }
    },
  );
  void done.catch((err) => log.error({ err }, 'dns: the catalog feed ended'));
  return synced;
}

/** The touched owners with everything each holds now, read from the mirror's groups. */
function ownerChanges(m: CatalogMirror, groups: ReadonlySet<string>, hosts: ReadonlySet<string>): OwnerChanges {
  const services = new Map<string, readonly ServiceInstance[]>();
  for (const g of groups) services.set(g, [...(m.groups.get(g)?.values() ?? [])]);
  const byHost = new Map<string, readonly HostStatus[]>();
  for (const h of hosts) {
    const host = m.hosts.get(h);
    byHost.set(h, host ? [host] : []);
  }
  return { services, hosts: byHost };
}
