import type { HostRecord, KVEntry, ServiceInstance } from '../types.js';

/**
 * The embedded catalog's whole state as plain data, and the mutations that change it.
 *
 * Every mutation is described by a `Change` that carries the absolute new state of one record (never
 * a delta), so replaying a change twice is harmless: that is what lets the append log be replayed over
 * a snapshot that may already contain some of it (a crash between snapshot rename and log truncation).
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

/** The tables blocking reads can wait on; a change bumps the global index and its table's. */
export type Table = 'instances' | 'hosts' | 'kv' | 'sessions';

export type Change =
  | { t: 'instance'; index: number; instance: ServiceInstance }
  | { t: 'instance-del'; index: number; id: string }
  | { t: 'host'; index: number; host: HostState }
  | { t: 'host-del'; index: number; name: string }
  | { t: 'kv'; index: number; entry: KVEntry }
  | { t: 'kv-del'; index: number; key: string }
  | { t: 'session'; index: number; session: SessionState }
  | { t: 'session-del'; index: number; id: string };

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

  /** Applies one change (live or replayed); returns the table it touched. */
  apply(change: Change): Table {
    this.index = Math.max(this.index, change.index);
    const table = tableOf(change);
    this.tableIndex[table] = Math.max(this.tableIndex[table], change.index);
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
    return table;
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
