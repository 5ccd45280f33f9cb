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
import { TableMemory } from './arena.js';
import { addressRdata, CLASS_IN, QNAME_OFFSET, RCODE, TYPE, wireKey, Writer, type Dictionary } from './wire.js';

/**
 * One ready answer: records (each optionally paired with additional records) plus authority, packed
 * into ONE Buffer (answers, then extras from `extAt`, then the authority from `authAt`) and one small
 * array of offsets. A table holds tens of thousands of these (10,000 instances: ~25,000 answers), and
 * each typed array or Buffer costs ~100-200 bytes of object and backing-store bookkeeping whatever its
 * size: five of them per answer were half of the table's memory.
 */
export class Prepared {
  constructor(
    readonly rcode: number,
    /** Number of answer records; each may carry paired additional records (SRV → target address). */
    readonly count: number,
    /** Answers, extras, authority, back to back (a slice of Node's buffer pool when small). */
    readonly bytes: Buffer,
    /**
     * Offsets, in one packed array: `[0..count]` where each answer record starts in `bytes` (the last
     * is `extAt`), `[count+1..2count+1]` where each one's extras start relative to `extAt`, then
     * `[2count+2..3count+1]` how many additional records each one carries.
     */
    readonly offs: readonly number[],
    readonly authAt: number,
    readonly authCount: number,
    /** Shuffle the answer records per response (address and SRV sets). */
    readonly shuffle: boolean,
    /** Offset in `bytes` of an SOA record's serial (-1: none); the authority, when present, is one SOA. */
    readonly serialAt: number,
  ) {}

  /** Where the extras start in `bytes`. */
  get extAt(): number {
    return this.offs[this.count]!;
  }

  /** The answer records (a view; tests and tools). */
  get answers(): Buffer {
    return this.bytes.subarray(0, this.extAt);
  }

  get extras(): Buffer {
    return this.bytes.subarray(this.extAt, this.authAt);
  }

  get authority(): Buffer {
    return this.bytes.subarray(this.authAt);
  }

  /** Additional records paired with answer `i`. */
  extCount(i: number): number {
    return this.offs[2 * this.count + 2 + i]!;
  }
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

/** Offsets of an answer without records: answers end at 0, extras at 0. */
const NO_OFFSETS: readonly number[] = Object.freeze([0, 0]);
// Encoding happens on one thread, one table at a time: two writers serve every build.
const answersW = new Writer();
const extrasW = new Writer();

const RDATA_CACHE_MAX = 4096;

export class Encoder {
  readonly zoneKey: string;
  readonly nsKey: string;
  private readonly hostmasterKey: string;
  // Many names of one service share an address (service, tag, instance, SRV target): parse each
  // once per burst. Bounded (cleared when full): unbounded, it grew with every address ever seen.
  private readonly rdataCache = new Map<string, number[] | undefined>();
  /** NODATA answers by zone and by where that zone sits in the question. */
  private readonly nodataByZoneAt = new Map<string, Prepared>();
  /** Where encoded answers live: dense slabs for the first table, their own memory after (arena.ts). */
  readonly memory = new TableMemory();

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
    if (!this.rdataCache.has(k)) {
      if (this.rdataCache.size >= RDATA_CACHE_MAX) this.rdataCache.clear();
      this.rdataCache.set(k, addressRdata(type, addr));
    }
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
    const n = parts.length;
    const ansOff: number[] = [0];
    const extOff: number[] = [0];
    const extCount: number[] = [];
    let serialAt = -1;
    for (const p of parts) {
      p.answer(answersW);
      if (p.soa) serialAt = answersW.length - SERIAL_FROM_END;
      extCount.push(p.extra?.(extrasW) ?? 0);
      ansOff.push(answersW.length);
      extOff.push(extrasW.length);
    }
    const bytes = this.memory.pack(answersW.view(), extrasW.view());
    // concat allocates exactly what it holds (a spread into a literal grows like push: 17+ slots).
    return new Prepared(RCODE.NOERROR, n, bytes, ansOff.concat(extOff, extCount), bytes.length, 0, shuffle, serialAt);
  }

  /** No records, the SOA of `apexKey` in authority; `zoneAt` is where that name sits in the question, if it does. */
  negative(rcode: number, apexKey: string, zoneAt: number | undefined): Prepared {
    const w = new Writer();
    this.soa(w, apexKey, zoneAt === undefined ? undefined : new Map([[apexKey, zoneAt]]));
    return new Prepared(rcode, 0, this.memory.pack(w.view()), NO_OFFSETS, 0, 1, false, -1);
  }

  /** NODATA for the name `q` of zone `apexKey`: shared by the names whose zone suffix sits at the same offset. */
  nodataFor(q: string, apexKey: string): Prepared {
    const at = q.endsWith(apexKey) ? QNAME_OFFSET + q.length - apexKey.length : -1;
    const memo = `${at} ${apexKey}`;
    let p = this.nodataByZoneAt.get(memo);
    if (!p) this.nodataByZoneAt.set(memo, (p = this.negative(RCODE.NOERROR, apexKey, at < 0 ? undefined : at)));
    return p;
  }
}

/** ANY: the records of every type, concatenated (they are position-independent), no additional. */
export function anyOf(sets: readonly Prepared[]): Prepared {
  const ansOff: number[] = [0];
  let base = 0;
  let serialAt = -1;
  for (const p of sets) {
    for (let j = 1; j <= p.count; j++) ansOff.push(base + p.offs[j]!);
    if (p.serialAt >= 0) serialAt = base + p.serialAt;
    base += p.extAt;
  }
  const count = ansOff.length - 1;
  // Built per ANY query and dropped after it: Node's pool, not table memory (it would pin a slab).
  const bytes = Buffer.concat(sets.map((p) => p.answers));
  // No extras: every answer record's extras start (and end) at 0, none carries any.
  const offs = [...ansOff, ...new Array<number>(count + 1).fill(0), ...new Array<number>(count).fill(0)];
  return new Prepared(RCODE.NOERROR, count, bytes, offs, bytes.length, 0, false, serialAt);
}

/** Answer plus paired additional records held by one prepared answer. */
export function recordCount(p: Prepared): number {
  let n = p.count;
  for (let i = 0; i < p.count; i++) n += p.extCount(i);
  return n;
}
