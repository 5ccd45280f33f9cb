/**
 * The zone table: every (name, type) answer pre-encoded in wire format when the catalog changes, so
 * a query costs a parse of its question, one map lookup and a few byte copies (see `answer.ts`).
 *
 * Records are compressed only against the question name (always at offset 12), so each record is
 * position-independent: the hot path may shuffle, rotate or drop them without re-encoding anything.
 */
import { zoneNames, type NameRecords, type ZoneSnapshot } from './names.js';
import { addressRdata, CLASS_IN, dottedFromKey, RCODE, TYPE, wireKey, Writer } from './wire.js';

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
}

export interface NameEntry {
  readonly types: ReadonlyMap<number, Prepared>;
  /** Answer to any type the name has no records of (and to no-healthy-instance names): NODATA + SOA. */
  readonly nodata: Prepared;
  /** Answer to ANY: every record of the name, no additional section. */
  readonly any: Prepared;
}

/** An immutable table; the server swaps the whole reference on each catalog change. */
export interface ZoneTable {
  readonly zone: string;
  /** Lowercased wire form of the zone apex. */
  readonly zoneKey: string;
  readonly names: ReadonlyMap<string, NameEntry>;
  /** NXDOMAIN with the SOA in authority, uncompressed (the question is not known in advance). */
  readonly nxdomain: Prepared;
  readonly ttl: number;
  /** Resource records held across all answers. */
  readonly records: number;
}

export interface TableOptions extends ZoneSnapshot {
  ttl: number;
  /** SOA serial; the catalog index fits. */
  serial: number;
}

export function buildTable(opts: TableOptions): ZoneTable {
  const zone = opts.zone.replace(/\.+$/, '').toLowerCase();
  const zoneKey = wireKey(zone);
  const ttl = opts.ttl;
  const rr = (w: Writer, owner: string, qkey: string | undefined, type: number, rdata: (w: Writer) => void) => {
    w.name(owner, qkey).u16(type).u16(CLASS_IN).u32(ttl);
    const at = w.length;
    w.u16(0);
    rdata(w);
    w.setU16(at, w.length - at - 2);
  };
  const soa = (w: Writer, qkey: string | undefined) =>
    rr(w, zoneKey, qkey, TYPE.SOA, (d) => {
      d.name(wireKey(`ns.${zone}`), qkey).name(wireKey(`hostmaster.${zone}`), qkey);
      d.u32(opts.serial >>> 0).u32(3600).u32(600).u32(86_400).u32(ttl);
    });
  const address = (w: Writer, owner: string, qkey: string, addr: string, type: number): boolean => {
    const bytes = addressRdata(type, addr);
    if (bytes) rr(w, owner, qkey, type, (d) => d.raw(bytes));
    return bytes !== undefined;
  };

  let records = 0;
  const prepare = (parts: Part[], shuffle: boolean, authority?: Writer, rcode: number = RCODE.NOERROR): Prepared => {
    const answers = new Writer();
    const extras = new Writer();
    const ansOff = new Uint32Array(parts.length + 1);
    const extOff = new Uint32Array(parts.length + 1);
    const extCount = new Uint16Array(parts.length);
    parts.forEach((p, i) => {
      p.answer(answers);
      extCount[i] = p.extra?.(extras) ?? 0;
      ansOff[i + 1] = answers.length;
      extOff[i + 1] = extras.length;
      records += 1 + extCount[i]!;
    });
    const authCount = authority ? 1 : 0;
    records += authCount;
    const authBuf = authority?.buffer() ?? Buffer.alloc(0);
    return { rcode, count: parts.length, answers: answers.buffer(), ansOff, extras: extras.buffer(), extOff, extCount, authority: authBuf, authCount, shuffle };
  };

  const entry = (q: string, rec: NameRecords): NameEntry => {
    const byType = new Map<number, Part[]>();
    const add = (type: number, part: Part) => {
      const list = byType.get(type);
      if (list) list.push(part);
      else byType.set(type, [part]);
    };
    for (const type of [TYPE.A, TYPE.AAAA]) {
      for (const a of rec.addresses) {
        if (addressRdata(type, a)) add(type, { answer: (w) => address(w, q, q, a, type) });
      }
    }
    for (const s of rec.srv) {
      add(TYPE.SRV, {
        answer: (w) => rr(w, q, q, TYPE.SRV, (d) => d.u16(1).u16(1).u16(s.port).name(s.target, q)),
        extra: (w) => (address(w, s.target, q, s.address, TYPE.A) || address(w, s.target, q, s.address, TYPE.AAAA) ? 1 : 0),
      });
    }
    for (const t of rec.ptr) add(TYPE.PTR, { answer: (w) => rr(w, q, q, TYPE.PTR, (d) => d.name(t, q)) });
    if (rec.apex) {
      const ns = wireKey(`ns.${zone}`);
      add(TYPE.SOA, { answer: (w) => soa(w, q) });
      add(TYPE.NS, {
        answer: (w) => rr(w, q, q, TYPE.NS, (d) => d.name(ns, q)),
        extra: (w) => [TYPE.A, TYPE.AAAA].filter((t) => address(w, ns, q, opts.nsAddress, t)).length,
      });
    }

    const types = new Map<number, Prepared>();
    for (const [type, parts] of byType) types.set(type, prepare(parts, type !== TYPE.SOA));
    const authority = new Writer();
    soa(authority, q);
    return {
      types,
      nodata: prepare([], false, authority),
      any: prepare([...byType.values()].flat().map((p) => ({ answer: p.answer })), false),
    };
  };

  const names = new Map<string, NameEntry>();
  for (const [key, rec] of zoneNames(opts)) names.set(key, Object.freeze(entry(key, rec)));
  const nxAuthority = new Writer();
  soa(nxAuthority, undefined);
  const nxdomain = prepare([], false, nxAuthority, RCODE.NXDOMAIN);
  return Object.freeze({ zone, zoneKey, names, nxdomain, ttl, records });
}

/** A record (or record group) as it is written into `answers`, with its paired additional records. */
interface Part {
  answer: (w: Writer) => void;
  /** Writes the paired additional records and returns how many. */
  extra?: (w: Writer) => number;
}

/** A readable view of the table for the API and tests: dotted name → type numbers served. */
export function describeTable(table: ZoneTable): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [key, e] of table.names) out[dottedFromKey(key)] = [...e.types.keys()].sort((a, b) => a - b);
  return out;
}
