/**
 * Instances and hosts mirrored from the change feed: what DNS and the proxies serve from. Each
 * batch updates two maps in proportion to its size, so a busy catalog of 10,000 instances costs its
 * changes, not a listing (on the embedded store a listing of 10,000 instances is a sorted deep copy,
 * ~100 ms of the event loop, per change and per reader).
 */
import type { HostStatus, ServiceInstance } from '../types.js';
import type { Catalog } from '../types.js';
import { followCatalog, type FeedBatch } from './index.js';

/** A KV prefix no key has: the mirror follows hosts and instances only. */
const NO_KV = '\u0000';

export interface CatalogMirror {
  /** By instance ID, every health. */
  readonly instances: ReadonlyMap<string, ServiceInstance>;
  /** By host name. */
  readonly hosts: ReadonlyMap<string, HostStatus>;
  /** The catalog index the maps reflect. */
  readonly index: number;
}

export interface MirrorOptions {
  signal: AbortSignal;
  onError?: (err: unknown, attempt: number) => void;
}

/**
 * Follows the catalog until `signal` aborts; `onChange` runs after each batch that touched hosts or
 * instances (and after every reset), with the mirror and the batch. Never rejects for an outage.
 */
export function mirrorCatalog(catalog: Catalog, opts: MirrorOptions, onChange: (mirror: CatalogMirror, batch: FeedBatch) => void): Promise<void> {
  const instances = new Map<string, ServiceInstance>();
  const hosts = new Map<string, HostStatus>();
  const mirror = { instances, hosts, index: 0 };
  return followCatalog(catalog, { prefix: NO_KV, signal: opts.signal, onError: opts.onError }, (batch) => {
    mirror.index = batch.index;
    if (batch.reset) {
      instances.clear();
      hosts.clear();
    } else if (batch.instances.length === 0 && batch.hosts.length === 0) return;
    for (const c of batch.instances) {
      if (c.instance) instances.set(c.id, c.instance);
      else instances.delete(c.id);
    }
    for (const c of batch.hosts) {
      if (c.host) hosts.set(c.name, c.host);
      else hosts.delete(c.name);
    }
    onChange(mirror, batch);
  });
}
