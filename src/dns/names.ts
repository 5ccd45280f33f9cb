/**
 * The pure first half of the zone table: which names exist and what each one answers, worked out
 * from one catalog snapshot. No wire format here; `table.ts` encodes it.
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

/** What one name answers. A name with everything empty still exists (NODATA, not NXDOMAIN). */
export interface NameRecords {
  /** A and AAAA records, deduplicated, in catalog order. */
  addresses: string[];
  srv: SrvTarget[];
  /** PTR targets (wire keys). */
  ptr: string[];
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

/** Builds the name → records map. Names that are not valid DNS labels are skipped, never fatal. */
export function zoneNames(snap: ZoneSnapshot): NameMap {
  const zone = snap.zone.replace(/\.+$/, '').toLowerCase();
  const zoneKey = wireKey(zone);
  const names: NameMap = new Map();
  /** `dotted` is in `<zone>` unless its reverse zone is given. */
  const at = (dotted: string, reverseZone?: string): NameRecords => {
    const key = wireKey(dotted);
    let rec = names.get(key);
    if (!rec) names.set(key, (rec = { addresses: [], srv: [], ptr: [], apex: false, zone: reverseZone === undefined ? zoneKey : wireKey(reverseZone) }));
    return rec;
  };
  const ptr = (address: string, target: string) => {
    const rev = reverseName(address);
    if (rev) at(rev, reverseZoneName(address)).ptr.push(target);
  };

  at(zone).apex = true;
  // Every IPv4 address the catalog knows claims its /24, so a PTR for a neighbouring address that
  // nobody holds (or an instance that is down) is a proper NXDOMAIN, not REFUSED.
  for (const a of [...snap.instances.map((i) => i.address), ...snap.hosts.map((h) => h.address)]) {
    const rz = reverseZoneName(a);
    if (rz !== undefined) at(rz, rz).apex = true;
  }
  at(`ns.${zone}`).addresses.push(snap.nsAddress);

  const byService = new Map<string, ServiceInstance[]>();
  for (const inst of snap.instances) {
    const svc = label(inst.service);
    if (svc === undefined) continue;
    let list = byService.get(svc);
    if (!list) byService.set(svc, (list = []));
    list.push(inst);
  }

  for (const [svc, all] of byService) {
    const base = `${svc}.service.${zone}`;
    const targets = new Map<ServiceInstance, string | undefined>();
    const target = (i: ServiceInstance) => {
      if (!targets.has(i)) {
        const name = label(i.name);
        targets.set(i, name === undefined ? undefined : wireKey(`${name}.${base}`));
      }
      return targets.get(i);
    };
    const serve = (dotted: string, set: ServiceInstance[], withAddresses: boolean) => {
      const rec = at(dotted);
      for (const i of set) {
        if (i.health !== 'passing') continue;
        if (withAddresses) rec.addresses.push(i.address);
        const t = target(i);
        if (t !== undefined) rec.srv.push({ port: i.port, target: t, address: i.address });
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
      if (i.health === 'passing' && t !== undefined) ptr(i.address, t);
    }
  }

  for (const host of snap.hosts) {
    const name = host.name.toLowerCase();
    if (!validName(name)) continue;
    const dotted = `${name}.node.${zone}`;
    at(dotted).addresses.push(host.address);
    ptr(host.address, wireKey(dotted));
  }

  for (const rec of names.values()) {
    rec.addresses = [...new Set(rec.addresses)];
    rec.ptr = [...new Set(rec.ptr)];
    rec.srv = uniqueBy(rec.srv, (s) => `${s.port} ${s.target} ${s.address}`);
  }
  addEmptyNonTerminals(names, zoneKey);
  return names;
}

/** Ancestors of in-zone names exist too (`service.<zone>`, `_tcp.service.<zone>`): NODATA, per RFC 8020. */
function addEmptyNonTerminals(names: NameMap, zoneKey: string): void {
  for (const key of [...names.keys()]) {
    if (!key.endsWith(zoneKey)) continue;
    for (let i = key.charCodeAt(0) + 1; key.length - i > zoneKey.length; i += key.charCodeAt(i) + 1) {
      const parent = key.slice(i);
      if (!names.has(parent)) names.set(parent, { addresses: [], srv: [], ptr: [], apex: false, zone: zoneKey });
    }
  }
}

/** A catalog string as one DNS label (other characters become `-`), or undefined when nothing is left. */
function label(text: string): string | undefined {
  const l = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .slice(0, 63)
    .replace(/^-+|-+$/g, '');
  return l === '' ? undefined : l;
}

function groupBy<T>(items: T[], keyOf: (t: T) => string | undefined): Map<string, T[]> {
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

function uniqueBy<T>(items: T[], keyOf: (t: T) => string): T[] {
  const seen = new Set<string>();
  return items.filter((t) => !seen.has(keyOf(t)) && seen.add(keyOf(t)) !== undefined);
}
