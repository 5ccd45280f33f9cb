/**
 * Writes responses: a prepared answer copied behind the query's own question bytes (which echoes the
 * name as asked and keeps every 0xC00C pointer valid), the ID patched, records shuffled, and as many
 * records as fit the limit, with TC set whenever one was left out.
 */
import type { DnsMetrics } from './metrics.js';
import { SERIAL_FROM_END } from './encoder.js';
import type { Prepared } from './table.js';
import { BADVERS, OUR_UDP_SIZE, QNAME_OFFSET, TYPE } from './wire.js';

let perm = new Int32Array(256);

/**
 * The prepared answer `p` for the question of `msg` (ending at `qend`), within `limit` bytes; with an
 * OPT record when the query had one (`edns` >= 0), its DO bit copied from the query (RFC 3225).
 * `serial` goes into every SOA record written (they are prepared with 0, see encoder.ts).
 */
export function write(metrics: DnsMetrics, msg: Buffer, qend: number, p: Prepared, limit: number, edns: number, dnssecOk: boolean, qtype: number, serial: number): Buffer {
  const qlen = qend + 4 - QNAME_OFFSET;
  const { bytes, offs, count: n, authAt } = p;
  // offs: answer starts [0..n], extras starts [n+1..2n+1] (relative to extAt), extra counts [2n+2..].
  const extAt = offs[n]!;
  const e0 = n + 1;
  const c0 = 2 * n + 2;
  const authLen = bytes.length - authAt;
  let size = QNAME_OFFSET + qlen + authLen + (edns >= 0 ? 11 : 0);
  let k = 0;
  const shuffle = p.shuffle && n > 1;
  if (!shuffle) {
    while (k < n && size + offs[k + 1]! - offs[k]! + offs[e0 + k + 1]! - offs[e0 + k]! <= limit) {
      size += offs[k + 1]! - offs[k]! + offs[e0 + k + 1]! - offs[e0 + k]!;
      k++;
    }
  } else {
    if (perm.length < n) perm = new Int32Array(n * 2);
    for (let j = 0; j < n; j++) perm[j] = j;
    // Partial Fisher-Yates: the records that fit are a uniform random sample in random order.
    while (k < n) {
      const r = k + ((Math.random() * (n - k)) | 0);
      const idx = perm[r]!;
      const add = offs[idx + 1]! - offs[idx]! + offs[e0 + idx + 1]! - offs[e0 + idx]!;
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
  let pos = copy(msg, QNAME_OFFSET, qend + 4, out, QNAME_OFFSET) + QNAME_OFFSET;
  let extras = 0;
  if (!shuffle) {
    // Unshuffled answers are copied in order: an SOA among those that fit keeps its offset.
    const at = pos;
    pos += copy(bytes, 0, offs[k]!, out, pos);
    if (p.serialAt >= 0 && p.serialAt < offs[k]!) out.writeUInt32BE(serial >>> 0, at + p.serialAt);
    pos += copy(bytes, authAt, bytes.length, out, pos);
    if (p.authCount > 0) out.writeUInt32BE(serial >>> 0, pos - SERIAL_FROM_END);
    pos += copy(bytes, extAt, extAt + offs[e0 + k]!, out, pos);
    for (let j = 0; j < k; j++) extras += offs[c0 + j]!;
  } else {
    for (let j = 0; j < k; j++) pos += copy(bytes, offs[perm[j]!]!, offs[perm[j]! + 1]!, out, pos);
    pos += copy(bytes, authAt, bytes.length, out, pos);
    if (p.authCount > 0) out.writeUInt32BE(serial >>> 0, pos - SERIAL_FROM_END);
    for (let j = 0; j < k; j++) {
      const idx = perm[j]!;
      pos += copy(bytes, extAt + offs[e0 + idx]!, extAt + offs[e0 + idx + 1]!, out, pos);
      extras += offs[c0 + idx]!;
    }
  }
  if (edns >= 0) {
    extras++;
    writeOpt(out, pos, 0, dnssecOk);
  }
  out[10] = extras >>> 8;
  out[11] = extras;
  if (tc) metrics.truncated++;
  metrics.count(p.rcode, qtype);
  return out;
}

/**
 * Copies in JS beat the native call of Buffer#copy (argument checks, a C++ transition) for the few
 * hundred bytes of a typical answer.
 */
function copy(src: Buffer, start: number, end: number, dst: Buffer, at: number): number {
  if (end - start > 256) return src.copy(dst, at, start, end);
  for (let s = start; s < end; s++) dst[at++] = src[s]!;
  return end - start;
}

/** Our OPT record: the UDP size we accept, the upper rcode bits, version 0, the query's DO bit. */
function writeOpt(out: Buffer, pos: number, extRcode: number, dnssecOk: boolean): void {
  out[pos] = 0;
  out.writeUInt16BE(TYPE.OPT, pos + 1);
  out.writeUInt16BE(OUR_UDP_SIZE, pos + 3);
  out.writeUInt32BE(((extRcode << 24) | (dnssecOk ? 0x8000 : 0)) >>> 0, pos + 5);
  out.writeUInt16BE(0, pos + 9);
}

/**
 * A response without records: the question echoed when it was parsed (`qend` > 0), an OPT record
 * when the query had one (BADVERS needs it for its upper rcode bits).
 */
export function reply(metrics: DnsMetrics, msg: Buffer, rcode: number, qend: number, edns: number, dnssecOk: boolean, qtype: number): Buffer {
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
  if (opt) writeOpt(out, QNAME_OFFSET + qlen, rcode >> 4, dnssecOk);
  metrics.count(rcode, qtype);
  return out;
}
