import { randomUUID } from 'node:crypto';
import {
  CatalogError,
  type BlockingOptions,
  type Catalog,
  type DeleteOptions,
  type Health,
  type HostRecord,
  type HostStatus,
  type Indexed,
  type KVEntry,
  type PutOptions,
  type ServiceInstance,
  type SessionOptions,
  type TxnOp,
} from '../types.js';
import { validateTxn } from '../txn.js';
import { StoreCore, type EmbeddedOptions } from './core.js';
import type { Change } from './state.js';
import { MAX_TXN_OPS, txnChanges } from './txn.js';

export type { EmbeddedOptions } from './core.js';

/**
 * The embedded catalog: Consul's semantics (monotonic index, blocking reads, CAS, TTL sessions that
 * release their locks and mark their hosts down) in-process, for one host. Sessions reloaded from disk
 * get a fresh TTL from the moment of loading, as a restarted Consul leader does.
 *
 * With a data directory, every operation — read or write — resolves only once every change it may
 * have seen or made is durable on disk (see README.md, "fsync policy"): an acknowledged write survives
 * SIGKILL and power loss, and no reader acts on a change a crash could still take back.
 */
export function createEmbeddedCatalog(opts: EmbeddedOptions = {}): Catalog {
  return new EmbeddedCatalog(opts);
}

class EmbeddedCatalog extends StoreCore implements Catalog {
  readonly kind = 'embedded';

  // --- sessions ---

  async createSession(opts: SessionOptions): Promise<string> {
    this.assertOpen();
    if (!(opts.ttlMs > 0)) throw new CatalogError('bad_request', 'session TTL must be positive');
    const id = randomUUID();
    this.write({ t: 'session', session: { id, name: opts.name, ttlMs: opts.ttlMs } });
    this.expiry.set(id, Date.now() + opts.ttlMs);
    await this.durable();
    return id;
  }

  async renewSession(id: string): Promise<boolean> {
    this.assertOpen();
    const session = this.state.sessions.get(id);
    if (session) this.expiry.set(id, Date.now() + session.ttlMs);
    await this.durable();
    return session !== undefined;
  }

  async destroySession(id: string): Promise<void> {
    this.assertOpen();
    this.invalidate(id);
    await this.durable();
  }

  // --- hosts ---

  async registerHost(host: HostRecord, sessionId: string): Promise<void> {
    this.assertOpen();
    this.requireSession(sessionId);
    this.write({ t: 'host', host: { record: structuredClone(host), session: sessionId } });
    await this.durable();
  }

  async listHosts(opts?: BlockingOptions): Promise<Indexed<HostStatus[]>> {
    return this.blocking('hosts', opts, () =>
      [...this.state.hosts.values()]
        .map((h) => ({ ...structuredClone(h.record), alive: h.session !== undefined }))
        .sort((a, b) => a.name.localeCompare(b.name)),
    );
  }

  async removeHost(name: string): Promise<void> {
    this.assertOpen();
    if (this.state.hosts.has(name)) this.write({ t: 'host-del', name });
    await this.durable();
  }

  // --- instances ---

  async registerInstance(instance: ServiceInstance): Promise<void> {
    this.assertOpen();
    validateInstance(instance);
    const current = this.state.instances.get(instance.id);
    // Idempotent: no index bump, no wake-ups (but still only answered once what it saw is durable).
    if (!current || !sameJson(current, instance)) this.write({ t: 'instance', instance: structuredClone(instance) });
    await this.durable();
  }

  async deregisterInstance(id: string): Promise<void> {
    this.assertOpen();
    if (this.state.instances.has(id)) this.write({ t: 'instance-del', id });
    await this.durable();
  }

  async setHealth(id: string, health: Health): Promise<void> {
    this.assertOpen();
    const current = this.state.instances.get(id);
    if (!current) throw new CatalogError('not_found', `no instance ${id}`);
    if (current.health !== health) this.write({ t: 'instance', instance: { ...current, health } });
    await this.durable();
  }

  async listInstances(opts?: BlockingOptions & { host?: string }): Promise<Indexed<ServiceInstance[]>> {
    return this.blocking('instances', opts, () =>
      this.sortedInstances().filter((i) => opts?.host === undefined || i.host === opts.host),
    );
  }

  async healthyInstances(service: string, opts?: BlockingOptions): Promise<Indexed<ServiceInstance[]>> {
    return this.blocking('instances', opts, () =>
      this.sortedInstances().filter((i) => i.service === service && i.health === 'passing'),
    );
  }

  async listServices(opts?: BlockingOptions): Promise<Indexed<Record<string, string[]>>> {
    return this.blocking('instances', opts, () => {
      const services: Record<string, Set<string>> = {};
      for (const i of this.state.instances.values()) {
        const tags = (services[i.service] ??= new Set());
        for (const t of i.tags) tags.add(t);
      }
      return Object.fromEntries(Object.entries(services).map(([k, v]) => [k, [...v].sort()]));
    });
  }

  // --- KV ---

  async kvGet(key: string, opts?: BlockingOptions): Promise<Indexed<KVEntry | undefined>> {
    return this.blocking('kv', opts, () => {
      const e = this.state.kv.get(key);
      return e ? { ...e } : undefined;
    });
  }

  async kvList(prefix: string, opts?: BlockingOptions): Promise<Indexed<KVEntry[]>> {
    return this.blocking('kv', opts, () =>
      [...this.state.kv.values()]
        .filter((e) => e.key.startsWith(prefix))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map((e) => ({ ...e })),
    );
  }

  async kvPut(key: string, value: string, opts: PutOptions = {}): Promise<boolean> {
    this.assertOpen();
    const written = this.tryPut(key, value, opts);
    await this.durable();
    return written;
  }

  private tryPut(key: string, value: string, opts: PutOptions): boolean {
    const current = this.state.kv.get(key);
    if (opts.cas !== undefined && (current?.modifyIndex ?? 0) !== opts.cas) return false;
    let session = current?.session;
    if (opts.acquire !== undefined) {
      this.requireSession(opts.acquire);
      if (session !== undefined && session !== opts.acquire) return false;
      session = opts.acquire;
    } else if (opts.release !== undefined) {
      if (session !== opts.release) return false;
      session = undefined;
    }
    const index = this.next();
    const entry: KVEntry = { key, value, createIndex: current?.createIndex ?? index, modifyIndex: index };
    if (session !== undefined) entry.session = session;
    this.commit({ index, changes: [{ t: 'kv', entry }] });
    return true;
  }

  async kvDelete(key: string, opts: DeleteOptions = {}): Promise<boolean> {
    this.assertOpen();
    let deleted = true;
    if (opts.recurse) {
      // One record for the whole prefix: a crash never leaves half of it deleted.
      const changes: Change[] = [...this.state.kv.keys()].filter((k) => k.startsWith(key)).map((k) => ({ t: 'kv-del', key: k }));
      if (changes.length) this.commit({ index: this.next(), changes });
    } else {
      const current = this.state.kv.get(key);
      if (opts.cas !== undefined && (current?.modifyIndex ?? 0) !== opts.cas) deleted = false;
      else if (current) this.write({ t: 'kv-del', key });
    }
    await this.durable();
    return deleted;
  }

  async kvIndex(_prefix: string, opts?: BlockingOptions): Promise<number> {
    return (await this.blocking('kv', opts, () => undefined)).index;
  }

  readonly maxTxnOps = MAX_TXN_OPS;

  async kvTxn(ops: TxnOp[]): Promise<boolean> {
    this.assertOpen();
    validateTxn(ops, MAX_TXN_OPS);
    const index = this.next();
    const changes = txnChanges(this.state, ops, index);
    if (changes?.length) this.commit({ index, changes });
    await this.durable();
    return changes !== undefined;
  }

  private sortedInstances(): ServiceInstance[] {
    return [...this.state.instances.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((i) => structuredClone(i));
  }

}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function validateInstance(i: ServiceInstance): void {
  if (!i.id || !i.service || !i.host) throw new CatalogError('bad_request', 'instance needs id, service and host');
  if (!Number.isInteger(i.port) || i.port < 0 || i.port > 65_535) {
    throw new CatalogError('bad_request', `instance ${i.id}: bad port ${i.port}`);
  }
}
