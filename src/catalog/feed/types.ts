/**
 * The catalog's change feed: follow the shared state from an index and receive what changed, in
 * batches proportional to the change — not the whole state per read. Each adapter maps it onto its
 * store's own primitive (README.md beside this file): etcd a watch from a revision, the embedded
 * store its in-memory log of recent records, Consul (which has no delta API) blocking listings diffed
 * on the client.
 */
import type { HostStatus, KVEntry, ServiceInstance } from '../types.js';

/** A KV key put (`entry`, with its modifyIndex) or deleted (`entry` absent). */
export interface KvChange {
  key: string;
  entry?: KVEntry;
}

/** A host registered or changed (`host`, with its liveness) or removed (`host` absent). */
export interface HostChange {
  name: string;
  host?: HostStatus;
}

/** An instance registered or changed (`instance`) or gone (absent: deregistered, or its lease ended). */
export interface InstanceChange {
  id: string;
  instance?: ServiceInstance;
}

/**
 * What changed, as one unit: a consumer applies a batch whole, so a reader never sees half of one
 * catalog write (an etcd txn's keys arrive in one batch, an embedded record likewise).
 *
 * `reset` batches carry the whole state instead (every KV entry under the followed prefix, every
 * host, every instance): the consumer replaces what it holds. They come first (from index 0), and
 * again whenever changes since the consumer's index can no longer be told (etcd compacted that
 * revision, the embedded log no longer holds it, the store's index went backwards) or a reconnect
 * may have lost some.
 */
export interface FeedBatch {
  /** The catalog index after the batch; non-decreasing between resets. */
  index: number;
  reset: boolean;
  kv: KvChange[];
  hosts: HostChange[];
  instances: InstanceChange[];
}

export interface FollowOptions {
  /** KV keys under this prefix are followed (`maestro/`); hosts and instances always are. */
  prefix: string;
  /** Deliver what changed after this index; 0 or absent starts with a reset batch. */
  from?: number;
  /** Aborting ends the feed: `follow` then resolves. */
  signal: AbortSignal;
  /** Told about every failure while the feed retries (it never gives up before `signal` aborts). */
  onError?: (err: unknown, attempt: number) => void;
}

/**
 * Delivers batches to `onBatch` in index order until `signal` aborts; never rejects for a store
 * outage (it retries with back-off, then resumes or resets). `onBatch` is called synchronously with
 * no other batch in flight.
 */
export type Follow = (opts: FollowOptions, onBatch: (batch: FeedBatch) => void) => Promise<void>;

export function emptyBatch(index: number, reset: boolean): FeedBatch {
  return { index, reset, kv: [], hosts: [], instances: [] };
}

export function batchSize(b: FeedBatch): number {
  return b.kv.length + b.hosts.length + b.instances.length;
}
