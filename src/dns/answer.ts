/**
 * The hot path: one query packet in, one response packet out, from the current table.
 *
 * A hand-written parser reads only the header, the question and the OPT record; anything it does not
 * understand gets FORMERR (or is dropped when there is no header to answer), so no input can throw.
 * The response is the pre-encoded answer copied behind the query's own question bytes (which echoes
 * the name as asked and keeps every 0xC00C pointer valid), the ID patched, records shuffled, and as
 * many records as fit the client's limit, with TC set whenever one was left out.
 */
import type { DnsMetrics } from './metrics.js';
import type { Prepared, ZoneTable } from './table.js';
import { BADVERS, OUR_UDP_SIZE, QNAME_OFFSET, RCODE, TYPE } from './wire.js';

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

const labelStarts = new Int32Array(128);
let perm = new Int32Array(256);

/** Answers `msg`; null means drop. `udp` selects the 512/EDNS size limit, else 64 KiB. */
export function answer(ctx: AnswerContext, msg: Buffer, udp: boolean): Buffer | null {
  const len = msg.length;
  if (len < 12 || (msg[2]! & 0x80) !== 0) {
    ctx.metrics.dropped++;
    return null;
  }
  if ((msg[2]! & 0x78) !== 0) return reply(ctx, msg, RCODE.NOTIMP, 0, -1, 0);
  if (msg[4] !== 0 || msg[5] !== 1 || msg[6] !== 0 || msg[7] !== 0 || msg[8] !== 0 || msg[9] !== 0) {
    return reply(ctx, msg, RCODE.FORMERR, 0, -1, 0);
  }
  let i = QNAME_OFFSET;
  let labels = 0;
  for (;;) {
    if (i >= len) return reply(ctx, msg, RCODE.FORMERR, 0, -1, 0);
    const l = msg[i]!;
    if (l === 0) break;
    // Compression or extended labels have no place in a question.
    if (l > 63) return reply(ctx, msg, RCODE.FORMERR, 0, -1, 0);
    labelStarts[labels++] = i;
    i += l + 1;
    if (i - QNAME_OFFSET > 254) return reply(ctx, msg, RCODE.FORMERR, 0, -1, 0);
  }
  const qend = i + 1;
  if (qend + 4 > len) return reply(ctx, msg, RCODE.FORMERR, 0, -1, 0);
  const qtype = (msg[qend]! << 8) | msg[qend + 1]!;
  const qclass = (msg[qend + 2]! << 8) | msg[qend + 3]!;

  let edns = -1;
  let version = 0;
  let pos = qend + 4;
  for (let r = (msg[10]! << 8) | msg[11]!; r > 0; r--) {
    const start = pos;
    pos = skipName(msg, pos);
    if (pos < 0 || pos + 10 > len) return reply(ctx, msg, RCODE.FORMERR, 0, -1, 0);
    if (((msg[pos]! << 8) | msg[pos + 1]!) === TYPE.OPT) {
      if (edns >= 0 || msg[start] !== 0) return reply(ctx, msg, RCODE.FORMERR, 0, -1, 0);
      edns = (msg[pos + 2]! << 8) | msg[pos + 3]!;
      version = msg[pos + 5]!;
    }
    pos += 10 + ((msg[pos + 8]! << 8) | msg[pos + 9]!);
    if (pos > len) return reply(ctx, msg, RCODE.FORMERR, 0, -1, 0);
  }
  if (version !== 0) return reply(ctx, msg, BADVERS, qend, edns, qtype);
  if (qclass !== 1 && qclass !== TYPE.ANY) return reply(ctx, msg, RCODE.REFUSED, qend, edns, qtype);

  const table = ctx.table;
  const key = msg.toString('latin1', QNAME_OFFSET, qend).toLowerCase();
  const entry = table?.names.get(key);
  // Zone transfers are not offered.
  if (qtype === AXFR || qtype === IXFR) return reply(ctx, msg, RCODE.REFUSED, qend, edns, qtype);
  let p: Prepared;
  if (entry !== undefined) {
    p = entry.types.get(qtype) ?? (qtype === TYPE.ANY && entry.any.count > 0 ? entry.any : entry.nodata);
  } else if (inZone(key, ctx.zoneKey, labels)) {
    if (table === undefined) return reply(ctx, msg, RCODE.SERVFAIL, qend, edns, qtype);
    p = table.nxdomain;
  } else if (ctx.forwarding) {
    ctx.metrics.forwarded++;
    return FORWARD;
  } else {
    return reply(ctx, msg, RCODE.REFUSED, qend, edns, qtype);
  }
  const limit = !udp ? TCP_MAX : edns < UDP_MIN ? UDP_MIN : edns;
  return write(ctx, msg, qend, p, limit, edns, qtype);
}

/** True when the name is the apex or below it (on a label boundary). */
function inZone(key: string, zoneKey: string, labels: number): boolean {
  if (!key.endsWith(zoneKey)) return false;
  const at = QNAME_OFFSET + key.length - zoneKey.length;
  for (let l = 0; l < labels; l++) if (labelStarts[l] === at) return true;
  return key.length === zoneKey.length;
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

function write(ctx: AnswerContext, msg: Buffer, qend: number, p: Prepared, limit: number, edns: number, qtype: number): Buffer {
  const qlen = qend + 4 - QNAME_OFFSET;
  let size = QNAME_OFFSET + qlen + p.authority.length + (edns >= 0 ? 11 : 0);
  const n = p.count;
  const { ansOff, extOff } = p;
  let k = 0;
  const shuffle = p.shuffle && n > 1;
  if (!shuffle) {
    while (k < n && size + ansOff[k + 1]! - ansOff[k]! + extOff[k + 1]! - extOff[k]! <= limit) {
      size += ansOff[k + 1]! - ansOff[k]! + extOff[k + 1]! - extOff[k]!;
      k++;
    }
  } else {
    if (perm.length < n) perm = new Int32Array(n * 2);
    for (let j = 0; j < n; j++) perm[j] = j;
    // Partial Fisher-Yates: the records that fit are a uniform random sample in random order.
    while (k < n) {
      const r = k + ((Math.random() * (n - k)) | 0);
      const idx = perm[r]!;
      const add = ansOff[idx + 1]! - ansOff[idx]! + extOff[idx + 1]! - extOff[idx]!;
      if (size + add > limit) break;
      perm[r] = perm[k]!;
      perm[k] = idx;
      size += add;
      k++;
    }
  }
  const out = Buffer.allocUnsafe(size);
  const tc = k < n;
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  out[2] = 0x84 | (tc ? 0x02 : 0) | (msg[2]! & 0x01);
  out[3] = p.rcode;
  out[4] = 0;
  out[5] = 1;
  out[6] = k >>> 8;
  out[7] = k;
  out[8] = 0;
  out[9] = p.authCount;
  msg.copy(out, QNAME_OFFSET, QNAME_OFFSET, qend + 4);
  let pos = QNAME_OFFSET + qlen;
  let extras = 0;
  if (!shuffle) {
    pos += p.answers.copy(out, pos, 0, ansOff[k]!);
    pos += p.authority.copy(out, pos);
    pos += p.extras.copy(out, pos, 0, extOff[k]!);
    for (let j = 0; j < k; j++) extras += p.extCount[j]!;
  } else {
    for (let j = 0; j < k; j++) pos += copy(p.answers, ansOff[perm[j]!]!, ansOff[perm[j]! + 1]!, out, pos);
    pos += p.authority.copy(out, pos);
    for (let j = 0; j < k; j++) {
      const idx = perm[j]!;
      pos += copy(p.extras, extOff[idx]!, extOff[idx + 1]!, out, pos);
      extras += p.extCount[idx]!;
    }
  }
  if (edns >= 0) {
    extras++;
    writeOpt(out, pos, 0);
  }
  out[10] = extras >>> 8;
  out[11] = extras;
  if (tc) ctx.metrics.truncated++;
  ctx.metrics.count(p.rcode, qtype);
  return out;
}

/** Small copies in JS beat the native call of Buffer#copy. */
function copy(src: Buffer, start: number, end: number, dst: Buffer, at: number): number {
  if (end - start > 32) return src.copy(dst, at, start, end);
  for (let s = start; s < end; s++) dst[at++] = src[s]!;
  return end - start;
}

function writeOpt(out: Buffer, pos: number, extRcode: number): void {
  out[pos] = 0;
  out.writeUInt16BE(TYPE.OPT, pos + 1);
  out.writeUInt16BE(OUR_UDP_SIZE, pos + 3);
  out.writeUInt32BE((extRcode << 24) >>> 0, pos + 5);
  out.writeUInt16BE(0, pos + 9);
}

/**
 * A response without records: the question echoed when it was parsed (`qend` > 0), an OPT record
 * when the query had one (BADVERS needs it for its upper rcode bits).
 */
export function reply(ctx: AnswerContext, msg: Buffer, rcode: number, qend: number, edns: number, qtype: number): Buffer {
  const qlen = qend > 0 ? qend + 4 - QNAME_OFFSET : 0;
  const opt = edns >= 0 || rcode === BADVERS;
  const out = Buffer.alloc(QNAME_OFFSET + qlen + (opt ? 11 : 0));
  out[0] = msg[0]!;
  out[1] = msg[1]!;
  out[2] = 0x80 | (msg[2]! & 0x79);
  out[3] = rcode & 0x0f;
  out[5] = qlen > 0 ? 1 : 0;
  out[11] = opt ? 1 : 0;
  if (qlen > 0) msg.copy(out, QNAME_OFFSET, QNAME_OFFSET, qend + 4);
  if (opt) writeOpt(out, QNAME_OFFSET + qlen, rcode >> 4);
  ctx.metrics.count(rcode, qtype);
  return out;
}

/** SERVFAIL for a query `answer` accepted (and returned FORWARD for) that no upstream answered. */
export function servfail(ctx: AnswerContext, msg: Buffer): Buffer {
  let i = QNAME_OFFSET;
  while (msg[i] !== 0) i += msg[i]! + 1;
  const qend = i + 1;
  return reply(ctx, msg, RCODE.SERVFAIL, qend, -1, (msg[qend]! << 8) | msg[qend + 1]!);
}
