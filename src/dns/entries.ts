/**
 * One name's answers, encoded: every type's records as a `Prepared` and the NODATA answer for other
 * types, in one object that is both what the table lists (`types`) and what the hot path reads
 * (`forType`). A name whose merged records are the same as before keeps its entry object:
 * nothing is re-encoded and the table's index does not change for it.
 *
 * Memory: a table of 10,000 instances holds ~22,000 of these. One object with a field per type the
 * zone serves replaces what were three objects, a Map and a type-indexed array per name, and ANY (a
 * copy of every record of the name) is put together when asked instead of held for every name.
 */
import { anyOf, Encoder, recordCount, type Part, type Prepared } from './encoder.js';
import { sameRecords, type NameRecords } from './names.js';
import { questionDictionary, RCODE, TYPE, Writer } from './wire.js';

/** The types a name of this zone can hold, in the order ANY lists them. */
const SERVED = [TYPE.A, TYPE.AAAA, TYPE.SRV, TYPE.PTR, TYPE.SOA, TYPE.NS] as const;

export class NameEntry {
  constructor(
    readonly a: Prepared | undefined,
    readonly aaaa: Prepared | undefined,
    readonly srv: Prepared | undefined,
    readonly ptr: Prepared | undefined,
    readonly soa: Prepared | undefined,
    readonly ns: Prepared | undefined,
    /** Answer to any type the name has no records of (and to no-healthy-instance names): NODATA + SOA. */
    readonly nodata: Prepared,
    /**
     * The records the answers were built from, compared at the next build. Usually the builder's own
     * fragment: when a rebuilt owner's new fragment equals it, `make` points this at the new one, so
     * the old fragment is not kept alive by the entry alone (same content: nothing a reader sees changes).
     */
    public rec: NameRecords,
    /** Resource records across its answers (for the table's count). */
    readonly records: number,
  ) {}

  /** The hot path: the answer for `type`, or undefined when the name has no records of it. */
  forType(type: number): Prepared | undefined {
    switch (type) {
      case TYPE.A:
        return this.a;
      case TYPE.AAAA:
        return this.aaaa;
      case TYPE.SRV:
        return this.srv;
      case TYPE.PTR:
        return this.ptr;
      case TYPE.SOA:
        return this.soa;
      case TYPE.NS:
        return this.ns;
      default:
        return undefined;
    }
  }

  /** Type number → its answer, for the types the name has (a new Map per call: tools and tests). */
  get types(): ReadonlyMap<number, Prepared> {
    const out = new Map<number, Prepared>();
    for (const t of SERVED) {
      const p = this.forType(t);
      if (p) out.set(t, p);
    }
    return out;
  }

  /**
   * ANY: every record of the name, no additional section; undefined when it has none (NODATA).
   * Built per ANY query (a copy of the name's records, like one answer's work), not kept: held for
   * every name it doubled the table, and memoised an ANY sweep of the zone would do the same.
   */
  any(): Prepared | undefined {
    const sets: Prepared[] = [];
    for (const t of SERVED) {
      const p = this.forType(t);
      if (p) sets.push(p);
    }
    return sets.length ? anyOf(sets) : undefined;
  }
}

export class EntryMaker {
  /** NXDOMAIN with the zone's SOA in authority, uncompressed (the question is not known in advance). */
  readonly nxdomain: Prepared;

  constructor(
    private readonly enc: Encoder,
    private readonly nsAddress: string,
  ) {
    this.nxdomain = enc.negative(RCODE.NXDOMAIN, enc.zoneKey, undefined);
  }

  /** The entry of `key` with records `rec`: `before` itself when it was built from the same records. */
  make(key: string, rec: NameRecords, before: NameEntry | undefined): NameEntry {
    if (before !== undefined && sameRecords(before.rec, rec)) {
      before.rec = rec;
      return before;
    }
    const byType = this.encode(key, rec);
    let records = 0;
    for (const p of byType.values()) records += recordCount(p);
    const t = (type: number) => byType.get(type);
    return new NameEntry(t(TYPE.A), t(TYPE.AAAA), t(TYPE.SRV), t(TYPE.PTR), t(TYPE.SOA), t(TYPE.NS), this.enc.nodataFor(key, rec.zone), rec, records);
  }

  private encode(q: string, rec: NameRecords): Map<number, Prepared> {
    const { enc } = this;
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
      add(TYPE.SOA, { answer: (w: Writer) => enc.soa(w, q, dict), soa: true });
      add(TYPE.NS, {
        answer: (w) => enc.rr(w, q, dict, TYPE.NS, (d) => d.name(enc.nsKey)),
        extra: (w) => [TYPE.A, TYPE.AAAA].filter((t) => enc.address(w, enc.nsKey, dict, this.nsAddress, t)).length,
      });
    }
    const types = new Map<number, Prepared>();
    for (const [type, parts] of byType) types.set(type, enc.prepare(parts, type !== TYPE.SOA));
    return types;
  }
}
