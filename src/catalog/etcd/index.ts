/**
 * The catalog port on etcd v3 (README.md in this folder): leases for sessions, lease-bound keys for
 * host liveness, instances and locks, watches from a revision for blocking reads, txns for CAS.
 */
import type { Logger } from '../../log/index.js';
import { CatalogError, type Catalog, type ServiceInstance } from '../types.js';
import { call, connect, type EtcdConnectOptions } from './client.js';
import type { EtcdContext } from './context.js';
import { Hosts } from './hosts.js';
import { Instances } from './instances.js';
import { DEFAULT_PREFIX, KeyLayout } from './keys.js';
import { Kv } from './kv.js';
import { Leases } from './leases.js';
import { etcdTxn, MAX_TXN_OPS } from './txn.js';
import { followEtcd } from './feed.js';

export { DEFAULT_PREFIX } from './keys.js';

export interface EtcdCatalogOptions extends EtcdConnectOptions {
  /** Every key lives under it, so several clusters can share one etcd (default `/maestro/`). */
  prefix?: string;
  /** This host, for logs. */
  hostName: string;
  logger: Logger;
  /** TTL of the lease this process binds instances to when it registered no session for their host (default 10 s). */
  instanceLeaseTtlMs?: number;
}

export function createEtcdCatalog(opts: EtcdCatalogOptions): Catalog {
  const logger = opts.logger.child({ catalog: 'etcd' });
  const connection = connect(opts, logger);
  let closed = false;
  const ctx: EtcdContext = {
    client: connection.client,
    keys: new KeyLayout(opts.prefix ?? DEFAULT_PREFIX),
    logger,
    isClosed: () => closed,
    pending: new Set(),
    call: (what, fn) => call(() => closed, what, fn),
  };
  const leases = new Leases(ctx, opts.callTimeoutMs ?? 2_000);
  const instances = new Instances(ctx, leases, opts.instanceLeaseTtlMs ?? 10_000);
  const hosts = new Hosts(ctx, instances);
  const kv = new Kv(ctx);

  return {
    kind: 'etcd',
    createSession: (o) => leases.create(o.ttlMs),
    renewSession: (id) => leases.renew(id),
    destroySession: (id) => leases.destroy(id),

    registerHost: (h, session) => hosts.register(h, session),
    listHosts: (o) => hosts.list(o),
    removeHost: (name) => hosts.remove(name),

    registerInstance: (i) => instances.register(i),
    deregisterInstance: (id) => instances.deregister(id),
    setHealth: (id, health) => instances.setHealth(id, health),
    listInstances: (o) => instances.list(o),
    healthyInstances: (service, o) => instances.list(o, (i) => i.service === service && i.health === 'passing'),
    listServices: async (o) => {
      const { index, value } = await instances.list(o);
      return { index, value: servicesOf(value) };
    },

    kvGet: (key, o) => kv.get(key, o),
    kvList: (prefix, o) => kv.list(prefix, o),
    kvIndex: (prefix, o) => kv.index(prefix, o),
    kvPut: (key, value, o) => kv.put(key, value, o),
    kvDelete: (key, o) => kv.delete(key, o),
    kvTxn: (ops) => etcdTxn(ctx, ops),
    maxTxnOps: MAX_TXN_OPS,
    follow: (o, onBatch) => followEtcd(ctx, o, onBatch),

    async close() {
      if (closed) return;
      closed = true;
      for (const end of [...ctx.pending]) end();
      instances.close();
      leases.close();
      // Leases are left to expire, not revoked: a restarted process takes its instances over, as
      // with Consul's TTL checks; a host's session is destroyed by its agent when it stops.
      connection.close();
    },
  };
}

/**
 * Asks the endpoints for the prefix once, within `timeoutMs`: what a role does before it starts, so
 * wrong endpoints, TLS or credentials are a clear error at once instead of a silent retry loop.
 */
export async function checkEtcdReachable(opts: EtcdCatalogOptions, timeoutMs = 5_000): Promise<void> {
  const connection = connect({ ...opts, callTimeoutMs: Math.min(opts.callTimeoutMs ?? 2_000, timeoutMs) });
  const { client } = connection;
  const prefix = Buffer.from(opts.prefix ?? DEFAULT_PREFIX);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      call(() => false, 'probe', () => client.kv.range({ key: prefix, limit: 1 })),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new CatalogError('unavailable', `no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    connection.close();
  }
}

function servicesOf(instances: ServiceInstance[]): Record<string, string[]> {
  const services: Record<string, Set<string>> = {};
  for (const i of instances) {
    const tags = (services[i.service] ??= new Set());
    for (const t of i.tags) tags.add(t);
  }
  return Object.fromEntries(Object.entries(services).map(([name, tags]) => [name, [...tags].sort()]));
}
