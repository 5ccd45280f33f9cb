/**
 * Follows catalog snapshots in proportion to what changed. Each owner of names — the apex, a
 * service, a host — keeps the fragments it contributed (`names.ts`); a snapshot is grouped by
 * owner, owners whose routing-relevant fields did not change are skipped after a comparison, and
 * only the names a changed owner touches are merged, compared with what they answered, encoded
 * when different (`entries.ts`), and swapped into a copy-on-write index (`shards.ts`). A table
 * handed out is never mutated: the next one shares every untouched shard with it.
 */
import type { HostStatus, ServiceInstance } from '../catalog/types.js';
import { Encoder, type Prepared } from './encoder.js';
import { EntryMaker, NameEntry } from './entries.js';
import { NameIndex } from './lookup.js';
import { apexFragments, byServiceLabel, hostFragments, label, mergeRecords, sameRecords, serviceFragments, type NameMap, type NameRecords } from './names.js';
import { ShardedNames } from './shards.js';
import type { ZoneTable } from './table.js';
import { RCODE } from './wire.js';

/** Owners to bring up to date: each with everything it holds now (empty: it is gone). */
export interface OwnerChanges {
  /** Service DNS label → all its instances, any health. */
  services: ReadonlyMap<string, readonly ServiceInstance[]>;
  /** Host name → the hosts of that name. */
  hosts: ReadonlyMap<string, readonly HostStatus[]>;
}

export type BuiltTable = ZoneTable & { changedNames: number };

interface Owner {
  /** What the fragments were built from (compared with the next snapshot). */
  source: readonly unknown[];
  /** The names it contributes to, and its fragment of each: key, records, key, records, … */
  frags: (string | NameRecords)[];
}

/**
 * A name's fragments by owner: owner ID, records, owner ID, records, … Most names have one owner;
 * a flat array costs ~60 bytes where a Map per name cost ~300 (22,000 names at 10,000 instances).
 */
type Parts = (string | NameRecords)[];

/** Memoised labels of service names: a label costs a few regular expressions, a busy catalog repeats them. */
const LABEL_MEMO_MAX = 100_000;

export class ZoneBuilder {
  readonly zone: string;
  readonly settings: string;
  /** The last table built: only a build from it may be incremental. */
  last: ZoneTable | undefined;
  readonly #enc: Encoder;
  readonly #maker: EntryMaker;
  readonly #owners = new Map<string, Owner>();
  /** Name → owner → that owner's fragment of it. */
  readonly #byKey = new Map<string, Parts>();
  #names = ShardedNames.empty<NameEntry>();
  #records = 0;
  readonly #reverse = new Map<string, Prepared>();
  #reverseIndex = new NameIndex<Prepared>([]);
  readonly #labels = new Map<string, string | undefined>();

  constructor(zone: string, private readonly ttl: number, private readonly nsAddress: string) {
    this.zone = zone.replace(/\.+$/, '').toLowerCase();
    this.settings = `${this.zone} ${ttl} ${nsAddress}`;
    this.#enc = new Encoder(this.zone, ttl);
    this.#maker = new EntryMaker(this.#enc, this.nsAddress);
    this.#setOwner('apex', [], apexFragments(this.zone, nsAddress), this.#pending);
  }

  /** Names touched before the first update (the apex's): built with it. */
  readonly #pending = new Set<string>();

  /** Owners compared with their last fragments, owners rebuilt, and owners' fragments merged into names, since the builder was made (tests, benchmark). */
  readonly counts = { compared: 0, rebuilt: 0, merged: 0 };

  /** The table of a whole snapshot (owners absent from it are removed); `changedNames` counts the names re-merged. */
  update(instances: readonly ServiceInstance[], hosts: readonly HostStatus[], serial: number): BuiltTable {
    const services: Map<string, readonly ServiceInstance[]> = byServiceLabel(instances, (s) => this.#label(s));
    const byHost = new Map<string, HostStatus[]>();
    for (const h of hosts) (byHost.get(h.name) ?? byHost.set(h.name, []).get(h.name)!).push(h);
    for (const id of this.#owners.keys()) {
      if (id.startsWith('s ') && !services.has(id.slice(2))) services.set(id.slice(2), []);
      if (id.startsWith('h ') && !byHost.has(id.slice(2))) byHost.set(id.slice(2), []);
    }
    return this.apply({ services, hosts: byHost }, serial);
  }

  /** The table after `changes`: only the owners listed are compared and rebuilt. */
  apply(changes: OwnerChanges, serial: number): BuiltTable {
    const steps = this.#steps(changes, serial);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /**
   * `apply`, giving the event loop back every `sliceMs` (a cold build of 10,000 instances is ~1 s
   * of work). The table is published only when whole: queries meanwhile read the previous one. One
   * build at a time per builder (the caller serialises them).
   */
  async applyAsync(changes: OwnerChanges, serial: number, sliceMs: number): Promise<BuiltTable> {
    const steps = this.#steps(changes, serial);
    let sliceStart = performance.now();
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      if (performance.now() - sliceStart >= sliceMs) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  }

  /** The label of a service name as DNS serves it (memoised), or undefined when it has none. */
  labelOf = (service: string): string | undefined => this.#label(service);

  /** One owner (a service or a host): dropped when it has no source left, rebuilt only when its source changed. */
  #refresh<T>(id: string, source: readonly T[], same: (prev: readonly unknown[] | undefined, next: readonly T[]) => boolean, fragments: () => NameMap, touched: Set<string>): void {
    this.counts.compared++;
    if (source.length === 0) {
      if (this.#owners.has(id)) this.#setOwner(id, [], undefined, touched);
    } else if (!same(this.#owners.get(id)?.source, source)) {
      this.counts.rebuilt++;
      this.#setOwner(id, source, fragments(), touched);
    }
  }

  *#steps(changes: OwnerChanges, serial: number): Generator<void, BuiltTable> {
    const touched = new Set<string>(this.#pending);
    this.#pending.clear();
    for (const [svc, all] of changes.services) {
      this.#refresh(`s ${svc}`, all, sameInstances, () => serviceFragments(this.zone, svc, all), touched);
      yield;
    }
    for (const [name, list] of changes.hosts) {
      this.#refresh(`h ${name}`, list, sameHosts, () => mergeMaps(list.map((h) => hostFragments(this.zone, h))), touched);
      yield;
    }

    const entries = new Map<string, NameEntry | undefined>();
    let reverseChanged = false;
    for (const key of touched) {
      const parts = this.#byKey.get(key);
      const before = this.#names.get(key);
      const rec = parts && parts.length > 0 ? mergeRecords(hostsFirst(parts)) : undefined;
      this.counts.merged += (parts?.length ?? 0) / 2;
      if (rec === undefined) this.#byKey.delete(key);
      const after = rec === undefined ? undefined : this.#maker.make(key, rec, before);
      if (after === before) continue;
      entries.set(key, after);
      this.#records += (after?.records ?? 0) - (before?.records ?? 0);
      const wasReverse = this.#reverse.has(key);
      const isReverse = rec !== undefined && rec.apex && rec.zone !== this.#enc.zoneKey;
      if (isReverse && !wasReverse) this.#reverse.set(key, this.#enc.negative(RCODE.NXDOMAIN, key, undefined));
      if (!isReverse && wasReverse) this.#reverse.delete(key);
      reverseChanged ||= isReverse !== wasReverse;
      yield;
    }
    this.#names = yield* this.#names.withSteps(entries, this.#enc.memory);
    if (reverseChanged) this.#reverseIndex = new NameIndex(this.#reverse, this.#enc.memory);
    const table = Object.freeze({
      zone: this.zone,
      zoneKey: this.#enc.zoneKey,
      names: this.#names,
      index: this.#names,
      nxdomain: this.#maker.nxdomain,
      reverseNxdomain: this.#reverseIndex,
      ttl: this.ttl,
      records: this.#records,
      serial,
      changedNames: entries.size,
    });
    this.last = table;
    // The first table's answers live together; later builds replace a few at a time (arena.ts).
    this.#enc.memory.settle();
    return table;
  }

  #label(service: string): string | undefined {
    if (this.#labels.size > LABEL_MEMO_MAX) this.#labels.clear();
    if (!this.#labels.has(service)) this.#labels.set(service, label(service));
    return this.#labels.get(service);
  }

  /**
   * Replaces what owner `id` contributes. A name whose fragment from it is unchanged (structurally)
   * is left alone — not re-merged: a health flip rebuilds a service's fragments, and each of its
   * instances' addresses also holds its /24 reverse zone's apex, a name with up to 256 owners.
   */
  #setOwner(id: string, source: readonly unknown[], frags: NameMap | undefined, touched?: Set<string>): void {
    const old = this.#owners.get(id);
    const before = new Map<string, NameRecords>();
    if (old) for (let i = 0; i < old.frags.length; i += 2) before.set(old.frags[i] as string, old.frags[i + 1] as NameRecords);
    const unchanged = (key: string, rec: NameRecords | undefined): NameRecords | undefined => {
      const prev = before.get(key);
      return prev !== undefined && rec !== undefined && (prev === rec || sameRecords(prev, rec)) ? prev : undefined;
    };
    for (const key of before.keys()) {
      if (unchanged(key, frags?.get(key))) continue;
      const parts = this.#byKey.get(key);
      const at = parts ? parts.indexOf(id) : -1;
      if (at >= 0) parts!.splice(at, 2);
      touched?.add(key);
    }
    if (frags === undefined) return void this.#owners.delete(id);
    const flat: (string | NameRecords)[] = [];
    for (const [key, rec] of frags) {
      const kept = unchanged(key, rec);
      flat.push(key, kept ?? rec);
      if (kept) continue;
      const parts = this.#byKey.get(key);
      if (parts) parts.push(id, rec);
      else this.#byKey.set(key, [id, rec]);
      touched?.add(key);
    }
    this.#owners.set(id, { source, frags: flat.slice() }); // exact size: pushing leaves spare room
  }
}

/** Equal for DNS: the same instances in the same order, with the same fields names are built from. */
function sameInstances(prev: readonly unknown[] | undefined, next: readonly ServiceInstance[]): boolean {
  if (prev === undefined || prev.length !== next.length) return false;
  for (let i = 0; i < next.length; i++) {
    const a = prev[i] as ServiceInstance;
    const b = next[i]!;
    if (a === b) continue;
    if (a.id !== b.id || a.address !== b.address || a.port !== b.port || a.health !== b.health || a.name !== b.name || a.service !== b.service) return false;
    if (a.tags.length !== b.tags.length || a.tags.some((t, j) => t !== b.tags[j])) return false;
  }
  return true;
}

function sameHosts(prev: readonly unknown[] | undefined, next: readonly HostStatus[]): boolean {
  return prev !== undefined && prev.length === next.length && next.every((h, i) => (prev[i] as HostStatus).address === h.address);
}

/** A name's fragments with the hosts' first: a capped PTR list starts with the host's own name. */
function hostsFirst(parts: Parts): NameRecords[] {
  const out: NameRecords[] = [];
  for (let i = 0; i < parts.length; i += 2) if ((parts[i] as string).startsWith('h ')) out.push(parts[i + 1] as NameRecords);
  for (let i = 0; i < parts.length; i += 2) if (!(parts[i] as string).startsWith('h ')) out.push(parts[i + 1] as NameRecords);
  return out;
}

/** Several hosts of one name (a catalog oddity) own their names together. */
function mergeMaps(maps: NameMap[]): NameMap {
  if (maps.length === 1) return maps[0]!;
  const parts = new Map<string, NameRecords[]>();
  for (const m of maps) for (const [k, r] of m) (parts.get(k) ?? parts.set(k, []).get(k)!).push(r);
  return new Map([...parts].map(([k, rs]) => [k, mergeRecords(rs)]));
}
