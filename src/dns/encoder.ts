/**
 * Encodes records into `Prepared` answers, once per changed name. Records are compressed only against
 * the question name (always at offset 12), so each record is position-independent: the hot path may
 * shuffle or drop them without re-encoding anything.
 *
 * SOA records are encoded with serial 0 and the serial is written into each response
 * (`response.ts`, from `serialAt` and the authority's last 20 bytes): the serial is the catalog
 * index and changes with every update, and baking it in would make every NODATA answer of every
 * name — and every reverse zone's apex — change with every update, a full rebuild each time.
 */
import { addressRdata, CLASS_IN, QNAME_OFFSET, RCODE, TYPE, wireKey, Writer, type Dictionary } from './wire.js';

/** One ready answer: records (each optionally paired with additional records) plus authority. */
export interface Prepared {
  readonly rcode: number;
  /** Number of answer records; each may carry paired additional records (SRV → target address). */
  readonly count: number;
  readonly answers: Buffer;
  /** Byte offsets of the answer records in `answers` (count + 1 entries). */
  readonly ansOff: Uint32Array;
  readonly extras: Buffer;
  readonly extOff: Uint32Array;
  /** Additional records paired with each answer record. */
  readonly extCount: Uint16Array;
  readonly authority: Buffer;
  readonly authCount: number;
  /** Shuffle the answer records per response (address and SRV sets). */
  readonly shuffle: boolean;
  /** Offset in `answers` of an SOA record's serial (-1: none); the authority, when present, is one SOA. */
  readonly serialAt: number;
}

/** The serial sits 20 bytes before the end of an SOA record (serial, refresh, retry, expire, minimum). */
export const SERIAL_FROM_END = 20;

/** A record (or record group) as it is written into `answers`, with its paired additional records. */
export interface Part {
  answer: (w: Writer) => void;
  /** Writes the paired additional records and returns how many. */
  extra?: (w: Writer) => number;
  /** The record is an SOA (its serial is written per response). */
  soa?: boolean;
}

const EMPTY = Buffer.alloc(0);
const NO_OFFSETS = new Uint32Array(1);
const NO_COUNTS = new Uint16Array(0);
// Encoding happens on one thread, one table at a time: two writers serve every build.
const answersW = new Writer();
const extrasW = new Writer();

export class Encoder {
  readonly zoneKey: string;
  readonly nsKey: string;
  private readonly hostmasterKey: string;
  // Many names share an address (service, tag, instance, SRV target): parse each once.
  private readonly rdataCache = new Map<string, number[] | undefined>();
  /** NODATA answers by zone and by where that zone sits in the question. */
  private readonly nodataByZoneAt = new Map<string, Prepared>();

  constructor(
    zone: string,
    private readonly ttl: number,
  ) {
    this.zoneKey = wireKey(zone);
    this.nsKey = wireKey(`ns.${zone}`);
    this.hostmasterKey = wireKey(`hostmaster.${zone}`);
  }

  rr(w: Writer, owner: string, dict: Dictionary | undefined, type: number, rdata: (w: Writer) => void): void {
    w.name(owner, dict).u16(type).u16(CLASS_IN).u32(this.ttl);
    const at = w.length;
    w.u16(0);
    rdata(w);
    w.setU16(at, w.length - at - 2);
  }

  /** The SOA of the zone `apexKey` (`<zone>` or a reverse zone); every zone has the same primary and timers. */
  soa(w: Writer, apexKey: string, dict: Dictionary | undefined): void {
    this.rr(w, apexKey, dict, TYPE.SOA, (d) => {
      // RDATA names as registered (uncompressed): compressed against the question they would take its case.
      d.name(this.nsKey).name(this.hostmasterKey);
      d.u32(0).u32(3600).u32(600).u32(86_400).u32(this.ttl);
    });
  }

  rdataOf(type: number, addr: string): number[] | undefined {
    const k = `${type} ${addr}`;
    if (!this.rdataCache.has(k)) this.rdataCache.set(k, addressRdata(type, addr));
    return this.rdataCache.get(k);
  }

  /** An A or AAAA record; false (nothing written) when `addr` is not of that family. */
  address(w: Writer, owner: string, dict: Dictionary, addr: string, type: number): boolean {
    const bytes = this.rdataOf(type, addr);
    if (bytes) this.rr(w, owner, dict, type, (d) => d.raw(bytes));
    return bytes !== undefined;
  }

  prepare(parts: Part[], shuffle: boolean): Prepared {
    answersW.reset();
    extrasW.reset();
    const ansOff = new Uint32Array(parts.length + 1);
    const extOff = new Uint32Array(parts.length + 1);
    const extCount = new Uint16Array(parts.length);
    let serialAt = -1;
    parts.forEach((p, i) => {
      p.answer(answersW);
      if (p.soa) serialAt = answersW.length - SERIAL_FROM_END;
      extCount[i] = p.extra?.(extrasW) ?? 0;
      ansOff[i + 1] = answersW.length;
      extOff[i + 1] = extrasW.length;
    });
    const extras = extrasW.length > 0 ? extrasW.buffer() : EMPTY;
    return { rcode: RCODE.NOERROR, count: parts.length, answers: answersW.buffer(), ansOff, extras, extOff, extCount, authority: EMPTY, authCount: 0, shuffle, serialAt };
  }

  /** No records, the SOA of `apexKey` in authority; `zoneAt` is where that name sits in the question, if it does. */
  negative(rcode: number, apexKey: string, zoneAt: number | undefined): Prepared {
    const w = new Writer();
    this.soa(w, apexKey, zoneAt === undefined ? undefined : new Map([[apexKey, zoneAt]]));
    return { rcode, count: 0, answers: EMPTY, ansOff: NO_OFFSETS, extras: EMPTY, extOff: NO_OFFSETS, extCount: NO_COUNTS, authority: w.buffer(), authCount: 1, shuffle: false, serialAt: -1 };
  }

  /** NODATA for the name `q` of zone `apexKey`: shared by the names whose zone suffix sits at the same offset. */
  nodataFor(q: string, apexKey: string): Prepared {
    const at = q.endsWith(apexKey) ? QNAME_OFFSET + q.length - apexKey.length : -1;
    const memo = `${at} ${apexKey}`;
    let p = this.nodataByZoneAt.get(memo);
    if (!p) this.nodataByZoneAt.set(memo, (p = this.negative(RCODE.NOERROR, apexKey, at < 0 ? undefined : at)));
    return p;
  }

  /** ANY: the records of every type, concatenated (they are position-independent), no additional. */
  anyOf(sets: Prepared[]): Prepared {
    const count = sets.reduce((n, p) => n + p.count, 0);
    const ansOff = new Uint32Array(count + 1);
    let i = 0;
    let base = 0;
    let serialAt = -1;
    for (const p of sets) {
      for (let j = 1; j <= p.count; j++) ansOff[++i] = base + p.ansOff[j]!;
      if (p.serialAt >= 0) serialAt = base + p.serialAt;
      base += p.answers.length;
    }
    const answers = Buffer.concat(sets.map((p) => p.answers));
    return { rcode: RCODE.NOERROR, count, answers, ansOff, extras: EMPTY, extOff: new Uint32Array(count + 1), extCount: new Uint16Array(count), authority: EMPTY, authCount: 0, shuffle: false, serialAt };
  }
}

/** Answer plus paired additional records held by one prepared answer. */
export function recordCount(p: Prepared): number {
  let n = p.count;
  for (let i = 0; i < p.extCount.length; i++) n += p.extCount[i]!;
  return n;
}
