/**
 * The query parser of the hot path: header, question and OPT record only, hand-written so that no
 * input can throw. The result lands in one reused object (valid until the next call) so a query
 * allocates nothing here.
 */
import { BADVERS, QNAME_OFFSET, RCODE, TYPE } from './wire.js';

export interface ParsedQuery {
  /** Offset just past the question name's root label (QTYPE follows). */
  qend: number;
  qtype: number;
  qclass: number;
  /** EDNS0 UDP payload size, or -1 without an OPT record. */
  edns: number;
  /** The OPT record's DO bit (RFC 3225): copied into the response's OPT. */
  dnssecOk: boolean;
  /** Offsets of the question's labels (first `labels` entries). */
  readonly labelStarts: Int32Array;
  labels: number;
}

export const query: ParsedQuery = { qend: 0, qtype: 0, qclass: 0, edns: -1, dnssecOk: false, labelStarts: new Int32Array(128), labels: 0 };

/** Incremental zone transfer: the one query type that carries a record (an SOA) in authority. */
export const IXFR = 251;

/** Parsed and answerable. */
export const OK = -1;
/** No header to answer, or a response (answering responses invites loops): drop. */
export const DROP = -2;

/**
 * Parses `msg` into `query`. Returns OK, DROP, or the rcode to answer with: NOTIMP (opcode other
 * than QUERY), FORMERR (header counts, question or records malformed), BADVERS (EDNS version > 0;
 * `query.qend` and `query.edns` are then set so the question can be echoed).
 */
export function parseQuery(msg: Buffer): number {
  const len = msg.length;
  if (len < 12 || (msg[2]! & 0x80) !== 0) return DROP;
  query.qend = 0;
  query.edns = -1;
  query.dnssecOk = false;
  if ((msg[2]! & 0x78) !== 0) return RCODE.NOTIMP;
  // An authority section only belongs to IXFR (its SOA, RFC 1995); checked once QTYPE is known.
  if (msg[4] !== 0 || msg[5] !== 1 || msg[6] !== 0 || msg[7] !== 0) return RCODE.FORMERR;
  const nscount = (msg[8]! << 8) | msg[9]!;
  const starts = query.labelStarts;
  let i = QNAME_OFFSET;
  let labels = 0;
  for (;;) {
    if (i >= len) return RCODE.FORMERR;
    const l = msg[i]!;
    if (l === 0) break;
    // Compression or extended labels have no place in a question.
    if (l > 63) return RCODE.FORMERR;
    starts[labels++] = i;
    i += l + 1;
    if (i - QNAME_OFFSET > 254) return RCODE.FORMERR;
  }
  const qend = i + 1;
  if (qend + 4 > len) return RCODE.FORMERR;
  const qtype = (msg[qend]! << 8) | msg[qend + 1]!;
  if (nscount > (qtype === IXFR ? 1 : 0)) return RCODE.FORMERR;
  let edns = -1;
  let version = 0;
  let dnssecOk = false;
  let pos = qend + 4;
  for (let r = nscount + ((msg[10]! << 8) | msg[11]!); r > 0; r--) {
    const start = pos;
    pos = skipName(msg, pos);
    if (pos < 0 || pos + 10 > len) return RCODE.FORMERR;
    if (((msg[pos]! << 8) | msg[pos + 1]!) === TYPE.OPT) {
      // Only one, owned by the root, and only in the additional section (RFC 6891 §6.1.1).
      if (edns >= 0 || msg[start] !== 0 || r > ((msg[10]! << 8) | msg[11]!)) return RCODE.FORMERR;
      edns = (msg[pos + 2]! << 8) | msg[pos + 3]!;
      version = msg[pos + 5]!;
      dnssecOk = (msg[pos + 6]! & 0x80) !== 0;
    }
    pos += 10 + ((msg[pos + 8]! << 8) | msg[pos + 9]!);
    if (pos > len) return RCODE.FORMERR;
  }
  query.qend = qend;
  query.qtype = qtype;
  query.qclass = (msg[qend + 2]! << 8) | msg[qend + 3]!;
  query.edns = edns;
  query.dnssecOk = dnssecOk;
  query.labels = labels;
  return version !== 0 ? BADVERS : OK;
}

/** Skips a (possibly compressed) name without following pointers; -1 when it runs off the end. */
function skipName(msg: Buffer, pos: number): number {
  for (let hops = 0; pos < msg.length && hops < 128; hops++) {
    const l = msg[pos]!;
    if (l === 0) return pos + 1;
    if ((l & 0xc0) === 0xc0) return pos + 2 <= msg.length ? pos + 2 : -1;
    if (l > 63) return -1;
    pos += l + 1;
  }
  return -1;
}
