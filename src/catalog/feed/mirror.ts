/**
 * Instances and hosts mirrored from the change feed: what DNS and the proxies serve from. Each
 * batch updates the maps in proportion to its size, so a busy catalog of 10,000 instances costs its
 * changes, not a listing (on the embedded store a listing of 10,000 instances is a sorted deep copy,
 * ~100 ms of the event loop, per change and per reader).
 *
 * Instances are also kept by group (the consumer's choice: the proxy's service name, DNS's service
 * label), and the groups and hosts a batch touched are remembered until the consumer takes them:
 * a consumer rebuilds exactly those, never walking the 10,000 instances to find what changed.
 */
import type { HostStatus, ServiceInstance } from '../types.js';
import type { Catalog } from '../types.js';
import { followCatalog, type FeedBatch } from './index.js';

/** A KV prefix no key has: the mirror follows hosts and instances only. */
const NO_KV = '\u0000';

/** What changed since the consumer last asked. */
export interface MirrorChanges {
  /** A reset batch came: the whole state was replaced (every group and host before and after is listed). */
  reset: boolean;
  groups: ReadonlySet<string>;
  hosts: ReadonlySet<string>;
}

export interface CatalogMirror {
  /** By instance ID, every health. */
  readonly instances: ReadonlyMap<string, ServiceInstance>;
  /** Group → instance ID → instance, in catalog order; a group with no instance is absent. */
  readonly groups: ReadonlyMap<string, ReadonlyMap<string, ServiceInstance>>;
  /** By host name. */
  readonly hosts: ReadonlyMap<string, HostStatus>;
  /** The catalog index the maps reflect. */
  readonly index: number;
  /** The groups and hosts touched since the last call; the next call starts afresh. */
  takeChanges(): MirrorChanges;
}

export interface MirrorOptions {
  signal: AbortSignal;
  onError?: (err: unknown, attempt: number) => void;
  /** The group of an instance (undefined: in none); default its service name. Must be pure. */
  groupOf?: (instance: ServiceInstance) => string | undefined;
}

/**
 * Follows the catalog until `signal` aborts; `onChange` runs after each batch that touched hosts or
 * instances (and after every reset), with the mirror and the batch. Never rejects for an outage.
 */
export function mirrorCatalog(catalog: Catalog, opts: MirrorOptions, onChange: (mirror: CatalogMirror, batch: FeedBatch) => void): Promise<void> {
  const groupOf = opts.groupOf ?? ((i: ServiceInstance) => i.service);
  const instances = new Map<string, ServiceInstance>();
  const groups = new Map<string, Map<string, ServiceInstance>>();
  const hosts = new Map<string, HostStatus>();
  let dirty: MirrorChanges & { groups: Set<string>; hosts: Set<string> } = { reset: false, groups: new Set(), hosts: new Set() };
  const mirror: CatalogMirror = {
    instances,
    groups,
    hosts,
    index: 0,
    takeChanges() {
      const taken = dirty;
      dirty = { reset: false, groups: new Set(), hosts: new Set() };
      return taken;
    },
  };
  const remove = (old: ServiceInstance, id: string) => {
    const g = groupOf(old);
    if (g === undefined) return;
    const members = groups.get(g);
    members?.delete(id);
    if (members?.size === 0) groups.delete(g);
    dirty.groups.add(g);
  };
  const put = (inst: ServiceInstance, id: string) => {
    const g = groupOf(inst);
    if (g === undefined) return;
    const members = groups.get(g);
    if (members) members.set(id, inst);
    else groups.set(g, new Map([[id, inst]]));
    dirty.groups.add(g);
  };
  return followCatalog(catalog, { prefix: NO_KV, signal: opts.signal, onError: opts.onError }, (batch) => {
    (mirror as { index: number }).index = batch.index;
    if (batch.reset) {
      // What vanishes in a reset must be rebuilt (as gone) too.
      for (const g of groups.keys()) dirty.groups.add(g);
      for (const h of hosts.keys()) dirty.hosts.add(h);
      dirty.reset = true;
      instances.clear();
      groups.clear();
      hosts.clear();
    } else if (batch.instances.length === 0 && batch.hosts.length === 0) return;
    for (const c of batch.instances) {
      const old = instances.get(c.id);
      // Same group: replaced in place, so the group keeps its catalog order.
      if (old && !(c.instance && groupOf(old) === groupOf(c.instance))) remove(old, c.id);
      if (c.instance) {
        instances.set(c.id, c.instance);
        put(c.instance, c.id);
      } else instances.delete(c.id);
    }
    for (const c of batch.hosts) {
      if (c.host) hosts.set(c.name, c.host);
      else hosts.delete(c.name);
      dirty.hosts.add(c.name);
    }
    onChange(mirror, batch);
  });
}
