/**
 * The DNS component: an authoritative server for the cluster zone, answering from a pre-encoded
 * table that catalog watches rebuild and swap on every change (never a catalog call per query).
 */
import type { Catalog, HostStatus, ServiceInstance } from '../catalog/types.js';
import { watch } from '../catalog/watch.js';
import type { HostPort } from '../config/index.js';
import { silentLogger, type Logger } from '../log/index.js';
import { nativeStatus } from '../native/index.js';
import { answer, fitForwarded, FORWARD, servfail, type AnswerContext } from './answer.js';
import { forward } from './forward.js';
import { DnsMetrics, type DnsMetricsSnapshot } from './metrics.js';
import { buildTable, type ZoneTable } from './table.js';
import { listen, type TcpLimits, type UdpIo } from './transport.js';
import { wireKey } from './wire.js';

export { answer, FORWARD, type AnswerContext } from './answer.js';
export { buildTable, describeTable, type ZoneTable, type TableOptions } from './table.js';
export { DnsMetrics, type DnsMetricsSnapshot } from './metrics.js';
export { DnsError, DEFAULT_TCP_LIMITS, type TcpLimits, type UdpIo } from './transport.js';

const REBUILD_MIN_MS = 50;
const MAX_FORWARDS_IN_FLIGHT = 512;

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
  metrics(): DnsMetricsSnapshot;
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
  const ctx: AnswerContext = { table: undefined, zoneKey: wireKey(zone), forwarding: upstreams.length > 0, metrics };

  // Each forwarded query holds a socket until answered or timed out: a flood of out-of-zone names
  // gets SERVFAIL beyond this many in flight instead of exhausting file descriptors.
  let inFlight = 0;
  const handle = (msg: Buffer, udp: boolean): Buffer | null | Promise<Buffer | null> => {
    const res = answer(ctx, msg, udp);
    if (res !== FORWARD) return res;
    if (inFlight >= MAX_FORWARDS_IN_FLIGHT) {
      metrics.forwardFailures++;
      return servfail(ctx, msg);
    }
    inFlight++;
    // `msg` is only valid during this call (on the native UDP path it is a view of the receive
    // arena the next batch overwrites): the forward and its SERVFAIL work on a copy.
    const own = Buffer.from(msg);
    const done = forward(own, !udp, { upstreams, timeoutMs: forwardTimeoutMs }).finally(() => inFlight--);
    return done.then((up) => {
      if (up) return udp ? fitForwarded(up, own) : up;
      metrics.forwardFailures++;
      return servfail(ctx, own);
    });
  };
  const listeners = await listen(addr, handle, log, { udpIo: opts.udpIo ?? 'auto', tcp: opts.tcp });
  const nsAddress = opts.nsAddress ?? (['0.0.0.0', '::'].includes(listeners.address.host) ? '127.0.0.1' : listeners.address.host);

  // Both reads feed one rebuild; a burst of changes costs one build.
  let instances: { value: readonly ServiceInstance[]; index: number } | undefined;
  let hosts: { value: readonly HostStatus[]; index: number } | undefined;
  let scheduled = false;
  let lastBuild = 0;
  let buildMs = 0;
  let resolveSynced!: () => void;
  const syncedP = new Promise<void>((r) => (resolveSynced = r));
  const rebuild = () => {
    scheduled = false;
    if (!instances || !hosts) return;
    try {
      const started = performance.now();
      const serial = Math.max(instances.index, hosts.index);
      const table = buildTable({ zone, ttl, serial, instances: instances.value, hosts: hosts.value, nsAddress, previous: ctx.table });
      ctx.table = table;
      metrics.tableNames = table.names.size;
      metrics.tableRecords = table.records;
      metrics.syncIndex = { instances: instances.index, hosts: hosts.index };
      metrics.lastSyncAt = Date.now();
      buildMs = performance.now() - started;
      log.debug({ names: table.names.size, index: serial, ms: buildMs }, 'dns table rebuilt');
      resolveSynced();
    } catch (err) {
      // Keep serving the last good table.
      log.error({ err }, 'dns table build failed');
    }
  };
  // Under churn, rebuilds are spaced by at least REBUILD_MIN_MS and by twice the last build's
  // duration: a big table then spends at most a third of a core on rebuilds, and answers still
  // follow the catalog well within a second.
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      const gap = Math.max(REBUILD_MIN_MS, 2 * buildMs);
      setTimeout(() => {
        lastBuild = Date.now();
        rebuild();
      }, Math.max(0, lastBuild + gap - Date.now())).unref();
    }
  };
  const abort = new AbortController();
  const onError = (what: string) => (err: unknown, attempt: number) =>
    (attempt === 1 ? log.warn : log.debug).call(log, { err, attempt }, `dns: catalog ${what} read failed; serving the last table`);
  void watch((o) => opts.catalog.listInstances(o), (value, index) => ((instances = { value, index }), schedule()), {
    signal: abort.signal,
    onError: onError('instances'),
  });
  void watch((o) => opts.catalog.listHosts(o), (value, index) => ((hosts = { value, index }), schedule()), {
    signal: abort.signal,
    onError: onError('hosts'),
  });
  // Which UDP path serves, and why not the native one when it was wanted but did not load.
  const nativeMissing = listeners.udpIo === 'node' && opts.udpIo !== 'node' ? nativeStatus().missing['udp-batch'] : undefined;
  log.info({ udp: listeners.address, tcp: listeners.address, udpIo: listeners.udpIo, nativeMissing, zone, forward: upstreams }, 'dns server listening');

  return {
    address: () => ({ ...listeners.address }),
    udpIo: listeners.udpIo,
    synced: () => syncedP,
    table: () => ctx.table,
    metrics: () => metrics.snapshot(listeners.udpStats(), listeners.tcpStats()),
    stop: async () => {
      abort.abort();
      await listeners.close();
    },
  };
}
