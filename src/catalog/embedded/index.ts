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
} from '../types.js';
import { Persistence } from './persistence.js';
import { CatalogState, type Change, type HostState, type Table } from './state.js';
import { Waiters } from './waiters.js';

export interface EmbeddedOptions {
  /** Persist under this directory; absent keeps everything in memory. */
  dataDir?: string;
  /** How often session TTLs are checked. */
  reapIntervalMs?: number;
  /** Log lines before the snapshot is rewritten. */
  compactAfter?: number;
}

/**
 * The embedded catalog: Consul's semantics (monotonic index, blocking reads, CAS, TTL sessions that
 * release their locks and mark their hosts down) in-process, for one host. Sessions reloaded from disk
 * get a fresh TTL from the moment of loading, as a restarted Consul leader does.
 */
export function createEmbeddedCatalog(opts: EmbeddedOptions = {}): Catalog {
  return new EmbeddedCatalog(opts);
}

class EmbeddedCatalog implements Catalog {
  readonly kind = 'embedded';
  private readonly state: CatalogState;
  private readonly persistence?: Persistence;
  private readonly waiters = new Waiters();
  private readonly expiry = new Map<string, number>();
  private readonly reaper: NodeJS.Timeout;
  private closed = false;

  constructor(opts: EmbeddedOptions) {
    if (opts.dataDir) {
      const opened = Persistence.open(opts.dataDir, opts.compactAfter);
      this.state = opened.state;
      this.persistence = opened.persistence;
    } else {
      this.state = new CatalogState();
    }
    const now = Date.now();
    for (const s of this.state.sessions.values()) this.expiry.set(s.id, now + s.ttlMs);
    this.reaper = setInterval(() => this.reap(), opts.reapIntervalMs ?? 100);
    this.reaper.unref();
  }

  // --- sessions ---

  async createSession(opts: SessionOptions): Promise<string> {
    this.assertOpen();
    if (!(opts.ttlMs > 0)) throw new CatalogError('bad_request', 'session TTL must be positive');
    const id = randomUUID();
    this.commit({ t: 'session', index: this.next(), session: { id, name: opts.name, ttlMs: opts.ttlMs } });
    this.expiry.set(id, Date.now() + opts.ttlMs);
    return id;
  }

  async renewSession(id: string): Promise<boolean> {
    this.assertOpen();
    const session = this.state.sessions.get(id);
    if (!session) return false;
    this.expiry.set(id, Date.now() + session.ttlMs);
    return true;
  }

  async destroySession(id: string): Promise<void> {
    this.assertOpen();
    this.invalidate(id);
  }

  // --- hosts ---

  async registerHost(host: HostRecord, sessionId: string): Promise<void> {
    this.assertOpen();
    this.requireSession(sessionId);
    this.commit({ t: 'host', index: this.next(), host: { record: structuredClone(host), session: sessionId } });
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
    if (this.state.hosts.has(name)) this.commit({ t: 'host-del', index: this.next(), name });
  }

  // --- instances ---

  async registerInstance(instance: ServiceInstance): Promise<void> {
    this.assertOpen();
    validateInstance(instance);
    const current = this.state.instances.get(instance.id);
    if (current && sameJson(current, instance)) return; // idempotent: no index bump, no wake-ups
    this.commit({ t: 'instance', index: this.next(), instance: structuredClone(instance) });
  }

  async deregisterInstance(id: string): Promise<void> {
    this.assertOpen();
    if (this.state.instances.has(id)) this.commit({ t: 'instance-del', index: this.next(), id });
  }

  async setHealth(id: string, health: Health): Promise<void> {
    this.assertOpen();
    const current = this.state.instances.get(id);
    if (!current) throw new CatalogError('not_found', `no instance ${id}`);
    if (current.health === health) return;
    this.commit({ t: 'instance', index: this.next(), instance: { ...current, health } });
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
    this.commit({ t: 'kv', index, entry });
    return true;
  }

  async kvDelete(key: string, opts: DeleteOptions = {}): Promise<boolean> {
    this.assertOpen();
    if (opts.recurse) {
      const keys = [...this.state.kv.keys()].filter((k) => k.startsWith(key));
      for (const k of keys) this.commit({ t: 'kv-del', index: this.next(), key: k });
      return true;
    }
    const current = this.state.kv.get(key);
    if (opts.cas !== undefined && (current?.modifyIndex ?? 0) !== opts.cas) return false;
    if (current) this.commit({ t: 'kv-del', index: this.next(), key });
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.reaper);
    this.waiters.closeAll(new CatalogError('closed', 'catalog closed'));
    this.persistence?.close(this.state);
  }

  // --- internals ---

  /**
   * The index of the next change. Reads of a table nobody wrote yet answer index 1 (never 0, like
   * Consul), so the first write must land above that, or a reader blocked on 1 would miss it.
   */
  private next(): number {
    return Math.max(this.state.index, 1) + 1;
  }

  /** Persists first, then applies and wakes blocking readers: an acknowledged change is on disk. */
  private commit(change: Change): void {
    this.persistence?.append(change);
    const table: Table = this.state.apply(change);
    this.persistence?.maybeCompact(this.state);
    this.waiters.wake(table, this.state.tableIndex[table]);
  }

  private async blocking<T>(table: Table, opts: BlockingOptions | undefined, read: () => T): Promise<Indexed<T>> {
    this.assertOpen();
    const wanted = opts?.index ?? 0;
    if (wanted > 0 && this.state.tableIndex[table] <= wanted) {
      await this.waiters.wait(table, wanted, opts?.waitMs ?? 30_000, opts?.signal);
    }
    // Index 0 would make a follow-up blocking read return at once forever; Consul never returns 0 either.
    return { index: Math.max(1, this.state.tableIndex[table]), value: read() };
  }

  private sortedInstances(): ServiceInstance[] {
    return [...this.state.instances.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((i) => structuredClone(i));
  }

  private requireSession(id: string): void {
    if (!this.state.sessions.has(id)) throw new CatalogError('session_invalid', `session ${id} does not exist`);
  }

  /** Session death: its locks are released and its hosts marked down (Consul's `release` behaviour). */
  private invalidate(id: string): void {
    if (!this.state.sessions.has(id)) return;
    this.expiry.delete(id);
    this.commit({ t: 'session-del', index: this.next(), id });
    for (const entry of [...this.state.kv.values()]) {
      if (entry.session !== id) continue;
      const { session: _released, ...rest } = entry;
      this.commit({ t: 'kv', index: this.next(), entry: { ...rest, modifyIndex: this.next() } });
    }
    for (const host of [...this.state.hosts.values()]) {
      if (host.session !== id) continue;
      const down: HostState = { record: host.record };
      this.commit({ t: 'host', index: this.next(), host: down });
    }
  }

  private reap(): void {
    if (this.closed) return;
    const now = Date.now();
    for (const [id, deadline] of this.expiry) if (deadline <= now) this.invalidate(id);
  }

  private assertOpen(): void {
    if (this.closed) throw new CatalogError('closed', 'catalog closed');
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
