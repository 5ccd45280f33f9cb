/**
 * The DNS names that answer for a service and the `dig` lines a user copies (pure), as the DNS
 * server serves them (src/dns/README.md): `<svc>.service.<zone>` (A/AAAA, and SRV with per-instance
 * targets), `_<svc>._tcp.service.<zone>` (RFC 2782 SRV), `<tag>.<svc>.service.<zone>` and
 * `<instance>.<svc>.service.<zone>`.
 */

export interface DnsName {
  name: string;
  type: 'A' | 'SRV';
  /** What the name is, in words. */
  what: string;
}

export interface ServiceLike {
  name: string;
  tags: string[];
  instances: Array<{ name: string }>;
}

/** DNS names are case-insensitive and served lowercase. */
const lower = (s: string): string => s.toLowerCase();

export function serviceNames(svc: ServiceLike, zone: string): DnsName[] {
  const base = `${lower(svc.name)}.service.${zone}`;
  const names: DnsName[] = [
    { name: base, type: 'A', what: 'addresses of the healthy instances' },
    { name: base, type: 'SRV', what: 'ports, with per-instance names as targets' },
    { name: `_${lower(svc.name)}._tcp.service.${zone}`, type: 'SRV', what: 'RFC 2782 form' },
  ];
  for (const tag of [...new Set(svc.tags.map(lower))].sort()) names.push({ name: `${tag}.${base}`, type: 'A', what: `instances tagged ${tag}` });
  for (const inst of [...new Set(svc.instances.map((i) => lower(i.name)))].sort()) names.push({ name: `${inst}.${base}`, type: 'A', what: `instance ${inst}` });
  return names;
}

/** Server and port of `host:port` / `[v6]:port`; a wildcard bind is asked on loopback. */
export function dnsServer(addr: string | undefined): { host: string; port: number } {
  const m = addr ? /^\[([^\]]+)\]:(\d+)$|^([^:]+):(\d+)$/.exec(addr) : null;
  if (!m) return { host: '127.0.0.1', port: 8600 };
  let host = (m[1] ?? m[3])!;
  if (host === '0.0.0.0') host = '127.0.0.1';
  if (host === '::') host = '::1';
  return { host, port: Number(m[2] ?? m[4]) };
}

/** A word as the shell reads it: as is when it is plainly safe, else single-quoted. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9._:@\/+=-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** `dig @host -p port name TYPE` (port left out when 53), ready to paste into a shell. */
export function digLine(name: DnsName, server: { host: string; port: number }): string {
  const words = ['dig', `@${server.host}`, ...(server.port === 53 ? [] : ['-p', String(server.port)]), name.name, name.type];
  return words.map(shellWord).join(' ');
}
