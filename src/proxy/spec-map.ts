/**
 * A string-keyed map that is never changed once built, for the route spec's services and the live
 * table's hosts: `with(updates)` returns a new map that shares every untouched shard with this one.
 *
 * Why not `new Map(previous)` per update: at 1,000 services and 100 catalog changes a second, each
 * update copied a 1,000-entry Map (~200 KB allocated with its growth steps) and those copies
 * survived scavenges: ~30 KB promoted per change, 20 MB of old-generation garbage in 8 s, scavenges
 * of 6–8 ms. Here an update copies the shard array (a few hundred bytes) and the touched shards
 * (~8 entries each). A reader holding the map keeps seeing exactly what it saw: nothing is mutated
 * after construction.
 *
 * Keys are spread over a power-of-two number of shards by an FNV-1a hash; the count follows the
 * size (about 8 entries a shard), re-sharding (a whole copy) only when the size has grown or shrunk
 * fourfold since. Iteration goes shard by shard: its order is the hash's, not insertion order.
 */

/** Entries per shard aimed at; re-sharded when the average leaves [LOAD / 4, LOAD * 4]. */
const LOAD = 8;
const MIN_SHARDS = 16;

type Shard<V> = ReadonlyMap<string, V> | undefined;

export class ShardedMap<V> implements ReadonlyMap<string, V> {
  readonly #shards: readonly Shard<V>[];
  readonly #mask: number;
  readonly size: number;

  private constructor(shards: readonly Shard<V>[], size: number) {
    this.#shards = shards;
    this.#mask = shards.length - 1;
    this.size = size;
  }

  /** A map of `entries` (a later duplicate key wins, as with `new Map`). */
  static of<V>(entries: Iterable<readonly [string, V]> = []): ShardedMap<V> {
    const list = [...entries];
    const count = shardCount(list.length);
    const shards: Map<string, V>[] = [];
    const mask = count - 1;
    for (const [key, value] of list) (shards[hash(key) & mask] ??= new Map()).set(key, value);
    const out: Shard<V>[] = new Array(count).fill(undefined);
    let size = 0;
    for (let i = 0; i < count; i++) if (shards[i] !== undefined) (out[i] = shards[i]), (size += shards[i]!.size);
    return new ShardedMap(out, size);
  }

  /**
   * This map with `updates` applied in order (`undefined` deletes the key): the untouched shards are
   * this map's own. Returns this map when nothing changes.
   */
  with(updates: Iterable<readonly [string, V | undefined]>): ShardedMap<V> {
    let shards: Shard<V>[] | undefined;
    /** Shards copied for this update (the others are still shared). */
    const copied = new Set<number>();
    let size = this.size;
    for (const [key, value] of updates) {
      const at = hash(key) & this.#mask;
      const current = (shards ?? this.#shards)[at];
      if (value === undefined ? !current?.has(key) : current?.get(key) === value) continue;
      shards ??= this.#shards.slice();
      let shard = shards[at] as Map<string, V> | undefined;
      if (!copied.has(at)) {
        shard = new Map(shard);
        shards[at] = shard;
        copied.add(at);
      }
      const had = shard!.has(key);
      if (value === undefined) shard!.delete(key);
      else shard!.set(key, value);
      size += (value === undefined ? 0 : 1) - (had ? 1 : 0);
    }
    if (shards === undefined) return this;
    for (const at of copied) if (shards[at]!.size === 0) shards[at] = undefined;
    const next = new ShardedMap(shards, size);
    const per = size / shards.length;
    return per > LOAD * 4 || (per < LOAD / 4 && shards.length > MIN_SHARDS) ? ShardedMap.of(next) : next;
  }

  get(key: string): V | undefined {
    return this.#shards[hash(key) & this.#mask]?.get(key);
  }

  has(key: string): boolean {
    return this.#shards[hash(key) & this.#mask]?.has(key) ?? false;
  }

  *entries(): MapIterator<[string, V]> {
    for (const shard of this.#shards) if (shard !== undefined) yield* shard.entries();
  }

  *keys(): MapIterator<string> {
    for (const shard of this.#shards) if (shard !== undefined) yield* shard.keys();
  }

  *values(): MapIterator<V> {
    for (const shard of this.#shards) if (shard !== undefined) yield* shard.values();
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void, thisArg?: unknown): void {
    for (const [key, value] of this.entries()) fn.call(thisArg, value, key, this);
  }
}

function shardCount(size: number): number {
  let n = MIN_SHARDS;
  while (n * LOAD < size) n *= 2;
  return n;
}

/** FNV-1a over the UTF-16 code units: cheap, and spreads `svc1`, `svc2`, … evenly. */
function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
