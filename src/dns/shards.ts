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

/** What one name holds: whatever the table keeps (`V`) and what the hot path reads (`H`). */
export interface Held<V, H> {
  readonly value: V;
  readonly hot: H;
}

interface Shard<V, H> {
  readonly names: ReadonlyMap<string, Held<V, H>>;
  readonly index: NameIndex<H>;
}

export class ShardedNames<V, H> implements ReadonlyMap<string, V> {
  private constructor(
    private readonly shards: readonly Shard<V, H>[],
    readonly size: number,
  ) {}

  static empty<V, H>(): ShardedNames<V, H> {
    const none: Shard<V, H> = { names: new Map(), index: new NameIndex([]) };
    return new ShardedNames(Array.from({ length: 1 << SHARD_BITS }, () => none), 0);
  }

  /** A new set with `changes` applied (undefined removes); shards without a change are shared. */
  with(changes: ReadonlyMap<string, Held<V, H> | undefined>): ShardedNames<V, H> {
    const steps = this.withSteps(changes);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** `with`, yielding after each shard rebuilt: a cold build of 27,000 names can give the loop back. */
  *withSteps(changes: ReadonlyMap<string, Held<V, H> | undefined>): Generator<void, ShardedNames<V, H>> {
    if (changes.size === 0) return this;
    const byShard = new Map<number, [string, Held<V, H> | undefined][]>();
    for (const change of changes) {
      const s = hashKey(change[0]) >>> SHIFT;
      (byShard.get(s) ?? byShard.set(s, []).get(s)!).push(change);
    }
    const shards = this.shards.slice();
    let size = this.size;
    for (const [s, list] of byShard) {
      const names = new Map(shards[s]!.names);
      for (const [key, held] of list) {
        const had = names.delete(key);
        if (held !== undefined) names.set(key, held);
        size += (held !== undefined ? 1 : 0) - (had ? 1 : 0);
      }
      shards[s] = { names, index: new NameIndex([...names].map(([k, h]) => [k, h.hot] as const)) };
      yield;
    }
    return new ShardedNames(shards, size);
  }

  /** The hot path: the entry of the name at `bytes[start..end)` (wire form, any case). */
  find(bytes: Uint8Array, start: number, end: number): H | undefined {
    const h = hashOf(bytes, start, end);
    return this.shards[h >>> SHIFT]!.index.findHashed(h, bytes, start, end);
  }

  held(key: string): Held<V, H> | undefined {
    return this.shards[hashKey(key) >>> SHIFT]!.names.get(key);
  }

  get(key: string): V | undefined {
    return this.held(key)?.value;
  }

  has(key: string): boolean {
    return this.held(key) !== undefined;
  }

  *entries(): MapIterator<[string, V]> {
    for (const shard of this.shards) for (const [k, h] of shard.names) yield [k, h.value];
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}
