/**
 * The hot path: one query packet in, one response packet out, from the current table — parse the
 * question (`query.ts`), look the name up lowercased, pick the prepared answer, write it (`response.ts`).
 * Never a catalog call, never a throw.
 */
import type { DnsMetrics } from './metrics.js';
import { DROP, OK, parseQuery, query } from './query.js';
import { reply, write } from './response.js';
import type { Prepared, ZoneTable } from './table.js';
import { QNAME_OFFSET, RCODE, TYPE } from './wire.js';

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
const IXFR = 251;
const UDP_MIN = 512;
const TCP_MAX = 65_535;

/** Answers `msg`; null means drop. `udp` selects the 512/EDNS size limit, else 64 KiB. */
export function answer(ctx: AnswerContext, msg: Buffer, udp: boolean): Buffer | null {
  const status = parseQuery(msg);
  const { metrics } = ctx;
  if (status !== OK) {
    if (status === DROP) {
      metrics.dropped++;
      return null;
    }
    return reply(metrics, msg, status, query.qend, query.edns, query.qend > 0 ? query.qtype : 0);
  }
  const { qend, qtype, qclass, edns } = query;
  if (qclass !== 1 && qclass !== TYPE.ANY) return reply(metrics, msg, RCODE.REFUSED, qend, edns, qtype);
  // Zone transfers are not offered.
  if (qtype === AXFR || qtype === IXFR) return reply(metrics, msg, RCODE.REFUSED, qend, edns, qtype);

  const table = ctx.table;
  const entry = table?.index.find(msg, QNAME_OFFSET, qend);
  let p: Prepared;
  if (entry !== undefined) {
    const byType = entry.byType;
    p = (qtype < byType.length ? byType[qtype] : undefined) ?? (qtype === TYPE.ANY && entry.any.count > 0 ? entry.any : entry.nodata);
  } else if (inZone(msg.toString('latin1', QNAME_OFFSET, qend).toLowerCase(), ctx.zoneKey)) {
    // Length bytes are <= 63, so lowercasing the wire form touches only the letters.
    if (table === undefined) return reply(metrics, msg, RCODE.SERVFAIL, qend, edns, qtype);
    p = table.nxdomain;
  } else if (ctx.forwarding) {
    metrics.forwarded++;
    return FORWARD;
  } else {
    return reply(metrics, msg, RCODE.REFUSED, qend, edns, qtype);
  }
  const limit = !udp ? TCP_MAX : edns < UDP_MIN ? UDP_MIN : edns;
  return write(metrics, msg, qend, p, limit, edns, qtype);
}

/** True when the question name is the apex or below it (on a label boundary). */
function inZone(key: string, zoneKey: string): boolean {
  if (!key.endsWith(zoneKey)) return false;
  const at = QNAME_OFFSET + key.length - zoneKey.length;
  for (let l = 0; l < query.labels; l++) if (query.labelStarts[l] === at) return true;
  return key.length === zoneKey.length;
}

/** SERVFAIL for a query `answer` accepted (and returned FORWARD for) that no upstream answered. */
export function servfail(ctx: AnswerContext, msg: Buffer): Buffer {
  let i = QNAME_OFFSET;
  while (msg[i] !== 0) i += msg[i]! + 1;
  const qend = i + 1;
  return reply(ctx.metrics, msg, RCODE.SERVFAIL, qend, -1, (msg[qend]! << 8) | msg[qend + 1]!);
}
