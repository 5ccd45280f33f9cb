/**
 * The zone table: every (name, type) answer pre-encoded in wire format when the catalog changes, so
 * a query costs a parse of its question, one hashed lookup on its bytes and a few byte copies (see
 * `answer.ts`). Tables are built by a `ZoneBuilder` (`builder.ts`), which re-encodes only the names
 * a change touched and shares everything else with the previous table.
 */
import { ZoneBuilder } from './builder.js';
import type { Prepared } from './encoder.js';
import type { NameEntry } from './entries.js';
import type { NameIndex } from './lookup.js';
import type { ZoneSnapshot } from './names.js';
import { dottedFromKey } from './wire.js';

export { Prepared } from './encoder.js';

/**
 * A name's answers (`entries.ts`): `types` lists them, `forType(type)` is the hot path's pick,
 * `nodata` answers any other type, `any()` builds the answer to ANY.
 */
export type { NameEntry } from './entries.js';
/** What the hot path reads of a name: the same object. */
export type HotEntry = NameEntry;

/** An immutable table; the server swaps the whole reference on each catalog change. */
export interface ZoneTable {
  readonly zone: string;
  /** Lowercased wire form of the zone apex. */
  readonly zoneKey: string;
  readonly names: ReadonlyMap<string, NameEntry>;
  /** The same names, looked up on the query's bytes (see `lookup.ts`, `shards.ts`). */
  readonly index: { find(bytes: Uint8Array, start: number, end: number): HotEntry | undefined };
  /** NXDOMAIN with the SOA in authority, uncompressed (the question is not known in advance). */
  readonly nxdomain: Prepared;
  /** Reverse zones served (`c.b.a.in-addr.arpa`, looked up on the query's last five labels) → their NXDOMAIN. */
  readonly reverseNxdomain: NameIndex<Prepared>;
  readonly ttl: number;
  /** Resource records held across all answers. */
  readonly records: number;
  /** SOA serial (the catalog index), written into each response's SOA records. */
  readonly serial: number;
}

export interface TableOptions extends ZoneSnapshot {
  ttl: number;
  /** SOA serial; the catalog index fits. */
  serial: number;
  /** The table this one replaces: built from it in proportion to what changed, when it is the builder's last. */
  previous?: ZoneTable;
}

const builders = new WeakMap<ZoneTable, ZoneBuilder>();

/** The table of one snapshot; with `previous` (the last table of the same settings) only changes are encoded. */
export function buildTable(opts: TableOptions): ZoneTable {
  const old = opts.previous && builders.get(opts.previous);
  const zone = opts.zone.replace(/\.+$/, '').toLowerCase();
  const reuse = old !== undefined && old.last === opts.previous && old.settings === `${zone} ${opts.ttl} ${opts.nsAddress}`;
  const builder = reuse ? old : new ZoneBuilder(zone, opts.ttl, opts.nsAddress);
  const table = builder.update(opts.instances, opts.hosts, opts.serial);
  builders.set(table, builder);
  return table;
}

/** A readable view of the table for the API and tests: dotted name → type numbers served. */
export function describeTable(table: ZoneTable): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [key, e] of table.names) out[dottedFromKey(key)] = [...e.types.keys()].sort((a, b) => a - b);
  return out;
}
