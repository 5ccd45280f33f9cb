/**
 * The hot path's name lookup, straight on the query's bytes: an open-addressing hash table keyed by
 * the lowercased wire form of a name, hashed and compared case-insensitively where the name sits in
 * the packet. A `Map<string, …>` lookup first needs the key as a string (a latin1 slice, a lowercase
 * copy, then hashing that new string): two allocations per query that this avoids.
 */

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

/** An immutable index from lowercased wire-form keys (latin1 strings, as `wireKey` makes) to values. */
export class NameIndex<T> {
  /** Every key's bytes, back to back; key `e` spans `keyOff[e]`..`keyOff[e + 1]`. */
  private readonly keyBytes: Buffer;
  private readonly keyOff: Int32Array;
  private readonly hashes: Int32Array;
  private readonly values: T[];
  /** Open addressing, linear probing; entry number + 1, 0 for an empty slot. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(entries: Iterable<readonly [string, T]>) {
    const list = [...entries];
    this.values = list.map(([, v]) => v);
    this.keyBytes = Buffer.from(list.map(([k]) => k).join(''), 'latin1');
    this.keyOff = new Int32Array(list.length + 1);
    this.hashes = new Int32Array(list.length);
    let cap = 16;
    while (cap < list.length * 2) cap *= 2;
    this.slots = new Int32Array(cap);
    this.mask = cap - 1;
    let off = 0;
    for (let e = 0; e < list.length; e++) {
      const len = list[e]![0].length;
      this.keyOff[e] = off;
      const h = hashOf(this.keyBytes, off, off + len);
      this.hashes[e] = h;
      let s = h & this.mask;
      while (this.slots[s] !== 0) s = (s + 1) & this.mask;
      this.slots[s] = e + 1;
      off += len;
    }
    this.keyOff[list.length] = off;
  }

  /** The value of the name at `bytes[start..end)` (wire form, any case), or undefined. */
  find(bytes: Uint8Array, start: number, end: number): T | undefined {
    return this.findHashed(hashOf(bytes, start, end), bytes, start, end);
  }

  /** `find` when the caller already hashed the name (`hashOf`). */
  findHashed(h: number, bytes: Uint8Array, start: number, end: number): T | undefined {
    const len = end - start;
    const { slots, mask, hashes, keyOff, keyBytes } = this;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = slots[s]! - 1;
      if (e < 0) return undefined;
      if (hashes[e] !== h) continue;
      const k = keyOff[e]!;
      if (keyOff[e + 1]! - k !== len) continue;
      let i = 0;
      while (i < len && keyBytes[k + i] === fold(bytes[start + i]!)) i++;
      if (i === len) return this.values[e];
    }
  }
}
