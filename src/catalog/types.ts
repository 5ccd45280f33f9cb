/**
 * The catalog port: the one source of truth every Maestro component reads and writes.
 *
 * It is deliberately backend-neutral: every operation maps onto Consul (agent services + checks,
 * sessions, KV with `cas`, `X-Consul-Index` blocking queries) and onto etcd (leases, revisions, txn)
 * alike. Adapters live beside this file: `embedded/` (in-process, persisted) and `consul/`.
 */

import type { Follow } from './feed/types.js';

/** Health of a service instance, as Consul names it. Only `passing` instances are served. */
export type Health = 'passing' | 'warning' | 'critical';

/** Schedulable capacity of a host: cpu in millicores, memory in MiB. */
export interface Capacity {
  cpu: number;
  memory: number;
}

/** What a host agent registers about its host. */
export interface HostRecord {
  name: string;
  /** Address other hosts reach it at (published ports are registered with it). */
  address: string;
  meta: Record<string, string>;
  capacity: Capacity;
}

/** A host as the catalog sees it: `alive` is false once its liveness session has expired. */
export interface HostStatus extends HostRecord {
  alive: boolean;
}

/** One reachable port of one container: what DNS answers and proxies balance over. */
export interface ServiceInstance {
  /** Stable, owned ID: `<host>:<container-id>:<port>`. */
  id: string;
  /** Service name (DNS label), e.g. `redis`. */
  service: string;
  /** Instance name, unique within the service where possible, e.g. `kafka-0`. */
  name: string;
  /** The host that owns (registered) this instance; only that host's registrar touches it. */
  host: string;
  address: string;
  port: number;
  tags: string[];
  /** Free-form metadata: container id, job, alloc, labels carried from the job. */
  meta: Record<string, string>;
  health: Health;
}

/** A KV entry; `modifyIndex` is what compare-and-set compares against. */
export interface KVEntry {
  key: string;
  value: string;
  createIndex: number;
  modifyIndex: number;
  /** The session holding the key as a lock, when held. */
  session?: string;
}

/** Options of a blocking read: return once the catalog index passes `index`, or after `waitMs`. */
export interface BlockingOptions {
  /** Block until the relevant index is greater than this; 0 or absent returns at once. */
  index?: number;
  /** Upper bound on the wait (default 30 s; Consul caps at 10 min). */
  waitMs?: number;
  /** Aborting rejects the read with an AbortError. */
  signal?: AbortSignal;
}

/** A value together with the catalog index it was read at (Consul's `X-Consul-Index`). */
export interface Indexed<T> {
  index: number;
  value: T;
}

export interface SessionOptions {
  /** Human-readable name, e.g. `host:node-1` or `scheduler:leader`. */
  name: string;
  /** The session dies unless renewed within this time. Consul accepts 10 s .. 24 h. */
  ttlMs: number;
}

export interface PutOptions {
  /** Compare-and-set: write only if the key's modifyIndex equals this (0 = only if absent). */
  cas?: number;
  /** Acquire the key as a lock for this session: succeeds only if unheld or held by it. */
  acquire?: string;
  /** Release the lock held by this session (the value is still written). */
  release?: string;
}

export interface DeleteOptions {
  /** Delete only if the key's modifyIndex equals this. */
  cas?: number;
  /** Delete every key under the given prefix. */
  recurse?: boolean;
}

/**
 * One operation of a KV transaction (`kvTxn`). `cas` is compare-and-set on the key's modifyIndex as
 * in `kvPut`/`kvDelete` (0 = the key must be absent); without it the operation is unconditional.
 * - `put` writes `value`; a key held as a lock keeps its holder (as `kvPut` without acquire/release).
 * - `delete` removes the key (absent with `cas` 0 is a no-op; absent with any other `cas` fails).
 * - `check` writes nothing: the transaction goes ahead only if the key matches `cas` and, with
 *   `session`, is held as a lock by that session — the fence a leader puts in its own writes.
 */
export type TxnOp =
  | { verb: 'put'; key: string; value: string; cas?: number }
  | { verb: 'delete'; key: string; cas?: number }
  | { verb: 'check'; key: string; cas?: number; session?: string };

export interface Catalog {
  /** Which adapter this is (`embedded`, `consul`), for logs and status. */
  readonly kind: string;

  // --- sessions (liveness and locks) ---
  createSession(opts: SessionOptions): Promise<string>;
  /** Renews a session's TTL; resolves false when the session no longer exists (it expired). */
  renewSession(id: string): Promise<boolean>;
  destroySession(id: string): Promise<void>;

  // --- hosts ---
  /** Registers or updates a host, bound to a liveness session: when it expires the host is down. */
  registerHost(host: HostRecord, sessionId: string): Promise<void>;
  /** All hosts ever registered (until removed), alive or not. */
  listHosts(opts?: BlockingOptions): Promise<Indexed<HostStatus[]>>;
  removeHost(name: string): Promise<void>;

  // --- service instances ---
  /** Registers or replaces an instance (idempotent for an unchanged instance). */
  registerInstance(instance: ServiceInstance): Promise<void>;
  /** Removes an instance; removing an unknown ID is not an error. */
  deregisterInstance(id: string): Promise<void>;
  /** Sets an instance's health; rejects with code `not_found` for an unknown ID. */
  setHealth(id: string, health: Health): Promise<void>;
  /** Every instance of every service, any health; `host` narrows to one owner. */
  listInstances(opts?: BlockingOptions & { host?: string }): Promise<Indexed<ServiceInstance[]>>;
  /** The passing instances of one service. */
  healthyInstances(service: string, opts?: BlockingOptions): Promise<Indexed<ServiceInstance[]>>;
  /** Service names with the union of their instances' tags. */
  listServices(opts?: BlockingOptions): Promise<Indexed<Record<string, string[]>>>;

  // --- KV (scheduler state) ---
  kvGet(key: string, opts?: BlockingOptions): Promise<Indexed<KVEntry | undefined>>;
  /** Every entry whose key starts with `prefix`, sorted by key. */
  kvList(prefix: string, opts?: BlockingOptions): Promise<Indexed<KVEntry[]>>;
  /**
   * The index `kvList(prefix)` would answer, without reading the entries; with `index` it blocks
   * exactly like `kvList`. For callers that only need to learn *that* something under a prefix
   * changed (the scheduler's triggers): etcd counts the range instead of sending it, the embedded
   * store reads its table index; Consul has no such read and lists.
   */
  kvIndex(prefix: string, opts?: BlockingOptions): Promise<number>;
  /** Resolves false when a `cas`/`acquire` condition failed; nothing is written then. */
  kvPut(key: string, value: string, opts?: PutOptions): Promise<boolean>;
  /** Resolves false when a `cas` condition failed. */
  kvDelete(key: string, opts?: DeleteOptions): Promise<boolean>;
  /**
   * All or nothing: resolves true when every condition held and every write was applied at one
   * index, false when any condition failed (nothing written). At most `maxTxnOps` operations (a
   * `check` with both `cas` and `session` counts twice); a key may be written (put or deleted) only
   * once per transaction. Breaking either rule rejects with `bad_request` before anything is sent.
   */
  kvTxn(ops: TxnOp[]): Promise<boolean>;
  /** The most operations one `kvTxn` takes on this adapter (etcd 127, Consul 32, embedded 1024). */
  readonly maxTxnOps: number;

  // --- change feed ---
  /**
   * Follows hosts, instances and the KV under a prefix from an index, delivering what changed
   * (feed/types.ts). Optional so that test doubles of the port need not implement it: consumers call
   * `followCatalog()`, which falls back to blocking listings diffed on the client (what the Consul
   * adapter does anyway).
   */
  follow?: Follow;

  /** Stops timers and pending blocking reads; persists what must be persisted. */
  close(): Promise<void>;
}

/** Stable error codes of the catalog port; components branch on `code`, never on messages. */
export type CatalogErrorCode =
  | 'not_found'
  | 'session_invalid'
  | 'unavailable'
  | 'bad_request'
  | 'closed';

export class CatalogError extends Error {
  readonly code: CatalogErrorCode;
  constructor(code: CatalogErrorCode, message: string, options?: { cause?: unknown }) {
    super(`catalog: ${message}`, options);
    this.name = 'CatalogError';
    this.code = code;
  }
}

/** Key prefixes shared by the catalog's users, so no component invents its own layout. */
export const KV = {
  jobs: 'maestro/jobs/',
  allocations: 'maestro/allocs/',
  evaluations: 'maestro/evals/',
  schedulerLock: 'maestro/scheduler/leader',
} as const;
