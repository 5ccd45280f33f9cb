/**
 * The hot path's name lookup, straight on the query's bytes: an open-addressing hash table keyed by
 * the lowercased wire form of a name, hashed and compared case-insensitively where the name sits in
 * the packet. A `Map<string, …>` lookup first needs the key as a string (a latin1 slice, a lowercase
 * copy, then hashing that new string): two allocations per query that this avoids.
 */
import type { TableMemory } from './arena.js';

/** Length bytes are <= 63, so folding ASCII A–Z touches only letters of a wire-form name. */
const fold = (b: number): number => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);

export function hashOf(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  for (let i = start; i < end; i++) h = Math.imul(h ^ fold(bytes[i]!), 0x01000193);
  return h | 0;
}

/** The same hash of a key held as a (lowercased, latin1) string. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5 ^ key.length;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ fold(key.charCodeAt(i)), 0x01000193);
  return h | 0;
}

/**
 * An immutable index from lowercased wire-form keys (latin1 strings, as `wireKey` makes) to values.
 * Besides the hot path's `find` on packet bytes it answers `get` on a key string and lists its
 * entries, so a shard of the table needs nothing else (no Map beside it). Its integers live in one
 * Int32Array — key offsets, hashes, then the slots — and its keys in one Buffer: a typed array costs
 * ~200 bytes of bookkeeping whatever its length, and a table has hundreds of these.
 */
export class NameIndex<T> {
  /** Every key's bytes, back to back; key `e` spans `ints[e]`..`ints[e + 1]`. */
  private readonly keyBytes: Buffer;
  /** `[0..n]` key offsets, `[n+1..2n]` key hashes, then the slots (open addressing, linear probing; entry number + 1, 0 empty). */
  private readonly ints: Int32Array;
  private readonly values: T[];
  private readonly hashAt: number;
  private readonly slotAt: number;
  private readonly mask: number;

  /**
   * `memory`: where a table's index keeps its keys (arena.ts); Node's pool without it. `shared`
   * (from `withValues`): another index's keys, hashes and slots with values of its own, `entries`
   * unread.
   */
  constructor(entries: Iterable<readonly [string, T]>, memory?: TableMemory, shared?: { keys: NameIndex<unknown>; values: T[] }) {
    if (shared !== undefined) {
      const k = shared.keys;
      this.values = shared.values;
      this.keyBytes = k.keyBytes;
      this.hashAt = k.hashAt;
      this.slotAt = k.slotAt;
      this.ints = k.ints;
      this.mask = k.mask;
      return;
    }
    const list = [...entries];
    const n = list.length;
    this.values = list.map(([, v]) => v);
    const keys = list.map(([k]) => k).join('');
    this.keyBytes = memory ? memory.latin1(keys) : Buffer.from(keys, 'latin1');
    let cap = 16;
    while (cap < n * 2) cap *= 2;
    this.hashAt = n + 1;
    this.slotAt = 2 * n + 1;
    this.ints = new Int32Array(this.slotAt + cap);
    this.mask = cap - 1;
    const { ints, hashAt, slotAt, mask } = this;
    let off = 0;
    for (let e = 0; e < n; e++) {
      const len = list[e]![0].length;
      ints[e] = off;
      const h = hashOf(this.keyBytes, off, off + len);
      ints[hashAt + e] = h;
      let s = h & mask;
      while (ints[slotAt + s] !== 0) s = (s + 1) & mask;
      ints[slotAt + s] = e + 1;
      off += len;
    }
    ints[n] = off;
  }

  get size(): number {
    return this.values.length;
  }

  /** The value of the name at `bytes[start..end)` (wire form, any case), or undefined. */
  find(bytes: Uint8Array, start: number, end: number): T | undefined {
    return this.findHashed(hashOf(bytes, start, end), bytes, start, end);
  }

  /** `find` when the caller already hashed the name (`hashOf`). */
  findHashed(h: number, bytes: Uint8Array, start: number, end: number): T | undefined {
    const len = end - start;
    const { ints, mask, hashAt, slotAt, keyBytes } = this;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = ints[slotAt + s]! - 1;
      if (e < 0) return undefined;
      if (ints[hashAt + e] !== h) continue;
      const k = ints[e]!;
      if (ints[e + 1]! - k !== len) continue;
      let i = 0;
      while (i < len && keyBytes[k + i] === fold(bytes[start + i]!)) i++;
      if (i === len) return this.values[e];
    }
  }

  /**
   * This index with new values for keys it already has, sharing its keys, hashes and slots: a
   * health flip changes names' answers, not which names exist, and rebuilding the index of a shard
   * for it allocated ~0.7 KB that lived until the shard's next change (promoted garbage). Undefined
   * when a change adds or removes a key (the caller builds a new index then).
   */
  withValues(changes: Iterable<readonly [string, T | undefined]>): NameIndex<T> | undefined {
    const values = this.values.slice();
    for (const [key, value] of changes) {
      if (value === undefined) return undefined;
      const e = this.#entryOf(key);
      if (e < 0) return undefined;
      values[e] = value;
    }
    return new NameIndex<T>([], undefined, { keys: this, values });
  }

  /** The value of a key held as a string (lowercased wire form, as `wireKey` makes), or undefined. */
  get(key: string): T | undefined {
    const e = this.#entryOf(key);
    return e < 0 ? undefined : this.values[e];
  }

  /** The entry number of a key held as a string, or -1. */
  #entryOf(key: string): number {
    const h = hashKey(key);
    const len = key.length;
    const { ints, mask, hashAt, slotAt, keyBytes } = this;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = ints[slotAt + s]! - 1;
      if (e < 0) return -1;
      if (ints[hashAt + e] !== h) continue;
      const k = ints[e]!;
      if (ints[e + 1]! - k !== len) continue;
      let i = 0;
      while (i < len && keyBytes[k + i] === key.charCodeAt(i)) i++;
      if (i === len) return e;
    }
  }

  /** Every key (a new string each: for tools and rebuilds, not the hot path) with its value, in insertion order. */
  *entries(): Generator<[string, T]> {
    for (let e = 0; e < this.values.length; e++) yield [this.keyBytes.toString('latin1', this.ints[e], this.ints[e + 1]), this.values[e]!];
  }
}
