/**
 * The table's names, split by hash into 1,024 shards, each an immutable `NameIndex` (the hot path's
 * lookup on the query's bytes, and `get` on a key string). A change replaces only the shards of the
 * names it touches: a new `ShardedNames` shares every other shard with the one before, so a table
 * swap after one changed service costs a few small index builds (~20 names each at 22,000 names),
 * not a rebuild of every name, while each query still reads one consistent table (copy-on-write,
 * never mutated in place). What a swap leaves behind is garbage in proportion to the shards it
 * rebuilt, so shards are small; each costs ~0.5 KB, ~0.5 MB for all of them. A change that only
 * replaces answers of names a shard has (a health flip) copies the shard's values and shares its
 * keys, hashes and slots (`NameIndex.withValues`).
 */
import type { TableMemory } from './arena.js';
import { hashKey, hashOf, NameIndex } from './lookup.js';

const SHARD_BITS = 10;
const SHIFT = 32 - SHARD_BITS;

export class ShardedNames<T> implements ReadonlyMap<string, T> {
  private constructor(
    private readonly shards: readonly NameIndex<T>[],
    readonly size: number,
  ) {}

  static empty<T>(): ShardedNames<T> {
    const none = new NameIndex<T>([]);
    return new ShardedNames(Array.from({ length: 1 << SHARD_BITS }, () => none), 0);
  }

  /** A new set with `changes` applied (undefined removes); shards without a change are shared. Rebuilt shards keep their keys in `memory` (arena.ts). */
  with(changes: ReadonlyMap<string, T | undefined>, memory?: TableMemory): ShardedNames<T> {
    const steps = this.withSteps(changes, memory);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** `with`, yielding after each shard rebuilt: a cold build of 27,000 names can give the loop back. */
  *withSteps(changes: ReadonlyMap<string, T | undefined>, memory?: TableMemory): Generator<void, ShardedNames<T>> {
    if (changes.size === 0) return this;
    const byShard = new Map<number, [string, T | undefined][]>();
    for (const change of changes) {
      const s = hashKey(change[0]) >>> SHIFT;
      (byShard.get(s) ?? byShard.set(s, []).get(s)!).push(change);
    }
    const shards = this.shards.slice();
    let size = this.size;
    for (const [s, list] of byShard) {
      // Most changes replace answers of names the shard has (a health flip): the index keeps its keys.
      const same = shards[s]!.withValues(list);
      if (same !== undefined) {
        shards[s] = same;
        yield;
        continue;
      }
      const names = new Map(shards[s]!.entries());
      for (const [key, value] of list) {
        const had = names.delete(key);
        if (value !== undefined) names.set(key, value);
        size += (value !== undefined ? 1 : 0) - (had ? 1 : 0);
      }
      shards[s] = new NameIndex(names, memory);
      yield;
    }
    return new ShardedNames(shards, size);
  }

  /** The hot path: the value of the name at `bytes[start..end)` (wire form, any case). */
  find(bytes: Uint8Array, start: number, end: number): T | undefined {
    const h = hashOf(bytes, start, end);
    return this.shards[h >>> SHIFT]!.findHashed(h, bytes, start, end);
  }

  get(key: string): T | undefined {
    return this.shards[hashKey(key) >>> SHIFT]!.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  *entries(): MapIterator<[string, T]> {
    for (const shard of this.shards) yield* shard.entries();
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<T> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }

  forEach(fn: (value: T, key: string, map: ReadonlyMap<string, T>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}
