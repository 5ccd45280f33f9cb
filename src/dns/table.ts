/**
 * The zone table: every (name, type) answer pre-encoded in wire format when the catalog changes, so
 * a query costs a parse of its question, one map lookup and a few byte copies (see `answer.ts`).
 *
 * Records are compressed only against the question name (always at offset 12), so each record is
 * position-independent: the hot path may shuffle, rotate or drop them without re-encoding anything.
 */
import { zoneNames, type NameRecords, type ZoneSnapshot } from './names.js';
import { addressRdata, CLASS_IN, dottedFromKey, QNAME_OFFSET, questionDictionary, RCODE, TYPE, wireKey, Writer, type Dictionary } from './wire.js';

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
  /** The table this one replaces: answers of names whose records did not change are reused. */
  previous?: ZoneTable;
}

/** Per table: each name's encoded answers with the signature of the records they were built from. */
interface Memo {
  settings: string;
  byName: Map<string, { sig: string; types: ReadonlyMap<number, Prepared>; any: Prepared }>;
}
const memos = new WeakMap<ZoneTable, Memo>();

const EMPTY = Buffer.alloc(0);
const NO_OFFSETS = new Uint32Array(1);
const NO_COUNTS = new Uint16Array(0);
// Encoding happens on one thread, one table at a time: two writers serve every build.
const answersW = new Writer();
const extrasW = new Writer();

export function buildTable(opts: TableOptions): ZoneTable {
  const zone = opts.zone.replace(/\.+$/, '').toLowerCase();
  const zoneKey = wireKey(zone);
  const ttl = opts.ttl;
  const rr = (w: Writer, owner: string, dict: Dictionary | undefined, type: number, rdata: (w: Writer) => void) => {
    w.name(owner, dict).u16(type).u16(CLASS_IN).u32(ttl);
    const at = w.length;
    w.u16(0);
    rdata(w);
    w.setU16(at, w.length - at - 2);
  };
  const nsKey = wireKey(`ns.${zone}`);
  const hostmasterKey = wireKey(`hostmaster.${zone}`);
  const soa = (w: Writer, dict: Dictionary | undefined) =>
    rr(w, zoneKey, dict, TYPE.SOA, (d) => {
      d.name(nsKey, dict).name(hostmasterKey, dict);
      d.u32(opts.serial >>> 0).u32(3600).u32(600).u32(86_400).u32(ttl);
    });
  // Many names share an address (service, tag, instance, SRV target): parse each once.
  const rdataCache = new Map<string, number[] | undefined>();
  const rdataOf = (type: number, addr: string) => {
    const k = `${type} ${addr}`;
    if (!rdataCache.has(k)) rdataCache.set(k, addressRdata(type, addr));
    return rdataCache.get(k);
  };
  const address = (w: Writer, owner: string, dict: Dictionary, addr: string, type: number): boolean => {
    const bytes = rdataOf(type, addr);
    if (bytes) rr(w, owner, dict, type, (d) => d.raw(bytes));
    return bytes !== undefined;
  };

  const prepare = (parts: Part[], shuffle: boolean): Prepared => {
    answersW.reset();
    extrasW.reset();
    const ansOff = new Uint32Array(parts.length + 1);
    const extOff = new Uint32Array(parts.length + 1);
    const extCount = new Uint16Array(parts.length);
    parts.forEach((p, i) => {
      p.answer(answersW);
      extCount[i] = p.extra?.(extrasW) ?? 0;
      ansOff[i + 1] = answersW.length;
      extOff[i + 1] = extrasW.length;
    });
    const extras = extrasW.length > 0 ? extrasW.buffer() : EMPTY;
    return { rcode: RCODE.NOERROR, count: parts.length, answers: answersW.buffer(), ansOff, extras, extOff, extCount, authority: EMPTY, authCount: 0, shuffle };
  };
  /** No records, the SOA in authority: shared by every name whose zone suffix sits at the same offset. */
  const negative = (rcode: number, zoneAt: number | undefined): Prepared => {
    const w = new Writer();
    soa(w, zoneAt === undefined ? undefined : new Map([[zoneKey, zoneAt]]));
    return { rcode, count: 0, answers: EMPTY, ansOff: NO_OFFSETS, extras: EMPTY, extOff: NO_OFFSETS, extCount: NO_COUNTS, authority: w.buffer(), authCount: 1, shuffle: false };
  };
  const nodataByOffset = new Map<number, Prepared>();
  const nodataFor = (q: string): Prepared => {
    const at = q.endsWith(zoneKey) ? QNAME_OFFSET + q.length - zoneKey.length : -1;
    let p = nodataByOffset.get(at);
    if (!p) nodataByOffset.set(at, (p = negative(RCODE.NOERROR, at < 0 ? undefined : at)));
    return p;
  };

  const entry = (q: string, rec: NameRecords): NameEntry => {
    const dict = questionDictionary(q);
    const byType = new Map<number, Part[]>();
    const add = (type: number, part: Part) => {
      const list = byType.get(type);
      if (list) list.push(part);
      else byType.set(type, [part]);
    };
    for (const type of [TYPE.A, TYPE.AAAA]) {
      for (const a of rec.addresses) {
        if (rdataOf(type, a)) add(type, { answer: (w) => address(w, q, dict, a, type) });
      }
    }
    for (const s of rec.srv) {
      add(TYPE.SRV, {
        answer: (w) => rr(w, q, dict, TYPE.SRV, (d) => d.u16(1).u16(1).u16(s.port).name(s.target, dict)),
        extra: (w) => (address(w, s.target, dict, s.address, TYPE.A) || address(w, s.target, dict, s.address, TYPE.AAAA) ? 1 : 0),
      });
    }
    for (const t of rec.ptr) add(TYPE.PTR, { answer: (w) => rr(w, q, dict, TYPE.PTR, (d) => d.name(t, dict)) });
    if (rec.apex) {
      add(TYPE.SOA, { answer: (w) => soa(w, dict) });
      add(TYPE.NS, {
        answer: (w) => rr(w, q, dict, TYPE.NS, (d) => d.name(nsKey, dict)),
        extra: (w) => [TYPE.A, TYPE.AAAA].filter((t) => address(w, nsKey, dict, opts.nsAddress, t)).length,
      });
    }

    const types = new Map<number, Prepared>();
    for (const [type, parts] of byType) types.set(type, prepare(parts, type !== TYPE.SOA));
    return { types, nodata: nodataFor(q), any: anyOf([...types.values()]) };
  };

  /** ANY: the records of every type, concatenated (they are position-independent), no additional. */
  const anyOf = (sets: Prepared[]): Prepared => {
    const count = sets.reduce((n, p) => n + p.count, 0);
    const ansOff = new Uint32Array(count + 1);
    let i = 0;
    let base = 0;
    for (const p of sets) {
      for (let j = 1; j <= p.count; j++) ansOff[++i] = base + p.ansOff[j]!;
      base += p.answers.length;
    }
    const answers = Buffer.concat(sets.map((p) => p.answers));
    const empty = Buffer.alloc(0);
    return { rcode: RCODE.NOERROR, count, answers, ansOff, extras: empty, extOff: new Uint32Array(count + 1), extCount: new Uint16Array(count), authority: empty, authCount: 0, shuffle: false };
  };

  const settings = `${zone} ${ttl} ${opts.nsAddress}`;
  const old = opts.previous && memos.get(opts.previous);
  const reuse = old?.settings === settings ? old.byName : undefined;
  const memo: Memo = { settings, byName: new Map() };
  const names = new Map<string, NameEntry>();
  let records = 0;
  for (const [key, rec] of zoneNames(opts)) {
    // The apex carries the serial, so it is always rebuilt; other names only when their records changed.
    const sig = rec.apex ? '' : signature(rec);
    const cached = rec.apex ? undefined : reuse?.get(key);
    const e: NameEntry =
      cached && cached.sig === sig ? { types: cached.types, any: cached.any, nodata: nodataFor(key) } : entry(key, rec);
    if (!rec.apex) memo.byName.set(key, { sig, types: e.types, any: e.any });
    names.set(key, Object.freeze(e));
    for (const p of e.types.values()) records += p.count + countExtras(p);
  }
  const table: ZoneTable = Object.freeze({ zone, zoneKey, names, nxdomain: negative(RCODE.NXDOMAIN, undefined), ttl, records });
  memos.set(table, memo);
  return table;
}

function countExtras(p: Prepared): number {
  let n = 0;
  for (let i = 0; i < p.extCount.length; i++) n += p.extCount[i]!;
  return n;
}

function signature(rec: NameRecords): string {
  return `${rec.addresses.join(',')}|${rec.srv.map((s) => `${s.port} ${s.target} ${s.address}`).join(',')}|${rec.ptr.join(',')}`;
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
