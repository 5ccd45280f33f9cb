import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';

/**
 * The fake agent's data, modelled on Consul's state store: one raft index bumped by every write, a
 * per-table index (what X-Consul-Index reports), TTL checks and TTL sessions on timers. `timeScale`
 * shrinks every TTL so session expiry is testable without Consul's 10 s minimum wait.
 */

export type Table = 'services' | 'checks' | 'kvs' | 'sessions' | 'nodes';

export interface ServiceRecord {
  ID: string;
  Service: string;
  Tags: string[];
  Address: string;
  Port: number;
  Meta: Record<string, string>;
  CreateIndex: number;
  ModifyIndex: number;
}

export interface CheckRecord {
  CheckID: string;
  Name: string;
  Status: string;
  Notes: string;
  Output: string;
  ServiceID: string;
  ServiceName: string;
  ServiceTags: string[];
  Type: string;
  CreateIndex: number;
  ModifyIndex: number;
  ttlMs?: number;
  deregisterAfterMs?: number;
}

export interface KVRecord {
  Key: string;
  Value: Buffer;
  Flags: number;
  CreateIndex: number;
  ModifyIndex: number;
  LockIndex: number;
  Session?: string;
}

export interface SessionRecord {
  ID: string;
  Name: string;
  Node: string;
  LockDelay: number;
  Behavior: 'release' | 'delete';
  TTL: string;
  ttlMs: number;
  CreateIndex: number;
  ModifyIndex: number;
}

export const NODE = { ID: '5c0d3f0e-0000-4000-8000-000000000001', Node: 'fake-node', Address: '127.0.0.1', Datacenter: 'dc1' };

export class FakeState {
  index = 10;
  readonly tables: Record<Table, number> = { services: 5, checks: 5, kvs: 1, sessions: 1, nodes: 5 };
  readonly services = new Map<string, ServiceRecord>();
  readonly checks = new Map<string, CheckRecord>();
  readonly kv = new Map<string, KVRecord>();
  /** Delete index per key: Consul's tombstones, so a prefix read's index moves on deletes. */
  readonly tombstones = new Map<string, number>();
  readonly sessions = new Map<string, SessionRecord>();
  /** Lock-delay end per key, set when a session holding it is invalidated. */
  readonly lockDelay = new Map<string, number>();
  readonly changes = new EventEmitter();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private wakePending = false;

  /** `checkTimeScale` scales TTL checks separately (default: like everything else). */
  constructor(
    readonly timeScale: number,
    readonly checkTimeScale = timeScale,
  ) {
    this.changes.setMaxListeners(0);
    // A dev agent has its node's serfHealth check and the `consul` service.
    this.checks.set('serfHealth', {
      CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing', Notes: '', Output: 'Agent alive and reachable',
      ServiceID: '', ServiceName: '', ServiceTags: [], Type: '', CreateIndex: 5, ModifyIndex: 5,
    });
    this.services.set('consul', { ID: 'consul', Service: 'consul', Tags: [], Address: '', Port: 8300, Meta: {}, CreateIndex: 5, ModifyIndex: 5 });
  }

  /**
   * A write: bumps the raft index and its table's. Blocked readers are woken after the current handler
   * finished all its mutations, as a raft transaction is applied atomically before watchers fire.
   */
  bump(table: Table): number {
    this.index++;
    this.tables[table] = this.index;
    if (!this.wakePending) {
      this.wakePending = true;
      queueMicrotask(() => {
        this.wakePending = false;
        this.changes.emit('change');
      });
    }
    return this.index;
  }

  /** Starts (or restarts) a named timer; scaled by `timeScale`. */
  timer(name: string, ms: number, fn: () => void, scale = this.timeScale): void {
    this.cancel(name);
    const t = setTimeout(() => {
      this.timers.delete(name);
      fn();
    }, ms * scale);
    t.unref();
    this.timers.set(name, t);
  }

  cancel(name: string): void {
    const t = this.timers.get(name);
    if (t) clearTimeout(t);
    this.timers.delete(name);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  // --- checks ---

  setCheckStatus(check: CheckRecord, status: string, output: string): void {
    if (check.ttlMs !== undefined) {
      this.timer(`ttl:${check.CheckID}`, check.ttlMs, () => this.setCheckStatus(check, 'critical', 'TTL expired'), this.checkTimeScale);
    }
    if (check.Status === status && check.Output === output) return; // unchanged: no catalog write
    check.Status = status;
    check.Output = output;
    check.ModifyIndex = this.bump('checks');
    if (status === 'critical' && check.deregisterAfterMs !== undefined && check.ServiceID) {
      const serviceId = check.ServiceID;
      this.timer(`reap:${check.CheckID}`, check.deregisterAfterMs, () => this.deregisterService(serviceId));
    } else {
      this.cancel(`reap:${check.CheckID}`);
    }
  }

  deregisterService(id: string): boolean {
    if (!this.services.delete(id)) return false;
    this.bump('services');
    for (const c of [...this.checks.values()]) {
      if (c.ServiceID !== id) continue;
      this.checks.delete(c.CheckID);
      this.cancel(`ttl:${c.CheckID}`);
      this.cancel(`reap:${c.CheckID}`);
      this.bump('checks');
    }
    return true;
  }

  // --- sessions ---

  createSession(s: Omit<SessionRecord, 'ID' | 'CreateIndex' | 'ModifyIndex'>): SessionRecord {
    const index = this.bump('sessions');
    const session: SessionRecord = { ...s, ID: randomUUID(), CreateIndex: index, ModifyIndex: index };
    this.sessions.set(session.ID, session);
    this.armSession(session);
    return session;
  }

  /** Consul invalidates a TTL session only after twice its TTL (structs.SessionTTLMultiplier). */
  armSession(s: SessionRecord): void {
    if (s.ttlMs > 0) this.timer(`session:${s.ID}`, s.ttlMs * 2, () => this.invalidate(s.ID));
  }

  invalidate(id: string): boolean {
    const s = this.sessions.get(id);
    if (!s) return false;
    this.sessions.delete(id);
    this.cancel(`session:${id}`);
    this.bump('sessions');
    for (const e of [...this.kv.values()]) {
      if (e.Session !== id) continue;
      if (s.LockDelay > 0) this.lockDelay.set(e.Key, Date.now() + s.LockDelay * this.timeScale);
      if (s.Behavior === 'delete') {
        this.deleteKey(e.Key);
      } else {
        delete e.Session;
        e.ModifyIndex = this.bump('kvs');
      }
    }
    return true;
  }

  // --- kv ---

  deleteKey(key: string): void {
    if (!this.kv.delete(key)) return;
    this.tombstones.set(key, this.bump('kvs'));
  }
}
