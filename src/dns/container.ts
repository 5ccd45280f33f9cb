/**
 * Cluster DNS for containers: where the containers' listener goes (`--container-dns`), and what
 * scheduled containers are given as resolver and search domain. Pure: the caller binds and logs.
 *
 * By default (`auto`) the server also listens on the Docker bridge's gateway, port 53 — the address
 * every container on the default bridge reaches and nothing outside the host is routed to — and
 * forwards names outside the zone to the host's own resolvers, so one resolver answers both
 * `redis.service.cluster` and `example.com`. Docker's `--dns` takes addresses only, so containers
 * can be pointed at a listener only when it is on port 53 and off loopback (the host's loopback is
 * not the container's).
 */
import type { ContainerDnsMode, HostPort } from '../config/index.js';

export type { ContainerDnsMode } from '../config/index.js';

export interface ContainerDnsPlan {
  /** Bind a containers' listener here (forwarding to the host's resolvers); absent: none. */
  listen?: HostPort;
  /** Why there is none, for the log. */
  reason?: string;
}

const WILDCARDS = ['0.0.0.0', '::'];

/**
 * Where to bind the containers' listener. None when turned off, when there is no bridge gateway
 * (Docker without the default bridge, or a remote daemon reporting none), or when the main listener
 * already holds that port (`--dns-addr 172.17.0.1:53` or `0.0.0.0:53`: the address cannot be bound
 * twice, and the main listener then serves containers as it always did, without forwarding unless
 * `--dns-forward` is set).
 */
export function planContainerDns(mode: ContainerDnsMode, bridgeGateway: string | undefined, main: HostPort): ContainerDnsPlan {
  if (mode.kind === 'off') return { reason: 'turned off (--container-dns off)' };
  const addr = mode.kind === 'at' ? mode.addr : bridgeGateway ? { host: bridgeGateway, port: 53 } : undefined;
  if (!addr) return { reason: 'Docker reports no bridge gateway; give --container-dns ADDR to choose one' };
  if (main.port === addr.port && (main.host === addr.host || WILDCARDS.includes(main.host))) {
    return { reason: `the main listener (--dns-addr ${main.host}:${main.port}) already serves ${addr.host}:${addr.port}` };
  }
  return { listen: addr };
}

/** Why the containers' listener could not bind, in words, from the errno of the bind. */
export function bindProblem(code: string | undefined): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'taken (another maestro on this Docker daemon, systemd-resolved or dnsmasq?)';
    case 'EACCES':
      return 'port 53 needs root or CAP_NET_BIND_SERVICE';
    case 'EADDRNOTAVAIL':
      return 'not an address of this host (a remote Docker daemon?)';
    default:
      return code ?? 'cannot bind';
  }
}

/** The address Docker can give containers as `--dns`, or undefined: port 53 only, not loopback. */
export function resolverFor(addr: HostPort, containerFacing: string): string | undefined {
  if (addr.port !== 53 || addr.host.startsWith('127.') || addr.host === '::1') return undefined;
  return WILDCARDS.includes(addr.host) ? containerFacing : addr.host;
}

/**
 * What scheduled containers get: the containers' listener when it serves, else the main listener when
 * containers can use it, else nothing (Docker's default: the host's resolv.conf). The search domain
 * `service.<zone>` comes with it, so a bare `redis` resolves as in Kubernetes. ndots stays at the
 * resolver's default (1): bare names (no dot) try the search domain first, dotted ones go out as
 * written first — Kubernetes' ndots:5 would send every external name (`api.github.com`) through the
 * search list before the real query; `kafka-0.kafka` still resolves, after one miss upstream.
 */
export function containerResolver(
  served: HostPort | undefined,
  main: HostPort,
  containerFacing: string,
  zone: string,
): { dns: string[]; dnsSearch: string[] } | undefined {
  const resolver = (served && resolverFor(served, containerFacing)) ?? resolverFor(main, containerFacing);
  return resolver ? { dns: [resolver], dnsSearch: [`service.${zone}`] } : undefined;
}
