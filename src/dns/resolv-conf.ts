/**
 * The host's own resolvers, read from its resolv.conf (resolv.conf(5), as glibc reads it): where the
 * containers' listener forwards names outside the zone. Loopback resolvers (systemd-resolved's
 * 127.0.0.53, a local dnsmasq) are kept: the forwarder runs on the host, so it reaches them — unlike
 * the containers, which is why they cannot be handed to containers directly.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { HostPort } from '../config/index.js';

/** glibc's MAXNS: further `nameserver` lines are ignored. */
const MAX_NAMESERVERS = 3;

/**
 * The `nameserver` addresses, port 53, in file order, at most three. Lines starting with `#` or `;`
 * are comments; a value that is not an IP address (glibc's inet_pton test) is skipped; a zone
 * index (`fe80::1%eth0`) is kept, Node's sockets honour it. No nameserver at all means the local
 * one, 127.0.0.1, as glibc assumes.
 */
export function parseResolvConf(text: string): HostPort[] {
  const out: HostPort[] = [];
  for (const raw of text.split('\n')) {
    const [keyword, value] = raw.trim().split(/\s+/);
    if (keyword !== 'nameserver' || value === undefined) continue;
    if (isIP(value.split('%')[0]!) === 0) continue;
    if (out.length < MAX_NAMESERVERS) out.push({ host: value, port: 53 });
  }
  return out.length > 0 ? out : [{ host: '127.0.0.1', port: 53 }];
}

/**
 * Drops the upstreams that are this server itself (`self`: its own listen addresses): forwarding to
 * ourselves would loop until every hop timed out. A wildcard listener on port 53 is every local
 * address (`local`).
 */
export function withoutSelf(upstreams: readonly HostPort[], self: readonly HostPort[], local: ReadonlySet<string>): HostPort[] {
  const isSelf = (u: HostPort) =>
    self.some((s) => s.port === u.port && (s.host === u.host || (['0.0.0.0', '::'].includes(s.host) && (local.has(u.host) || u.host.startsWith('127.')))));
  return upstreams.filter((u) => !isSelf(u));
}

/** Reads and parses `path`; throws the read error (the caller warns and forwards nowhere). */
export function readResolvConf(path: string): HostPort[] {
  return parseResolvConf(readFileSync(path, 'utf8'));
}
