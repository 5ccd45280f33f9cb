/**
 * The state view: one in-memory, indexed mirror of the cluster's shared state per process, kept
 * current by following the catalog from an index (a watch from a revision on etcd, the log index on
 * the embedded store, blocking reads on Consul). Every read in the API, the scheduler and the UI is
 * answered from it, never by listing the catalog per request — as Nomad's state store and Consul's
 * blocking queries do.
 *
 * Values handed out are shared and frozen by convention: callers never mutate them.
 */
import type { HostStatus, KVEntry, ServiceInstance } from '../catalog/types.js';
import type { AllocStatus, Allocation, Evaluation, JobRecord } from '../state/index.js';

/** What one catalog change touched, delivered to subscribers after the view has applied it. */
export interface ViewChange {
  /** The view's index after the change. */
  index: number;
  /**
   * True after a full re-sync (start, compacted revision, reconnect, an index that went backwards):
   * consumers must treat everything as changed. The sets below are then empty.
   */
  reset: boolean;
  /** Job names whose record (spec, count, stopped, version) changed or that were deleted. */
  jobs: ReadonlySet<string>;
  /** Job names whose allocations or allocation statuses changed. */
  allocJobs: ReadonlySet<string>;
  /** Host names whose record or liveness changed (appeared, went down, came back, removed). */
  hosts: ReadonlySet<string>;
  /** Service names whose instances changed. */
  services: ReadonlySet<string>;
  /** Raw KV keys that changed (for consumers of keys the typed indexes do not cover). */
  keys: ReadonlySet<string>;
}

export interface StateView {
  /** The catalog index the view reflects; 0 until the first sync. */
  readonly index: number;
  /** Resolves after the first full sync. */
  ready(): Promise<void>;

  // --- jobs ---
  job(name: string): JobRecord | undefined;
  /** Current (non-history) job records, by name order. */
  jobs(): readonly JobRecord[];

  // --- allocations and their statuses ---
  alloc(id: string): Allocation | undefined;
  allocsOfJob(job: string): readonly Allocation[];
  allocsOnHost(host: string): readonly Allocation[];
  allocs(): Iterable<Allocation>;
  status(allocId: string): AllocStatus | undefined;
  evaluation(job: string): Evaluation | undefined;

  // --- hosts and services ---
  host(name: string): HostStatus | undefined;
  hosts(): readonly HostStatus[];
  instancesOf(service: string): readonly ServiceInstance[];
  instances(): readonly ServiceInstance[];

  // --- raw KV (claims, volume homes, versions: what the typed indexes do not cover) ---
  /** The entry with its modifyIndex (for CAS), as of `index`. */
  kv(key: string): KVEntry | undefined;
  kvPrefix(prefix: string): readonly KVEntry[];

  /** Called after every applied change, in index order. Returns the unsubscribe function. */
  subscribe(listener: (change: ViewChange) => void): () => void;
  /**
   * Resolves with the view's index as soon as it is greater than `index`, or after `waitMs` with
   * the current index (a blocking query). Rejects only when `signal` aborts.
   */
  waitForIndex(index: number, waitMs: number, signal?: AbortSignal): Promise<number>;
  /** Stops following the catalog. */
  close(): Promise<void>;
}
