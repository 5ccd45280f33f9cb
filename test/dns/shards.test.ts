/**
 * The table's name index (lookup.ts, shards.ts): copy-on-write under random updates, judged against
 * a Map; and an update that only replaces values keeps the index's keys (no new key memory) while
 * the index a reader holds keeps answering what it did.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NameIndex } from '../../src/dns/lookup.js';
import { ShardedNames } from '../../src/dns/shards.js';
import { wireKey } from '../../src/dns/wire.js';

function rng(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
}

/** The key as it sits in a query: wire form in any letter case. */
const asked = (key: string) => Buffer.from(key.replace(/[a-z]/g, (c) => (Math.random() < 0.5 ? c.toUpperCase() : c)), 'latin1');

test('sharded names: same answers as a Map through adds, value changes and removals; every version held stays as it was', () => {
  const next = rng(7);
  const model = new Map<string, number>();
  let names = ShardedNames.empty<number>();
  const held: [ShardedNames<number>, Map<string, number>][] = [];
  for (let round = 0; round < 300; round++) {
    const changes = new Map<string, number | undefined>();
    for (let k = 0; k < 8; k++) {
      const key = wireKey(`n${Math.floor(next() * 3_000)}.svc.service.cluster`);
      // Mostly new values for names that exist (what a health flip does), some adds and removals.
      const value = next() < 0.15 ? undefined : Math.floor(next() * 1_000);
      changes.set(key, value);
    }
    names = names.with(changes);
    for (const [key, value] of changes) value === undefined ? model.delete(key) : model.set(key, value);
    if (round % 30 === 0) held.push([names, new Map(model)]);
  }
  assert.ok(model.size > 1_000, `${model.size} names`);
  assert.equal(names.size, model.size);
  for (const [key, value] of model) {
    assert.equal(names.get(key), value);
    const bytes = asked(key);
    assert.equal(names.find(bytes, 0, bytes.length), value);
  }
  for (const [version, seen] of held) {
    assert.equal(version.size, seen.size);
    for (const [key, value] of seen) assert.equal(version.get(key), value, 'a version a reader holds is unchanged');
  }
});

test('an index update that only replaces values shares the keys; one that adds or removes a name builds anew', () => {
  const keys = ['a.svc.service.cluster', 'b.svc.service.cluster', 'c.svc.service.cluster'].map(wireKey);
  const first = new NameIndex(keys.map((k, i) => [k, i] as const));
  const second = first.withValues([[keys[1]!, 10]])!;
  assert.ok(second, 'same names: values replaced in place of a rebuild');
  const internals = (x: NameIndex<number>) => x as unknown as { keyBytes: Buffer; ints: Int32Array };
  assert.equal(internals(second).keyBytes, internals(first).keyBytes);
  assert.equal(internals(second).ints, internals(first).ints);
  assert.deepEqual(keys.map((k) => second.get(k)), [0, 10, 2]);
  assert.deepEqual(keys.map((k) => first.get(k)), [0, 1, 2], 'the index before is unchanged');
  const b = asked(keys[1]!);
  assert.equal(second.find(b, 0, b.length), 10);
  assert.equal(first.find(b, 0, b.length), 1);
  assert.equal(first.withValues([[wireKey('new.svc.service.cluster'), 5]]), undefined, 'a new name needs a new index');
  assert.equal(first.withValues([[keys[0]!, undefined]]), undefined, 'a removed name needs a new index');
});
