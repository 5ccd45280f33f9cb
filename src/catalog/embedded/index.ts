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
import { silentLogger, type Logger } from '../../log/index.js';
import { Persistence } from './persistence.js';
import { CatalogState, type Change, type LogRecord, type Table } from './state.js';
import { Waiters } from './waiters.js';

export interface EmbeddedOptions {
  /** Persist under this directory; absent keeps everything in memory. */
  dataDir?: string;
  /** How often session TTLs are checked. */
  reapIntervalMs?: number;
  /** Records in a log before the state is snapshotted and a new log started. */
  compactAfter?: number;
  /** Told about recovery at open (an unfinished write cut, orphaned locks released) and disk failures. */
  logger?: Logger;
}

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

class EmbeddedCatalog implements Catalog {
  readonly kind = 'embedded';
  private readonly state: CatalogState;
  private readonly persistence?: Persistence;
  private readonly waiters = new Waiters();
  private readonly expiry = new Map<string, number>();
  private readonly reaper: NodeJS.Timeout;
  private closed = false;

  constructor(opts: EmbeddedOptions) {
    const logger = opts.logger ?? silentLogger;
    if (opts.dataDir) {
      const opened = Persistence.open(opts.dataDir, { compactAfter: opts.compactAfter ?? 10_000, logger });
      this.state = opened.state;
      this.persistence = opened.persistence;
    } else {
      this.state = new CatalogState();
    }
    const now = Date.now();
    for (const s of this.state.sessions.values()) this.expiry.set(s.id, now + s.ttlMs);
    const index = this.next();
    const repairs = this.state.orphanRepairs(index);
    if (repairs.length) {
      logger.warn({ changes: repairs.length }, 'catalog: released locks and marked hosts down whose session no longer exists');
      this.commit({ index, changes: repairs });
    }
    this.reaper = setInterval(() => this.reap(), opts.reapIntervalMs ?? 100);
    this.reaper.unref();
  }

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

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.reaper);
    this.waiters.closeAll(new CatalogError('closed', 'catalog closed'));
    await this.persistence?.close();
  }

  // --- internals ---

  /**
   * The index of the next change. Reads of a table nobody wrote yet answer index 1 (never 0, like
   * Consul), so the first write must land above that, or a reader blocked on 1 would miss it.
   */
  private next(): number {
    return Math.max(this.state.index, 1) + 1;
  }

  /** One change as one record at the next index. */
  private write(change: Change): void {
    this.commit({ index: this.next(), changes: [change] });
  }

  /**
   * Queues the record for the disk first (refused once the disk failed: then nothing is applied),
   * then applies it and wakes blocking readers, who answer only once it is durable (`durable`).
   */
  private commit(record: LogRecord): void {
    this.persistence?.append(record);
    for (const table of this.state.apply(record)) this.waiters.wake(table, this.state.tableIndex[table]);
  }

  /** Resolves once every change applied so far is durable: every operation's answer waits for it. */
  private durable(): Promise<void> {
    return this.persistence ? this.persistence.settled() : Promise.resolve();
  }

  private async blocking<T>(table: Table, opts: BlockingOptions | undefined, read: () => T): Promise<Indexed<T>> {
    this.assertOpen();
    const wanted = opts?.index ?? 0;
    if (wanted > 0 && this.state.tableIndex[table] <= wanted) {
      await this.waiters.wait(table, wanted, opts?.waitMs ?? 30_000, opts?.signal);
    }
    // Index 0 would make a follow-up blocking read return at once forever; Consul never returns 0 either.
    const answer = { index: Math.max(1, this.state.tableIndex[table]), value: read() };
    await this.durable();
    return answer;
  }

  private sortedInstances(): ServiceInstance[] {
    return [...this.state.instances.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map((i) => structuredClone(i));
  }

  private requireSession(id: string): void {
    if (!this.state.sessions.has(id)) throw new CatalogError('session_invalid', `session ${id} does not exist`);
  }

  /**
   * Session death: its locks are released and its hosts marked down (Consul's `release` behaviour),
   * all in one record, so no crash can leave a lock held by a session that is gone.
   */
  private invalidate(id: string): void {
    if (!this.state.sessions.has(id)) return;
    const index = this.next();
    const changes: Change[] = [{ t: 'session-del', id }];
    for (const entry of this.state.kv.values()) {
      if (entry.session !== id) continue;
      const { session: _released, ...rest } = entry;
      changes.push({ t: 'kv', entry: { ...rest, modifyIndex: index } });
    }
    for (const host of this.state.hosts.values()) {
      if (host.session === id) changes.push({ t: 'host', host: { record: host.record } });
    }
    this.commit({ index, changes });
    this.expiry.delete(id);
  }

  private reap(): void {
    if (this.closed) return;
    const now = Date.now();
    try {
      for (const [id, deadline] of this.expiry) if (deadline <= now) this.invalidate(id);
    } catch {
      // The disk failed: the journal refuses every write and every operation reports it.
    }
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
