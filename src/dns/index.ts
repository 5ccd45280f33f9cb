/**
 * The DNS component: an authoritative server for the cluster zone, answering from a pre-encoded
 * table that catalog watches rebuild and swap on every change (never a catalog call per query).
 */
import type { Catalog } from '../catalog/types.js';
import type { HostPort } from '../config/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { nativeStatus } from '../native/index.js';
import { Zone } from './handler.js';
import { DnsMetrics, type DnsMetricsSnapshot } from './metrics.js';
import { followCatalog } from './follow.js';
import type { ZoneTable } from './table.js';
import { DnsError, listen, type Listeners, type TcpLimits, type UdpIo } from './transport.js';
import { wireKey } from './wire.js';

export { answer, FORWARD, type AnswerContext } from './answer.js';
export { buildTable, describeTable, type ZoneTable, type TableOptions } from './table.js';
export { DnsMetrics, type DnsMetricsSnapshot } from './metrics.js';
export { DnsError, DEFAULT_TCP_LIMITS, type TcpLimits, type UdpIo } from './transport.js';

export interface DnsServerOptions {
  catalog: Catalog;
  /** Default `cluster`. */
  zone?: string;
  /** Record TTL and SOA minimum, seconds; default 5. */
  ttl?: number;
  /** UDP and TCP listen address; port 0 picks a free port (see `address()`). Default 127.0.0.1:8600. */
  addr?: HostPort;
  /** Upstreams for out-of-zone names; empty or absent → REFUSED. */
  forward?: readonly HostPort[];
  /** Per upstream attempt; default 2000 ms. */
  forwardTimeoutMs?: number;
  /** Address of `ns.<zone>`; default the listen host, or 127.0.0.1 for a wildcard bind. */
  nsAddress?: string;
  /**
   * UDP I/O: `auto` (default) uses the udp-batch addon (recvmmsg/sendmmsg) when it is built, else
   * Node's dgram; `node` forces dgram.
   */
  udpIo?: 'auto' | 'node';
  /** DNS over TCP limits; each field defaults to DEFAULT_TCP_LIMITS (100 connections, 10 s idle, …). */
  tcp?: Partial<TcpLimits>;
  logger?: Logger;
}

export interface DnsServer {
  /** The bound address (UDP and TCP share the port). */
  address(): HostPort;
  /** Which UDP path serves: `native` (udp-batch addon) or `node` (dgram). */
  readonly udpIo: UdpIo;
  /** Resolves once the first table is built from both catalog reads. */
  synced(): Promise<void>;
  /** The current table; undefined before the first sync. */
  table(): ZoneTable | undefined;
  /** Counters of every listener together. */
  metrics(): DnsMetricsSnapshot;
  /**
   * Serves the same zone on another address with its own upstreams for out-of-zone names (empty:
   * REFUSED): the containers' resolver on the Docker bridge (see container.ts). Resolves with the
   * bound address; rejects with DnsError `bind_failed` (e.g. EADDRINUSE) and serves nothing new then.
   */
  addListener(addr: HostPort, forward: readonly HostPort[]): Promise<HostPort>;
  /** Closes every listener. */
  stop(): Promise<void>;
}

export async function startDnsServer(opts: DnsServerOptions): Promise<DnsServer> {
  const log = opts.logger ?? silentLogger;
  const zone = (opts.zone ?? 'cluster').replace(/\.+$/, '').toLowerCase();
  const ttl = opts.ttl ?? 5;
  const addr = opts.addr ?? { host: '127.0.0.1', port: 8600 };
  const upstreams = opts.forward ?? [];
  const forwardTimeoutMs = opts.forwardTimeoutMs ?? 2_000;
  const metrics = new DnsMetrics();
  const shared = new Zone(wireKey(zone), metrics, forwardTimeoutMs);
  const listenOpts = { udpIo: opts.udpIo ?? 'auto', tcp: opts.tcp } as const;
  const listeners = await listen(addr, shared.handler(upstreams), log, listenOpts);
  const extra: Listeners[] = [];
  let stopped = false;
  const nsAddress = opts.nsAddress ?? (['0.0.0.0', '::'].includes(listeners.address.host) ? '127.0.0.1' : listeners.address.host);

  const abort = new AbortController();
  const synced = followCatalog(opts.catalog, { zone, ttl, nsAddress, shared, metrics, log, signal: abort.signal });
  // Which UDP path serves, and why not the native one when it was wanted but did not load.
  const nativeMissing = listeners.udpIo === 'node' && opts.udpIo !== 'node' ? nativeStatus().missing['udp-batch'] : undefined;
  log.info({ udp: listeners.address, tcp: listeners.address, udpIo: listeners.udpIo, tcpIo: listeners.tcpIo, nativeMissing, zone, forward: upstreams }, 'dns server listening');

  return {
    address: () => ({ ...listeners.address }),
    udpIo: listeners.udpIo,
    synced: () => synced,
    table: () => shared.table(),
    metrics: () => {
      const all = [listeners, ...extra];
      const udp = all.map((l) => l.udpStats());
      const tcp = all.map((l) => l.tcpStats());
      const sum = <T>(xs: T[], f: (x: T) => number) => xs.reduce((n, x) => n + f(x), 0);
      return metrics.snapshot(
        { sendDropped: sum(udp, (u) => u.sendDropped), oversize: sum(udp, (u) => u.oversize) },
        { connections: sum(tcp, (c) => c.connections), rejected: sum(tcp, (c) => c.rejected) },
      );
    },
    addListener: async (at, forwardTo) => {
      if (stopped) throw new DnsError('bind_failed', 'the server is stopped');
      const more = await listen(at, shared.handler(forwardTo), log, listenOpts);
      if (stopped) {
        await more.close();
        throw new DnsError('bind_failed', 'the server stopped while binding');
      }
      extra.push(more);
      log.info({ udp: more.address, tcp: more.address, udpIo: more.udpIo, tcpIo: more.tcpIo, zone, forward: forwardTo }, 'dns server listening');
      return { ...more.address };
    },
    stop: async () => {
      stopped = true;
      abort.abort();
      await Promise.all([listeners, ...extra].map((l) => l.close()));
    },
  };
}
