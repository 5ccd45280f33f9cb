import type { Logger } from 'pino';
import type {
  BlockingOptions,
  Catalog,
  DeleteOptions,
  Health,
  HostRecord,
  HostStatus,
  Indexed,
  KVEntry,
  PutOptions,
  ServiceInstance,
  SessionOptions,
  TxnOp,
} from '../types.js';
import { ConsulHttp } from './client.js';
import { Hosts } from './hosts.js';
import { Instances } from './instances.js';
import { KvStore } from './kv.js';
import { consulTxn, MAX_TXN_OPS } from './txn.js';
import { InstanceReads } from './reads.js';
import { diffFollow, type FeedBatch, type FollowOptions } from '../feed/index.js';

export { HOSTS_PREFIX } from './hosts.js';

export interface ConsulCatalogOptions {
  /** The local agent's HTTP address, e.g. `http://127.0.0.1:8500` (a bare `host:port` works too). */
  url: string;
  /** ACL token, sent as `X-Consul-Token`. */
  token?: string;
  /** This host's name (for logs; instances carry their owner themselves). */
  hostName: string;
  logger: Logger;
  /** TTL of each instance's health check (default 30 s). */
  checkTtlMs?: number;
  /** How often instance health is re-asserted (default a third of the check TTL). */
  refreshMs?: number;
  /** Backstop: the agent removes an instance critical for this long (default 5 min; Consul's minimum is 1 min). */
  deregisterCriticalAfterMs?: number;
}

/** The Consul adapter of the catalog port; see README.md beside this file for the mapping. */
export function createConsulCatalog(opts: ConsulCatalogOptions): Catalog {
  return new ConsulCatalog(opts);
}

class ConsulCatalog implements Catalog {
  readonly kind = 'consul';
  private readonly http: ConsulHttp;
  private readonly kv: KvStore;
  private readonly hosts: Hosts;
  private readonly instances: Instances;
  private readonly reads: InstanceReads;

  constructor(opts: ConsulCatalogOptions) {
    const log = opts.logger.child({ catalog: 'consul', host: opts.hostName });
    const checkTtlMs = opts.checkTtlMs ?? 30_000;
    this.http = new ConsulHttp(opts.url, opts.token);
    this.kv = new KvStore(this.http);
    this.hosts = new Hosts(this.kv, log);
    this.reads = new InstanceReads(this.http);
    this.instances = new Instances(
      this.http,
      log,
      {
        ttl: `${Math.max(1, Math.round(checkTtlMs / 1000))}s`,
        deregisterCriticalServiceAfter: `${Math.max(60, Math.round((opts.deregisterCriticalAfterMs ?? 300_000) / 1000))}s`,
      },
      opts.refreshMs ?? Math.max(1_000, Math.floor(checkTtlMs / 3)),
    );
  }

  createSession(opts: SessionOptions): Promise<string> {
    return this.kv.createSession(opts);
  }
  renewSession(id: string): Promise<boolean> {
    return this.kv.renewSession(id);
  }
  destroySession(id: string): Promise<void> {
    return this.kv.destroySession(id);
  }

  registerHost(host: HostRecord, sessionId: string): Promise<void> {
    return this.hosts.register(host, sessionId);
  }
  listHosts(opts?: BlockingOptions): Promise<Indexed<HostStatus[]>> {
    return this.hosts.list(opts);
  }
  removeHost(name: string): Promise<void> {
    return this.hosts.remove(name);
  }

  registerInstance(instance: ServiceInstance): Promise<void> {
    return this.instances.register(instance);
  }
  deregisterInstance(id: string): Promise<void> {
    return this.instances.deregister(id);
  }
  setHealth(id: string, health: Health): Promise<void> {
    return this.instances.setHealth(id, health);
  }
  listInstances(opts?: BlockingOptions & { host?: string }): Promise<Indexed<ServiceInstance[]>> {
    return this.reads.list(opts);
  }
  healthyInstances(service: string, opts?: BlockingOptions): Promise<Indexed<ServiceInstance[]>> {
    return this.reads.healthy(service, opts);
  }
  listServices(opts?: BlockingOptions): Promise<Indexed<Record<string, string[]>>> {
    return this.reads.services(opts);
  }

  kvGet(key: string, opts?: BlockingOptions): Promise<Indexed<KVEntry | undefined>> {
    return this.kv.get(key, opts);
  }
  kvList(prefix: string, opts?: BlockingOptions): Promise<Indexed<KVEntry[]>> {
    return this.kv.list(prefix, opts);
  }
  kvPut(key: string, value: string, opts?: PutOptions): Promise<boolean> {
    return this.kv.put(key, value, opts);
  }
  kvDelete(key: string, opts?: DeleteOptions): Promise<boolean> {
    return this.kv.delete(key, opts);
  }
  /** Consul has no count-only read: a (blocking) listing, its entries dropped. */
  async kvIndex(prefix: string, opts?: BlockingOptions): Promise<number> {
    return (await this.kv.list(prefix, opts)).index;
  }
  readonly maxTxnOps = MAX_TXN_OPS;
  kvTxn(ops: TxnOp[]): Promise<boolean> {
    return consulTxn(this.http, ops);
  }

  /**
   * Consul has no delta API (a blocking query says only that something under a prefix changed): the
   * feed is blocking listings diffed on the client (feed/diff.ts), starting with a reset.
   */
  follow(opts: FollowOptions, onBatch: (b: FeedBatch) => void): Promise<void> {
    return diffFollow(this, opts, onBatch);
  }

  async close(): Promise<void> {
    this.instances.stop();
    this.http.close();
  }
}
