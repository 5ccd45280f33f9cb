/**
 * The table's names, split by hash into 256 shards, each an immutable `NameIndex` (the hot path's
 * lookup on the query's bytes) with the names it holds. A change replaces only the shards of the
 * names it touches: a new `ShardedNames` shares every other shard with the one before, so a table
 * swap after one changed service costs a few small index builds, not a rebuild of 27,000 names,
 * while each query still reads one consistent table (copy-on-write, never mutated in place).
 */
import { hashKey, hashOf, NameIndex } from './lookup.js';

const SHARD_BITS = 8;
const SHIFT = 32 - SHARD_BITS;

interface Shard<T> {
  readonly names: ReadonlyMap<string, T>;
  readonly index: NameIndex<T>;
}

export class ShardedNames<T> implements ReadonlyMap<string, T> {
  private constructor(
    private readonly shards: readonly Shard<T>[],
    readonly size: number,
  ) {}

  static empty<T>(): ShardedNames<T> {
    const none: Shard<T> = { names: new Map(), index: new NameIndex([]) };
    return new ShardedNames(Array.from({ length: 1 << SHARD_BITS }, () => none), 0);
  }

  /** A new set with `changes` applied (undefined removes); shards without a change are shared. */
  with(changes: ReadonlyMap<string, T | undefined>): ShardedNames<T> {
    const steps = this.withSteps(changes);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** `with`, yielding after each shard rebuilt: a cold build of 27,000 names can give the loop back. */
  *withSteps(changes: ReadonlyMap<string, T | undefined>): Generator<void, ShardedNames<T>> {
    if (changes.size === 0) return this;
    const byShard = new Map<number, [string, T | undefined][]>();
    for (const change of changes) {
      const s = hashKey(change[0]) >>> SHIFT;
      (byShard.get(s) ?? byShard.set(s, []).get(s)!).push(change);
    }
    const shards = this.shards.slice();
    let size = this.size;
    for (const [s, list] of byShard) {
      const names = new Map(shards[s]!.names);
      for (const [key, value] of list) {
        const had = names.delete(key);
        if (value !== undefined) names.set(key, value);
        size += (value !== undefined ? 1 : 0) - (had ? 1 : 0);
      }
      shards[s] = { names, index: new NameIndex(names) };
      yield;
    }
    return new ShardedNames(shards, size);
  }

  /** The hot path: the value of the name at `bytes[start..end)` (wire form, any case). */
  find(bytes: Uint8Array, start: number, end: number): T | undefined {
    const h = hashOf(bytes, start, end);
    return this.shards[h >>> SHIFT]!.index.findHashed(h, bytes, start, end);
  }

  get(key: string): T | undefined {
    return this.shards[hashKey(key) >>> SHIFT]!.names.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  *entries(): MapIterator<[string, T]> {
    for (const shard of this.shards) yield* shard.names;
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
