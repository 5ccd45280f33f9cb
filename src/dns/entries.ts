/**
 * One name's answers, encoded: every type's records as a `Prepared`, the NODATA answer for other
 * types, ANY, and the hot path's view (answers in an array indexed by type number). A name whose
 * merged records have the same signature as before keeps its entry object: nothing is re-encoded
 * and the table's index does not change for it.
 */
import { Encoder, recordCount, type Part, type Prepared } from './encoder.js';
import type { NameRecords } from './names.js';
import type { Held as ShardHeld } from './shards.js';
import type { HotEntry, NameEntry } from './table.js';
import { questionDictionary, RCODE, TYPE, Writer } from './wire.js';

/** A name as the table holds it. */
export interface Held extends ShardHeld<NameEntry, HotEntry> {
  /** The records the answers were built from, as one string. */
  readonly sig: string;
  /** Resource records across its answers (for the table's count). */
  readonly records: number;
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
  make(key: string, rec: NameRecords, before: Held | undefined): Held {
    const sig = signature(rec);
    if (before !== undefined && before.sig === sig) return before;
    const value = this.entry(key, rec);
    let records = 0;
    for (const p of value.types.values()) records += recordCount(p);
    return Object.freeze({ value, hot: hot(value), sig, records });
  }

  private entry(q: string, rec: NameRecords): NameEntry {
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
    return Object.freeze({ types, nodata: enc.nodataFor(q, rec.zone), any: enc.anyOf([...types.values()]) });
  }
}

function hot(e: NameEntry): HotEntry {
  const byType: (Prepared | undefined)[] = Array.from({ length: Math.max(0, ...e.types.keys()) + 1 }, () => undefined);
  for (const [type, p] of e.types) byType[type] = p;
  return Object.freeze({ byType, nodata: e.nodata, any: e.any });
}

function signature(rec: NameRecords): string {
  return `${rec.apex ? 'apex ' : ''}${rec.zone}|${rec.addresses.join(',')}|${rec.srv.map((s) => `${s.port} ${s.target} ${s.address}`).join(',')}|${rec.ptr.join(',')}`;
}
