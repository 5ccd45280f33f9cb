import type { HostRecord, KVEntry, ServiceInstance } from '../types.js';

/**
 * The embedded catalog's whole state as plain data, and the records that change it.
 *
 * One catalog operation is one `LogRecord`: an index and every change the operation makes (a session
 * invalidation releases its locks and marks its hosts down in the same record). A record is written to
 * disk as one checksummed frame, so after a crash it is either wholly there or wholly absent — never
 * half an operation. Changes carry the absolute new state of one entry (never a delta).
 */

export interface SessionState {
  id: string;
  name: string;
  ttlMs: number;
}

export interface HostState {
  record: HostRecord;
  /** The liveness session; absent once it expired or was destroyed (the host is down). */
  session?: string;
}

/** The tables blocking reads can wait on; a record bumps the global index and those of its tables. */
export type Table = 'instances' | 'hosts' | 'kv' | 'sessions';

export type Change =
  | { t: 'instance'; instance: ServiceInstance }
  | { t: 'instance-del'; id: string }
  | { t: 'host'; host: HostState }
  | { t: 'host-del'; name: string }
  | { t: 'kv'; entry: KVEntry }
  | { t: 'kv-del'; key: string }
  | { t: 'session'; session: SessionState }
  | { t: 'session-del'; id: string };

/** What one operation wrote: applied and persisted as a unit. */
export interface LogRecord {
  index: number;
  changes: Change[];
}

export interface Snapshot {
  index: number;
  tableIndex: Record<Table, number>;
  instances: ServiceInstance[];
  hosts: HostState[];
  kv: KVEntry[];
  sessions: SessionState[];
}

export class CatalogState {
  index = 0;
  readonly tableIndex: Record<Table, number> = { instances: 0, hosts: 0, kv: 0, sessions: 0 };
  readonly instances = new Map<string, ServiceInstance>();
  readonly hosts = new Map<string, HostState>();
  readonly kv = new Map<string, KVEntry>();
  readonly sessions = new Map<string, SessionState>();

  /** Applies one record (live or replayed); returns the tables it touched. */
  apply(record: LogRecord): Set<Table> {
    this.index = Math.max(this.index, record.index);
    const tables = new Set<Table>();
    for (const change of record.changes) {
      const table = tableOf(change);
      tables.add(table);
      this.tableIndex[table] = Math.max(this.tableIndex[table], record.index);
      this.applyChange(change);
    }
    return tables;
  }

  /**
   * The changes that make the state consistent: locks and hosts bound to a session that does not
   * exist are released / marked down. Live operations never leave such state; this is the defence
   * for a data directory written by an older version (whose invalidation was several records).
   */
  orphanRepairs(index: number): Change[] {
    const changes: Change[] = [];
    for (const entry of this.kv.values()) {
      if (entry.session === undefined || this.sessions.has(entry.session)) continue;
      const { session: _dead, ...released } = entry;
      changes.push({ t: 'kv', entry: { ...released, modifyIndex: index } });
    }
    for (const host of this.hosts.values()) {
      if (host.session === undefined || this.sessions.has(host.session)) continue;
      changes.push({ t: 'host', host: { record: host.record } });
    }
    return changes;
  }

  snapshot(): Snapshot {
    return {
      index: this.index,
      tableIndex: { ...this.tableIndex },
      instances: [...this.instances.values()],
      hosts: [...this.hosts.values()],
      kv: [...this.kv.values()],
      sessions: [...this.sessions.values()],
    };
  }

  static fromSnapshot(s: Snapshot): CatalogState {
    const state = new CatalogState();
    state.index = s.index;
    Object.assign(state.tableIndex, s.tableIndex);
    for (const i of s.instances) state.instances.set(i.id, i);
    for (const h of s.hosts) state.hosts.set(h.record.name, h);
    for (const e of s.kv) state.kv.set(e.key, e);
    for (const x of s.sessions) state.sessions.set(x.id, x);
    return state;
  }

  private applyChange(change: Change): void {
    switch (change.t) {
      case 'instance':
        this.instances.set(change.instance.id, change.instance);
        break;
      case 'instance-del':
        this.instances.delete(change.id);
        break;
      case 'host':
        this.hosts.set(change.host.record.name, change.host);
        break;
      case 'host-del':
        this.hosts.delete(change.name);
        break;
      case 'kv':
        this.kv.set(change.entry.key, change.entry);
        break;
      case 'kv-del':
        this.kv.delete(change.key);
        break;
      case 'session':
        this.sessions.set(change.session.id, change.session);
        break;
      case 'session-del':
        this.sessions.delete(change.id);
        break;
    }
  }
}

function tableOf(change: Change): Table {
  switch (change.t) {
    case 'instance':
    case 'instance-del':
      return 'instances';
    case 'host':
    case 'host-del':
      return 'hosts';
    case 'kv':
    case 'kv-del':
      return 'kv';
    default:
      return 'sessions';
  }
}
