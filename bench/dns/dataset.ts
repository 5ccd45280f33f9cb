/**
 * The benchmark's cluster, rendered three ways from one source: catalog data for Maestro, an RFC 1035
 * zone file for NSD (from the same name map Maestro's table is built from), and a dnsperf query file.
 */
import type { HostStatus, ServiceInstance } from '../../src/catalog/types.js';
import { zoneNames } from '../../src/dns/names.js';
import { dottedFromKey } from '../../src/dns/wire.js';

export interface Dataset {
  instances: ServiceInstance[];
  hosts: HostStatus[];
}

export function dataset(services: number, perService: number, hosts: number): Dataset {
  const hostList: HostStatus[] = Array.from({ length: hosts }, (_, h) => ({
    name: `node-${h}`,
    address: `192.168.${h >> 8}.${h & 255}`,
    alive: true,
    meta: {},
    capacity: { cpu: 4000, memory: 8192 },
  }));
  const instances: ServiceInstance[] = [];
  for (let s = 0; s < services; s++) {
    for (let i = 0; i < perService; i++) {
      const host = hostList[(s + i) % hosts]!;
      instances.push({
        id: `${host.name}:c${s}-${i}:8080`,
        service: `svc${s}`,
        name: `svc${s}-${i}`,
        host: host.name,
        address: `10.${s >> 8}.${s & 255}.${i + 1}`,
        port: 20_000 + i,
        tags: i === 0 ? ['primary'] : ['replica'],
        meta: {},
        health: 'passing',
      });
    }
  }
  return { instances, hosts: hostList };
}

/** The same names and records as Maestro's table, as a zone file (PTR names live elsewhere; skipped). */
export function zoneFile(data: Dataset, zone: string, ttl: number): string {
  const lines = [`$ORIGIN ${zone}.`, `$TTL ${ttl}`, `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 3600 600 86400 ${ttl}`, `@ IN NS ns.${zone}.`];
  for (const [key, rec] of zoneNames({ zone, ...data, nsAddress: '127.0.0.1' })) {
    const name = `${dottedFromKey(key)}.`;
    if (!name.endsWith(`${zone}.`)) continue;
    for (const a of rec.addresses) lines.push(`${name} IN ${a.includes(':') ? 'AAAA' : 'A'} ${a}`);
    for (const s of rec.srv) lines.push(`${name} IN SRV 1 1 ${s.port} ${dottedFromKey(s.target)}.`);
  }
  return `${lines.join('\n')}\n`;
}

/** A query mix: service A (most traffic), SRV, per-instance, tag, node and a few NXDOMAIN names. */
export function queryFile(data: Dataset, zone: string): string {
  const lines: string[] = [];
  const services = [...new Set(data.instances.map((i) => i.service))];
  for (const svc of services) {
    lines.push(`${svc}.service.${zone} A`, `${svc}.service.${zone} A`, `${svc}.service.${zone} A`);
    lines.push(`_${svc}._tcp.service.${zone} SRV`, `primary.${svc}.service.${zone} A`);
  }
  for (const i of data.instances) lines.push(`${i.name}.${i.service}.service.${zone} A`);
  for (const h of data.hosts) lines.push(`${h.name}.node.${zone} A`);
  for (let n = 0; n < 10; n++) lines.push(`missing${n}.service.${zone} A`);
  return `${lines.join('\n')}\n`;
}
