/**
 * Counters of the DNS server, kept as typed arrays so the hot path only increments a slot; `snapshot`
 * turns them into the plain object the API's /metrics will expose through prom-client.
 */
import { TYPE } from './wire.js';

const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
const TYPE_NAMES = new Map<number, string>(Object.entries(TYPE).map(([name, n]) => [n, name]));

export interface DnsMetricsSnapshot {
  /** Responses sent, by rcode name (BADVERS included). */
  responses: Record<string, number>;
  /** Queries answered or forwarded, by question type name (`TYPE<n>` for unnamed ones). */
  queries: Record<string, number>;
  /** Responses with TC set: records were left out. */
  truncated: number;
  /** Packets dropped without an answer (shorter than a header, responses, UDP datagrams over 4 KiB). */
  dropped: number;
  /** UDP replies dropped because the socket's send buffer was full (or the send failed): clients retry. */
  sendDropped: number;
  forwarded: number;
  /** TCP connections open now. */
  tcpConnections: number;
  /** TCP connections closed at accept because the connection cap was reached. */
  tcpRejected: number;
  /** Forwarded queries no upstream answered (SERVFAIL sent). */
  forwardFailures: number;
  /** Names and resource records in the current table. */
  tableNames: number;
  tableRecords: number;
  /** Catalog indexes the current table was built from. */
  syncIndex: { instances: number; hosts: number };
  /** Last table swap (ms since epoch); 0 before the first sync. */
  lastSyncAt: number;
}

export class DnsMetrics {
  readonly rcodes = new Float64Array(32);
  /** Slot 256 counts every type above 255. */
  readonly qtypes = new Float64Array(257);
  truncated = 0;
  dropped = 0;
  forwarded = 0;
  forwardFailures = 0;
  tableNames = 0;
  tableRecords = 0;
  syncIndex = { instances: 0, hosts: 0 };
  lastSyncAt = 0;

  count(rcode: number, qtype: number): void {
    this.rcodes[rcode & 31]!++;
    this.qtypes[qtype < 256 ? qtype : 256]!++;
  }

  /** `io`: the UDP socket's own counters (the transport keeps them, see udp.ts). */
  snapshot(
    io: { sendDropped: number; oversize: number } = { sendDropped: 0, oversize: 0 },
    tcp: { connections: number; rejected: number } = { connections: 0, rejected: 0 },
  ): DnsMetricsSnapshot {
    const responses: Record<string, number> = {};
    this.rcodes.forEach((n, rcode) => {
      if (n > 0) responses[RCODE_NAMES[rcode] ?? (rcode === 16 ? 'BADVERS' : `RCODE${rcode}`)] = n;
    });
    const queries: Record<string, number> = {};
    this.qtypes.forEach((n, t) => {
      if (n > 0) queries[t === 256 ? 'OTHER' : (TYPE_NAMES.get(t) ?? `TYPE${t}`)] = n;
    });
    return {
      responses,
      queries,
      truncated: this.truncated,
      dropped: this.dropped + io.oversize,
      sendDropped: io.sendDropped,
      forwarded: this.forwarded,
      tcpConnections: tcp.connections,
      tcpRejected: tcp.rejected,
      forwardFailures: this.forwardFailures,
      tableNames: this.tableNames,
      tableRecords: this.tableRecords,
      syncIndex: { ...this.syncIndex },
      lastSyncAt: this.lastSyncAt,
    };
  }
}
