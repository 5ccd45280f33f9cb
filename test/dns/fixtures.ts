/** Fixture builders and a static catalog for the DNS tests. */
import type { Catalog, HostStatus, Indexed, KVEntry, ServiceInstance } from '../../src/catalog/types.js';

export function inst(over: Partial<ServiceInstance> & Pick<ServiceInstance, 'service' | 'name' | 'address'>): ServiceInstance {
  return {
    id: `${over.host ?? 'node-1'}:${over.name}:${over.port ?? 80}`,
    host: 'node-1',
    port: 80,
    tags: [],
    meta: {},
    health: 'passing',
    ...over,
  };
}

export function host(name: string, address: string, alive = true): HostStatus {
  return { name, address, alive, meta: {}, capacity: { cpu: 1000, memory: 1024 } };
}

/** The fixture most tests share: a small cluster with every name form. */
export function sampleCluster(): { instances: ServiceInstance[]; hosts: HostStatus[] } {
  return {
    instances: [
      inst({ service: 'redis', name: 'redis-0', address: '10.0.0.1', port: 6379, tags: ['primary', 'cache'] }),
      inst({ service: 'redis', name: 'redis-1', address: '10.0.0.2', port: 6380, host: 'node-2', tags: ['cache'] }),
      inst({ service: 'redis', name: 'redis-2', address: '10.0.0.3', port: 6381, host: 'node-2', health: 'critical', tags: ['cache'] }),
      inst({ service: 'web', name: 'web-0', address: 'fd00::10', port: 8080 }),
      inst({ service: 'web', name: 'web-1', address: '10.0.1.1', port: 8081 }),
      // Two containers claiming one instance name on two hosts: the name answers both.
      inst({ service: 'kafka', name: 'kafka-0', address: '10.0.2.1', port: 9092, host: 'node-1' }),
      inst({ service: 'kafka', name: 'kafka-0', address: '10.0.2.2', port: 9092, host: 'node-2' }),
      // An instance named like another instance's tag: the instance wins.
      inst({ service: 'kafka', name: 'fast', address: '10.0.2.3', port: 9093 }),
      inst({ service: 'kafka', name: 'kafka-9', address: '10.0.2.9', port: 9099, tags: ['fast'] }),
      inst({ service: 'down', name: 'down-0', address: '10.0.3.1', health: 'critical' }),
    ],
    hosts: [host('node-1', '192.168.0.1'), host('node-2', '192.168.0.2', false)],
  };
}

export function manyInstances(service: string, n: number): ServiceInstance[] {
  return Array.from({ length: n }, (_, i) =>
    inst({ service, name: `${service}-${i}`, address: `10.9.${i >> 8}.${i & 255}`, port: 10_000 + i }),
  );
}

/**
 * A read-only catalog over fixed lists, without a change feed of its own: the DNS server follows it
 * through the feed's fallback (diffed listings of the KV prefix, hosts and instances; blocking reads
 * park until aborted, as nothing ever changes).
 */
export function staticCatalog(instances: ServiceInstance[], hosts: HostStatus[]): Catalog {
  const read = <T>(value: T) => (opts?: { index?: number; signal?: AbortSignal }): Promise<Indexed<T>> => {
    if (!opts?.index) return Promise.resolve({ index: 1, value });
    return new Promise((_, reject) => opts.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
  };
  const unsupported = () => Promise.reject(new Error('static catalog: not supported'));
  return {
    kind: 'static',
    listInstances: read(instances),
    listHosts: read(hosts),
    createSession: unsupported,
    renewSession: unsupported,
    destroySession: unsupported,
    registerHost: unsupported,
    removeHost: unsupported,
    registerInstance: unsupported,
    deregisterInstance: unsupported,
    setHealth: unsupported,
    healthyInstances: unsupported,
    listServices: unsupported,
    kvGet: unsupported,
    kvList: (_prefix, opts) => read<KVEntry[]>([])(opts),
    kvPut: unsupported,
    kvDelete: unsupported,
    kvTxn: unsupported,
    kvIndex: unsupported,
    maxTxnOps: 0,
    close: () => Promise.resolve(),
  };
}
