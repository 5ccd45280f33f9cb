/**
 * The hot path: one query packet in, one response packet out, from the current table — parse the
 * question (`query.ts`), look the name up lowercased, pick the prepared answer, write it (`response.ts`).
 * Never a catalog call, never a throw.
 */
import type { DnsMetrics } from './metrics.js';
import { DROP, IXFR, OK, parseQuery, query } from './query.js';
import { reply, write } from './response.js';
import type { Prepared, ZoneTable } from './table.js';
import { OUR_UDP_SIZE, QNAME_OFFSET, RCODE, TYPE } from './wire.js';

export interface AnswerContext {
  /** Undefined until the first catalog sync: in-zone names then get SERVFAIL, never a false NXDOMAIN. */
  table: ZoneTable | undefined;
  zoneKey: string;
  /** Out-of-zone queries are forwarded (else REFUSED). */
  forwarding: boolean;
  metrics: DnsMetrics;
}

/** Returned for a query the caller must forward upstream. */
export const FORWARD: Buffer = Buffer.alloc(0);

const AXFR = 252;
const UDP_MIN = 512;
const TCP_MAX = 65_535;

/**
 * The size a UDP answer may take: 512 bytes without EDNS, else the client's EDNS size but never more
 * than the 1232 bytes we advertise (DNS Flag Day 2020, NSD's default): a bigger buffer must not turn
 * a 50-byte query into a multi-kilobyte reply (an amplifier once bound off loopback), and never into
 * one over 65,507 bytes that no datagram can carry. The rest is left out with TC set; TCP has it all.
 */
export function udpLimit(edns: number): number {
  return edns < UDP_MIN ? UDP_MIN : edns > OUR_UDP_SIZE ? OUR_UDP_SIZE : edns;
}

/** Answers `msg`; null means drop. `udp` selects the UDP size limit (`udpLimit`), else 64 KiB. */
export function answer(ctx: AnswerContext, msg: Buffer, udp: boolean): Buffer | null {
  const status = parseQuery(msg);
  const { metrics } = ctx;
  if (status !== OK) {
    if (status === DROP) {
      metrics.dropped++;
      return null;
    }
    return reply(metrics, msg, status, query.qend, query.edns, query.dnssecOk, query.qend > 0 ? query.qtype : 0);
  }
  const { qend, qtype, qclass, edns, dnssecOk } = query;
  if (qclass !== 1 && qclass !== TYPE.ANY) return reply(metrics, msg, RCODE.REFUSED, qend, edns, dnssecOk, qtype);
  // Zone transfers are not offered, over UDP or TCP.
  if (qtype === AXFR || qtype === IXFR) return reply(metrics, msg, RCODE.REFUSED, qend, edns, dnssecOk, qtype);

  const table = ctx.table;
  const entry = table?.index.find(msg, QNAME_OFFSET, qend);
  let p: Prepared;
  if (entry !== undefined) {
    p = entry.forType(qtype) ?? (qtype === TYPE.ANY ? entry.any() : undefined) ?? entry.nodata;
  } else if (inZone(msg.toString('latin1', QNAME_OFFSET, qend).toLowerCase(), ctx.zoneKey)) {
    // Length bytes are <= 63, so lowercasing the wire form touches only the letters.
    if (table === undefined) return reply(metrics, msg, RCODE.SERVFAIL, qend, edns, dnssecOk, qtype);
    p = table.nxdomain;
  } else {
    // Under a reverse zone we claim (`c.b.a.in-addr.arpa` of a known address): NXDOMAIN, its SOA.
    const reverse = table !== undefined && query.labels >= 5 ? table.reverseNxdomain.find(msg, query.labelStarts[query.labels - 5]!, qend) : undefined;
    if (reverse !== undefined) p = reverse;
    else if (ctx.forwarding) {
      metrics.forwarded++;
      return FORWARD;
    } else return reply(metrics, msg, RCODE.REFUSED, qend, edns, dnssecOk, qtype);
  }
  return write(metrics, msg, qend, p, udp ? udpLimit(edns) : TCP_MAX, edns, dnssecOk, qtype, table!.serial);
}

/** True when the question name is the apex or below it (on a label boundary). */
function inZone(key: string, zoneKey: string): boolean {
  if (!key.endsWith(zoneKey)) return false;
  const at = QNAME_OFFSET + key.length - zoneKey.length;
  for (let l = 0; l < query.labels; l++) if (query.labelStarts[l] === at) return true;
  return key.length === zoneKey.length;
}

/**
 * An upstream's answer for a UDP client: as it came when it fits the client's limit (`udpLimit`),
 * else its header and question with TC set and no records, so the client asks again over TCP — an
 * upstream that ignores the size we passed on must not make us send more than 1232 bytes.
 */
export function fitForwarded(res: Buffer, msg: Buffer): Buffer {
  if (parseQuery(msg) !== OK || res.length <= udpLimit(query.edns)) return res;
  const head = Buffer.from(res.subarray(0, Math.min(res.length, query.qend + 4)));
  head[2] = head[2]! | 0x02;
  head.fill(0, 6, 12);
  return head;
}

/** SERVFAIL for a query `answer` accepted (and returned FORWARD for) that no upstream answered. */
export function servfail(ctx: AnswerContext, msg: Buffer): Buffer {
  let i = QNAME_OFFSET;
  while (msg[i] !== 0) i += msg[i]! + 1;
  const qend = i + 1;
  return reply(ctx.metrics, msg, RCODE.SERVFAIL, qend, -1, false, (msg[qend]! << 8) | msg[qend + 1]!);
}
