/**
 * The pure first half of the zone table: which names exist and what each one answers. No wire
 * format here; `table.ts` encodes it.
 *
 * Names are worked out per *owner* — the zone apex, one service (all its instances), one host — as
 * fragments keyed by name; a name's records are the merge of its owners' fragments. That is what
 * lets the table follow a busy catalog in proportion to what changed: a changed service replaces
 * its own fragments and only the names they touch are merged and encoded again (`builder.ts`).
 * Most names have one owner; PTR names, reverse zone apexes and empty non-terminals may have many.
 *
 * Zones served: `<zone>` itself, and the reverse zone `c.b.a.in-addr.arpa` (a /24) of every IPv4
 * address the catalog knows (every instance, whatever its health, and every host). Inside a reverse
 * zone a PTR for an address nobody holds is NXDOMAIN with that zone's SOA; outside them we are not
 * authoritative (REFUSED, or forwarded).
 */
import type { HostStatus, ServiceInstance } from '../catalog/types.js';
import { reverseName, reverseZoneName, validName, wireKey } from './wire.js';

export interface SrvTarget {
  port: number;
  /** Wire key of `<instance>.<svc>.service.<zone>`. */
  target: string;
  /** Address of that instance, served in the additional section. */
  address: string;
}

/**
 * What one name answers. A name with everything empty still exists (NODATA, not NXDOMAIN). Read-only
 * once made: the builder keeps tens of thousands of them (empty lists are one shared frozen array).
 */
export interface NameRecords {
  /** A and AAAA records, deduplicated, in catalog order. */
  readonly addresses: readonly string[];
  readonly srv: readonly SrvTarget[];
  /** PTR targets (wire keys). */
  readonly ptr: readonly string[];
  /** A zone apex (`<zone>` or a reverse zone): SOA and NS. */
  apex: boolean;
  /** Wire key of the apex of the zone the name is in (whose SOA its negative answers carry). */
  zone: string;
}

export interface ZoneSnapshot {
  zone: string;
  instances: readonly ServiceInstance[];
  hosts: readonly HostStatus[];
  /** Address of `ns.<zone>`, the apex NS target. */
  nsAddress: string;
}

export type NameMap = Map<string, NameRecords>;

/** NameRecords while a fragment is being put together. */
interface Building {
  addresses: string[];
  srv: SrvTarget[];
  ptr: string[];
  apex: boolean;
  zone: string;
}

const NONE: readonly never[] = Object.freeze([]);

/** `list` as kept: the shared empty array, or an exact-size copy (a pushed-to array keeps room for 17). */
function kept<T>(list: readonly T[]): readonly T[] {
  return list.length === 0 ? NONE : list.slice();
}

/**
 * The wire key of a reverse zone, one string per zone: every PTR name and apex of a /24 refers to its
 * zone, and a fresh key per record was ~20,000 copies of a few dozen strings at 10,000 instances.
 * Bounded (cleared when full) like the other memos.
 */
const reverseZoneKeys = new Map<string, string>();
function zoneKeyOf(reverseZone: string): string {
  let key = reverseZoneKeys.get(reverseZone);
  if (key === undefined) {
    if (reverseZoneKeys.size >= 4096) reverseZoneKeys.clear();
    reverseZoneKeys.set(reverseZone, (key = wireKey(reverseZone)));
  }
  return key;
}

/** The names one owner contributes to, with its part of their records. */
class Fragments {
  readonly names = new Map<string, Building>();
  readonly zoneKey: string;
  constructor(readonly zone: string) {
    this.zoneKey = wireKey(zone);
  }
  /** `dotted` is in `<zone>` unless its reverse zone is given. */
  at(dotted: string, reverseZone?: string): Building {
    const key = wireKey(dotted);
    let rec = this.names.get(key);
    if (!rec) this.names.set(key, (rec = { addresses: [], srv: [], ptr: [], apex: false, zone: reverseZone === undefined ? this.zoneKey : zoneKeyOf(reverseZone) }));
    return rec;
  }
  /** Every IPv4 address claims its /24, so a PTR for a neighbour nobody holds is NXDOMAIN, not REFUSED. */
  reverseApex(address: string): void {
    const rz = reverseZoneName(address);
    if (rz !== undefined) this.at(rz, rz).apex = true;
  }
  ptr(address: string, target: string): void {
    const rev = reverseName(address);
    if (rev) this.at(rev, reverseZoneName(address)).ptr.push(target);
  }
  /** Ancestors of in-zone names exist too (`service.<zone>`, `_tcp.service.<zone>`): NODATA, per RFC 8020. */
  done(): NameMap {
    const { names, zoneKey } = this;
    const out: NameMap = new Map();
    for (const [key, b] of names) {
      out.set(key, { addresses: kept(b.addresses), srv: kept(b.srv), ptr: kept(b.ptr), apex: b.apex, zone: b.zone });
    }
    for (const key of names.keys()) {
      if (!key.endsWith(zoneKey)) continue;
      for (let i = key.charCodeAt(0) + 1; key.length - i > zoneKey.length; i += key.charCodeAt(i) + 1) {
        const parent = key.slice(i);
        if (!out.has(parent)) out.set(parent, { addresses: NONE, srv: NONE, ptr: NONE, apex: false, zone: zoneKey });
      }
    }
    return out;
  }
}

/** The apex, `ns.<zone>` and what they imply. */
export function apexFragments(zone: string, nsAddress: string): NameMap {
  const f = new Fragments(zone);
  f.at(zone).apex = true;
  f.at(`ns.${zone}`).addresses.push(nsAddress);
  return f.done();
}

/** Everything one service (its DNS label `svc`) serves: `all` are its instances, any health. */
export function serviceFragments(zone: string, svc: string, all: readonly ServiceInstance[]): NameMap {
  const f = new Fragments(zone);
  for (const i of all) f.reverseApex(i.address);
  const base = `${svc}.service.${zone}`;
  // One target name and one SRV record per instance, shared by every name that lists it.
  const targets = new Map<ServiceInstance, string | undefined>();
  const target = (i: ServiceInstance) => {
    if (!targets.has(i)) {
      const name = label(i.name);
      targets.set(i, name === undefined ? undefined : wireKey(`${name}.${base}`));
    }
    return targets.get(i);
  };
  const srvs = new Map<ServiceInstance, SrvTarget>();
  const srvOf = (i: ServiceInstance, t: string) => srvs.get(i) ?? srvs.set(i, { port: i.port, target: t, address: i.address }).get(i)!;
  const serve = (dotted: string, set: readonly ServiceInstance[], withAddresses: boolean) => {
    const rec = f.at(dotted);
    for (const i of set) {
      if (i.health !== 'passing') continue;
      if (withAddresses) rec.addresses.push(i.address);
      const t = target(i);
      if (t !== undefined) rec.srv.push(srvOf(i, t));
    }
  };
  serve(base, all, true);
  serve(`_${svc}._tcp.service.${zone}`, all, false);
  // A label under <svc>.service is an instance name first, a tag second.
  const byName = groupBy(all, (i) => label(i.name));
  for (const [name, set] of byName) serve(`${name}.${base}`, set, true);
  const tags = new Set(all.flatMap((i) => i.tags.map(label)).filter((t): t is string => t !== undefined));
  for (const tag of tags) {
    const tagged = all.filter((i) => i.tags.some((t) => label(t) === tag));
    if (!byName.has(tag)) serve(`${tag}.${base}`, tagged, true);
    if (tag !== 'tcp') serve(`_${svc}._${tag}.service.${zone}`, tagged, false);
  }
  for (const i of all) {
    const t = target(i);
    if (i.health === 'passing' && t !== undefined) f.ptr(i.address, t);
  }
  return f.done();
}

/** `<host>.node.<zone>`, its PTR and reverse zone; nothing for a name that is not a valid DNS name. */
export function hostFragments(zone: string, host: Pick<HostStatus, 'name' | 'address'>): NameMap {
  const f = new Fragments(zone);
  f.reverseApex(host.address);
  const name = host.name.toLowerCase();
  if (validName(name)) {
    const dotted = `${name}.node.${zone}`;
    f.at(dotted).addresses.push(host.address);
    f.ptr(host.address, wireKey(dotted));
  }
  return f.done();
}

/**
 * PTR targets served per address name. With published ports every instance of a host shares the
 * host's address, so its PTR name would list thousands of targets, re-encoded at each change of any
 * of them. RFC 1035 sets no limit and NSD/Knot serve what the zone holds, but a zone file never
 * holds 10,000 PTRs for one address; CoreDNS's kubernetes plugin answers one name per pod IP. 32
 * keeps the first targets (the host's own node name first), an answer of ~2 KB (TCP, or EDNS, or
 * truncated to what fits with TC over 512-byte UDP), and a change to the 33rd instance costs nothing.
 */
export const PTR_MAX = 32;

/**
 * One name's records from all its owners' fragments, deduplicated; PTR targets capped at `PTR_MAX`.
 * A lone fragment with nothing to drop is returned as it is (most names have one owner): the entry
 * built from it keeps it to compare with the next build, sharing it with the builder.
 */
export function mergeRecords(list: readonly NameRecords[]): NameRecords {
  if (list.length === 0) throw new Error('mergeRecords: no fragment');
  const first = list[0]!;
  // Loops rather than flatMap/filter: an address shared by hundreds of instances has as many
  // fragments, and a change to any of them merges them all again.
  const addresses: string[] = [];
  const seenAddresses = new Set<string>();
  const srv: SrvTarget[] = [];
  const seenSrv = new Set<string>();
  // A shared address may have thousands of owners: stop at PTR_MAX distinct targets.
  const targets = new Set<string>();
  let apex = false;
  for (const p of list) {
    for (const a of p.addresses) {
      if (seenAddresses.has(a)) continue;
      seenAddresses.add(a);
      addresses.push(a);
    }
    for (const t of p.srv) {
      const key = `${t.port} ${t.target} ${t.address}`;
      if (seenSrv.has(key)) continue;
      seenSrv.add(key);
      srv.push(t);
    }
    for (const t of p.ptr) {
      if (targets.size >= PTR_MAX) break;
      targets.add(t);
    }
    apex ||= p.apex;
  }
  if (list.length === 1 && addresses.length === first.addresses.length && srv.length === first.srv.length && targets.size === first.ptr.length) return first;
  return { addresses: kept(addresses), srv: kept(srv), ptr: kept([...targets]), apex, zone: first.zone };
}

/** True when `a` and `b` answer the same (same records in the same order). */
export function sameRecords(a: NameRecords, b: NameRecords): boolean {
  if (a === b) return true;
  if (a.apex !== b.apex || a.zone !== b.zone || a.addresses.length !== b.addresses.length || a.srv.length !== b.srv.length || a.ptr.length !== b.ptr.length) return false;
  for (let i = 0; i < a.addresses.length; i++) if (a.addresses[i] !== b.addresses[i]) return false;
  for (let i = 0; i < a.ptr.length; i++) if (a.ptr[i] !== b.ptr[i]) return false;
  for (let i = 0; i < a.srv.length; i++) {
    const x = a.srv[i]!;
    const y = b.srv[i]!;
    if (x !== y && (x.port !== y.port || x.target !== y.target || x.address !== y.address)) return false;
  }
  return true;
}

/** Instances by the DNS label of their service (instances whose service has no valid label are skipped). */
export function byServiceLabel(instances: readonly ServiceInstance[], labelOf: (service: string) => string | undefined = label): Map<string, ServiceInstance[]> {
  return groupBy(instances, (i) => labelOf(i.service));
}

/** Builds the whole name → records map of one snapshot (cold; `builder.ts` follows changes). */
export function zoneNames(snap: ZoneSnapshot): NameMap {
  const zone = snap.zone.replace(/\.+$/, '').toLowerCase();
  // Hosts first: a shared address's capped PTR list starts with the host's own name (as builder.ts).
  const owners: NameMap[] = [apexFragments(zone, snap.nsAddress)];
  for (const h of snap.hosts) owners.push(hostFragments(zone, h));
  for (const [svc, all] of byServiceLabel(snap.instances)) owners.push(serviceFragments(zone, svc, all));
  const parts = new Map<string, NameRecords[]>();
  for (const o of owners) for (const [key, rec] of o) (parts.get(key) ?? parts.set(key, []).get(key)!).push(rec);
  return new Map([...parts].map(([key, recs]) => [key, mergeRecords(recs)]));
}

/** A catalog string as one DNS label (other characters become `-`), or undefined when nothing is left. */
export function label(text: string): string | undefined {
  const l = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return l === '' ? undefined : l;
}

function groupBy<T>(items: readonly T[], keyOf: (t: T) => string | undefined): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = keyOf(item);
    if (k === undefined) continue;
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
