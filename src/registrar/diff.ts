/**
 * What must be written to make the catalog equal to what runs: pure, so an in-sync pass provably
 * writes nothing (Registrator re-registered everything on every resync).
 */
import type { ServiceInstance } from '../catalog/types.js';

export interface Diff {
  /** New instances, or ones whose address, port, name, tags or metadata changed. */
  register: ServiceInstance[];
  /** IDs present in the catalog that nothing running accounts for. */
  deregister: string[];
  /** Instances equal in all but health: a `setHealth` is enough. */
  health: ServiceInstance[];
}

export function diff(desired: readonly ServiceInstance[], current: readonly ServiceInstance[]): Diff {
  const have = new Map(current.map((i) => [i.id, i]));
  const want = new Set(desired.map((i) => i.id));
  const out: Diff = { register: [], deregister: [], health: [] };
  for (const d of desired) {
    const c = have.get(d.id);
    if (!c || !sameButHealth(d, c)) out.register.push(d);
    else if (c.health !== d.health) out.health.push(d);
  }
  for (const c of current) if (!want.has(c.id)) out.deregister.push(c.id);
  return out;
}

export function isEmpty(d: Diff): boolean {
  return d.register.length === 0 && d.deregister.length === 0 && d.health.length === 0;
}

/** Equal in everything but health; tag order does not matter (a backend may reorder tags). */
export function sameButHealth(a: ServiceInstance, b: ServiceInstance): boolean {
  return (
    a.id === b.id &&
    a.service === b.service &&
    a.name === b.name &&
    a.host === b.host &&
    a.address === b.address &&
    a.port === b.port &&
    sameSet(a.tags, b.tags) &&
    sameRecord(a.meta, b.meta)
  );
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

function sameRecord(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}
