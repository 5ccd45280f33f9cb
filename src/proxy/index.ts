/**
 * The proxy component: L7 HTTP routing by Host and L4 TCP listeners per proxy port, both balancing
 * over the healthy instances of a route table that follows the catalog.
 *
 *   catalog ──feed──► mirror (touched services) ──► updateRouteSpec (pure) ──► RouteRegistry.apply (swap) ──► L7 server / L4 listeners
 */
import type { Catalog, ServiceInstance } from '../catalog/types.js';
import { mirrorCatalog, type CatalogMirror } from '../catalog/feed/mirror.js';
import { componentLogger, silentLogger } from '../log/index.js';
import { createProxy, type Proxy, type ProxyOptions } from './proxy.js';

export { createProxy, type Proxy, type ProxyOptions } from './proxy.js';
export { buildRouteSpec, diffSpecs, PROXY_PORT_META, type RouteSpec } from './spec.js';
export { POLICIES, DEFAULT_POLICY } from './policy.js';
export type { ProxyMetrics, ServiceMetrics, InstanceMetrics } from './metrics.js';

export interface StartProxyOptions extends ProxyOptions {
  catalog: Catalog;
  /** How long startProxy waits for the first snapshot before resolving anyway; default 2 s. */
  firstSyncMs?: number;
}

/**
 * Starts the proxy and keeps it following the catalog's change feed (`mirror.ts`). Resolves once
 * listening and, when the catalog answers within `firstSyncMs`, with the first snapshot applied;
 * a catalog outage never stops serving the last known routes.
 */
export async function startProxy(opts: StartProxyOptions): Promise<Proxy> {
  const proxy = await createProxy(opts);
  const log = componentLogger(opts.logger ?? silentLogger, 'proxy');
  const abort = new AbortController();
  let first!: () => void;
  const synced = new Promise<void>((r) => (first = r));
  // Batches of the feed that arrive while an update runs fold into the next one: one update per
  // turn of the loop at most, each applied whole (L4 reconciles never interleave). The mirror says
  // which services the batches touched: only those are rebuilt (spec-update.ts).
  let latest: CatalogMirror | undefined;
  let queued = false;
  let redoAll = false;
  let applying = Promise.resolve();
  const apply = () => {
    queued = false;
    const m = latest!;
    const names = new Set(m.takeChanges().groups);
    // After a failed update every service is gone over again (what it touched was taken).
    if (redoAll) for (const service of [...m.groups.keys(), ...proxy.services()]) names.add(service);
    redoAll = false;
    const changed = new Map<string, ServiceInstance[]>();
    for (const service of names) changed.set(service, [...(m.groups.get(service)?.values() ?? [])]);
    return proxy.applyChanges(changed).then(first, (err) => {
      redoAll = true;
      log.error({ err }, 'route update failed');
    });
  };
  const done = mirrorCatalog(
    opts.catalog,
    { signal: abort.signal, onError: (err, attempt) => log.warn({ err: (err as Error).message, attempt }, 'catalog feed failed; serving last known routes') },
    (mirror) => {
      latest = mirror;
      if (queued) return;
      queued = true;
      applying = applying.then(() => new Promise<void>((r) => setImmediate(r))).then(apply);
    },
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([synced, new Promise<void>((r) => (timer = setTimeout(r, opts.firstSyncMs ?? 2_000)))]);
  clearTimeout(timer);
  return {
    ...proxy,
    async stop() {
      abort.abort();
      await done;
      await applying;
      await proxy.stop();
    },
  };
}
