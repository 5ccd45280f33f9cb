/**
 * The zone table: every (name, type) answer pre-encoded in wire format when the catalog changes, so
 * a query costs a parse of its question, one map lookup and a few byte copies (see `answer.ts`).
 * Names whose records did not change keep the answers encoded for the previous table.
 */
import { Encoder, recordCount, type Part, type Prepared } from './encoder.js';
import { NameIndex } from './lookup.js';
import { zoneNames, type NameRecords, type ZoneSnapshot } from './names.js';
import { dottedFromKey, questionDictionary, RCODE, TYPE, Writer } from './wire.js';

export type { Prepared } from './encoder.js';

export interface NameEntry {
  readonly types: ReadonlyMap<number, Prepared>;
  /** Answer to any type the name has no records of (and to no-healthy-instance names): NODATA + SOA. */
  readonly nodata: Prepared;
  /** Answer to ANY: every record of the name, no additional section. */
  readonly any: Prepared;
}

/** A name as the hot path reads it: answers in an array indexed by type number (no Map lookup). */
export interface HotEntry {
  readonly byType: readonly (Prepared | undefined)[];
  readonly nodata: Prepared;
  readonly any: Prepared;
}

/** An immutable table; the server swaps the whole reference on each catalog change. */
export interface ZoneTable {
  readonly zone: string;
  /** Lowercased wire form of the zone apex. */
  readonly zoneKey: string;
  readonly names: ReadonlyMap<string, NameEntry>;
  /** The same names, looked up on the query's bytes (see `lookup.ts`). */
  readonly index: NameIndex<HotEntry>;
  /** NXDOMAIN with the SOA in authority, uncompressed (the question is not known in advance). */
  readonly nxdomain: Prepared;
  /** Reverse zones served (`c.b.a.in-addr.arpa`, looked up on the query's last five labels) → their NXDOMAIN. */
  readonly reverseNxdomain: NameIndex<Prepared>;
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

export function buildTable(opts: TableOptions): ZoneTable {
  const zone = opts.zone.replace(/\.+$/, '').toLowerCase();
  const ttl = opts.ttl;
  const enc = new Encoder(zone, ttl, opts.serial);

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
        if (enc.rdataOf(type, a)) add(type, { answer: (w) => enc.address(w, q, dict, a, type) });
      }
    }
    for (const s of rec.srv) {
      add(TYPE.SRV, {
        // RFC 2782: the target is never compressed. Like every RDATA name here it is written as
        // registered, never in the case of the question it would otherwise point into.
        answer: (w) => enc.rr(w, q, dict, TYPE.SRV, (d) => d.u16(1).u16(1).u16(s.port).name(s.target)),
        extra: (w) => (enc.address(w, s.target, dict, s.address, TYPE.A) || enc.address(w, s.target, dict, s.address, TYPE.AAAA) ? 1 : 0),
      });
    }
    for (const t of rec.ptr) add(TYPE.PTR, { answer: (w) => enc.rr(w, q, dict, TYPE.PTR, (d) => d.name(t)) });
    if (rec.apex) {
      add(TYPE.SOA, { answer: (w: Writer) => enc.soa(w, q, dict) });
      add(TYPE.NS, {
        answer: (w) => enc.rr(w, q, dict, TYPE.NS, (d) => d.name(enc.nsKey)),
        extra: (w) => [TYPE.A, TYPE.AAAA].filter((t) => enc.address(w, enc.nsKey, dict, opts.nsAddress, t)).length,
      });
    }
    const types = new Map<number, Prepared>();
    for (const [type, parts] of byType) types.set(type, enc.prepare(parts, type !== TYPE.SOA));
    return { types, nodata: enc.nodataFor(q, rec.zone), any: enc.anyOf([...types.values()]) };
  };

  const settings = `${zone} ${ttl} ${opts.nsAddress}`;
  const old = opts.previous && memos.get(opts.previous);
  const reuse = old?.settings === settings ? old.byName : undefined;
  const memo: Memo = { settings, byName: new Map() };
  const names = new Map<string, NameEntry>();
  const reverse: [string, Prepared][] = [];
  let records = 0;
  for (const [key, rec] of zoneNames(opts)) {
    // The apex carries the serial, so it is always rebuilt; other names only when their records changed.
    const sig = rec.apex ? '' : signature(rec);
    const cached = rec.apex ? undefined : reuse?.get(key);
    const e: NameEntry =
      cached && cached.sig === sig ? { types: cached.types, any: cached.any, nodata: enc.nodataFor(key, rec.zone) } : entry(key, rec);
    if (!rec.apex) memo.byName.set(key, { sig, types: e.types, any: e.any });
    names.set(key, Object.freeze(e));
    for (const p of e.types.values()) records += recordCount(p);
    if (rec.apex && rec.zone !== enc.zoneKey) reverse.push([key, enc.negative(RCODE.NXDOMAIN, key, undefined)]);
  }
  const nxdomain = enc.negative(RCODE.NXDOMAIN, enc.zoneKey, undefined);
  const index = new NameIndex([...names].map(([key, e]) => [key, hot(e)] as const));
  const reverseNxdomain = new NameIndex(reverse);
  const table: ZoneTable = Object.freeze({ zone, zoneKey: enc.zoneKey, names, index, nxdomain, reverseNxdomain, ttl, records });
  memos.set(table, memo);
  return table;
}

function hot(e: NameEntry): HotEntry {
  const byType: (Prepared | undefined)[] = Array.from({ length: Math.max(0, ...e.types.keys()) + 1 }, () => undefined);
  for (const [type, p] of e.types) byType[type] = p;
  return Object.freeze({ byType, nodata: e.nodata, any: e.any });
}

function signature(rec: NameRecords): string {
  return `${rec.addresses.join(',')}|${rec.srv.map((s) => `${s.port} ${s.target} ${s.address}`).join(',')}|${rec.ptr.join(',')}`;
}

/** A readable view of the table for the API and tests: dotted name → type numbers served. */
export function describeTable(table: ZoneTable): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [key, e] of table.names) out[dottedFromKey(key)] = [...e.types.keys()].sort((a, b) => a - b);
  return out;
}
