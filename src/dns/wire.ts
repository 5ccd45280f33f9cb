/**
 * DNS wire-format constants and the small encoder the zone table uses at build time.
 *
 * Names are handled as their lowercased wire form held in a latin1 string ("\x05redis\x07service…\x00"):
 * the hot path matches a query's name bytes against these keys case-insensitively (`lookup.ts`; length
 * bytes are ≤ 63, so case folding never touches them), and the build side compresses against the question name,
 * whose layout (label offsets) is known in advance because case never changes a name's length.
 */
import { isIPv4, isIPv6 } from 'node:net';

export const TYPE = { A: 1, NS: 2, SOA: 6, PTR: 12, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** Extended rcode 16 (BADVERS) lives half in the header, half in the OPT record's TTL. */
export const BADVERS = 16;

/** Offset of the question name in every message: right after the 12-byte header. */
export const QNAME_OFFSET = 12;
/** UDP payload size we advertise in our OPT record (the 2020 DNS flag day value). */
export const OUR_UDP_SIZE = 1232;

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;

/** True when every dot-separated label is a usable DNS label (and the whole name fits). */
export function validName(dotted: string): boolean {
  if (dotted.length === 0 || dotted.length > 253) return false;
  return dotted.split('.').every((l) => LABEL.test(l));
}

/** "Redis.Service.cluster" → the lowercased wire form as a latin1 key string, root label included. */
export function wireKey(dotted: string): string {
  // Joined, not appended: `+=` makes a tree of concatenated strings (a dozen heap objects per key,
  // kept as long as the key is: the table holds ~22,000 keys at 10,000 instances); join is one flat string.
  const parts: string[] = [];
  for (const label of dotted.toLowerCase().split('.')) {
    if (label) parts.push(String.fromCharCode(label.length), label);
  }
  parts.push('\0');
  return parts.join('');
}

/** The wire key back to a dotted name, for logs and snapshots. */
export function dottedFromKey(key: string): string {
  const labels: string[] = [];
  for (let i = 0; key.charCodeAt(i) !== 0; i += key.charCodeAt(i) + 1) {
    labels.push(key.slice(i + 1, i + 1 + key.charCodeAt(i)));
  }
  return labels.join('.');
}

/** Suffix keys of the question name → their offsets in the message: all a record may point at. */
export type Dictionary = ReadonlyMap<string, number>;

/** The compression dictionary of a question name (the root alone is not worth a 2-byte pointer). */
export function questionDictionary(qkey: string): Dictionary {
  const dict = new Map<string, number>();
  for (let i = 0; qkey.charCodeAt(i) !== 0; i += qkey.charCodeAt(i) + 1) dict.set(qkey.slice(i), QNAME_OFFSET + i);
  return dict;
}

/** A growable byte buffer for building records when the table changes. */
export class Writer {
  private buf = Buffer.allocUnsafe(256);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number): this {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.length);
    this.length += 2;
    return this;
  }
  u32(v: number): this {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.length);
    this.length += 4;
    return this;
  }
  raw(b: ArrayLike<number>): this {
    this.room(b.length);
    for (let i = 0; i < b.length; i++) this.buf[this.length++] = b[i]!;
    return this;
  }
  /**
   * A name, compressed against `dict` (the question name's suffixes): the longest shared suffix becomes
   * a pointer. Nothing else is pointed at, so every record encoded this way can be moved, reordered or
   * dropped freely.
   */
  name(key: string, dict?: Dictionary): this {
    for (let i = 0; key.charCodeAt(i) !== 0; i += key.charCodeAt(i) + 1) {
      const at = dict?.get(i === 0 ? key : key.slice(i));
      if (at !== undefined) return this.u16(0xc000 | at);
      const len = key.charCodeAt(i);
      this.room(len + 1);
      this.buf.write(key.slice(i, i + len + 1), this.length, 'latin1');
      this.length += len + 1;
    }
    return this.u8(0);
  }
  /** Overwrites a 16-bit value already written (an RDLENGTH once the RDATA is known). */
  setU16(at: number, v: number): this {
    this.buf.writeUInt16BE(v & 0xffff, at);
    return this;
  }
  reset(): this {
    this.length = 0;
    return this;
  }
  /** What was written, without a copy: valid until the writer is written to or reset. */
  view(): Buffer {
    return this.buf.subarray(0, this.length);
  }
  /** A copy of what was written (the writer may be reset and reused). */
  buffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

/** RDATA of an address record, or undefined when `address` is not an IP of that family. */
export function addressRdata(type: number, address: string): number[] | undefined {
  if (type === TYPE.A) return isIPv4(address) ? address.split('.').map(Number) : undefined;
  if (type === TYPE.AAAA && isIPv6(address)) return ipv6Bytes(address);
  return undefined;
}

/** WHATWG URL parsing normalises any IPv6 text (embedded IPv4 included) to hex groups and one `::`. */
function ipv6Bytes(address: string): number[] {
  const text = new URL(`http://[${address.split('%')[0]}]/`).hostname.slice(1, -1);
  const [head, tail] = text.split('::') as [string, string | undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((h) => parseInt(h, 16)) : []);
  const hi = groups(head);
  const lo = groups(tail);
  const all = tail === undefined ? hi : [...hi, ...new Array<number>(8 - hi.length - lo.length).fill(0), ...lo];
  return all.flatMap((g) => [g >>> 8, g & 0xff]);
}

/** The reverse zone (a /24) an IPv4 address's PTR lives in: 3.2.1.in-addr.arpa. */
export function reverseZoneName(address: string): string | undefined {
  return isIPv4(address) ? `${address.split('.').slice(0, 3).reverse().join('.')}.in-addr.arpa` : undefined;
}

/** The PTR owner name of an IPv4 address: 4.3.2.1.in-addr.arpa. */
export function reverseName(address: string): string | undefined {
  return isIPv4(address) ? `${address.split('.').reverse().join('.')}.in-addr.arpa` : undefined;
}
