/**
 * Contract cases for reads at cluster scale: 100,000 allocations are tens of MiB, over gRPC's default
 * 4 MiB answer (etcd) — a listing must still come back whole, in key order, at one index; and a
 * caller that only needs to know that a prefix changed (`kvIndex`) gets kvList's index without it.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Catalog, TxnOp } from '../../src/catalog/types.js';

export function largeListContract(catalog: () => Catalog, ns: string): void {
  it('kvList returns a prefix of 6,000 keys and 5 MiB whole, in key order, at one index', async () => {
    const c = catalog();
    const prefix = `${ns}/large/`;
    const big = 'x'.repeat(128 * 1024);
    const keys: string[] = [];
    for (let i = 0; i < 6_000; i++) keys.push(`${prefix}k${String(i).padStart(5, '0')}`);
    const small: TxnOp[] = [];
    for (const [i, key] of keys.entries()) {
      if (i % 150 === 0) assert.equal(await c.kvPut(key, big), true);
      else small.push({ verb: 'put', key, value: `v${i}` });
    }
    for (let i = 0; i < small.length; i += c.maxTxnOps) assert.equal(await c.kvTxn(small.slice(i, i + c.maxTxnOps)), true);
    const listed = await c.kvList(prefix);
    assert.equal(listed.value.length, keys.length);
    assert.deepEqual(listed.value.map((e) => e.key), keys);
    assert.equal(listed.value.filter((e) => e.value === big).length, 40);
    assert.equal(listed.value[150]!.value, big);
    assert.ok(listed.value.every((e) => e.modifyIndex <= listed.index), 'every entry at or below the listing index');
    await c.kvDelete(prefix, { recurse: true });
  });

  it('kvList of a large prefix stays exact across updates, creates and deletes (same count after a delete + a create too)', async () => {
    const c = catalog();
    const prefix = `${ns}/relist/`;
    const model = new Map<string, string>();
    const key = (i: number) => `${prefix}k${String(i).padStart(5, '0')}`;
    const write = async (ops: TxnOp[]) => {
      for (let i = 0; i < ops.length; i += c.maxTxnOps) assert.equal(await c.kvTxn(ops.slice(i, i + c.maxTxnOps)), true);
      for (const op of ops) {
        if (op.verb === 'put') model.set(op.key, op.value);
        else if (op.verb === 'delete') model.delete(op.key);
      }
    };
    const same = async (what: string) => {
      const listed = await c.kvList(prefix);
      const want = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
      assert.deepEqual(listed.value.map((e) => [e.key, e.value]), want, what);
      assert.ok(listed.value.every((e) => e.modifyIndex <= listed.index && e.createIndex <= e.modifyIndex), what);
      return listed.index;
    };
    await write(Array.from({ length: 1_500 }, (_, i) => ({ verb: 'put' as const, key: key(i * 2), value: 'v0' })));
    const first = await same('first listing');
    assert.equal(await same('no change'), first);
    await write([0, 10, 2_998].map((i) => ({ verb: 'put' as const, key: key(i), value: 'v1' })));
    await same('updates');
    await write([1, 7, 3_001].map((i) => ({ verb: 'put' as const, key: key(i), value: 'new' })));
    await same('creates between and after existing keys');
    await write([{ verb: 'delete', key: key(4) }, { verb: 'put', key: key(5), value: 'swap' }]);
    await same('a delete and a create: the same count');
    await write([{ verb: 'delete', key: key(6) }]);
    await same('a delete');
    await c.kvDelete(prefix, { recurse: true });
    model.clear();
    assert.deepEqual((await c.kvList(prefix)).value, [], 'all deleted');
  });

  it("kvIndex answers kvList's index without the entries, and blocks like it until the prefix changes", async () => {
    const c = catalog();
    const prefix = `${ns}/indexed/`;
    await c.kvPut(`${prefix}a`, '1');
    const index = await c.kvIndex(prefix);
    assert.equal(index, (await c.kvList(prefix)).index);
    assert.equal(await c.kvIndex(prefix, { index, waitMs: 200 }), index, 'no change: the same index after the wait');
    const waiting = c.kvIndex(prefix, { index, waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    await c.kvPut(`${prefix}b`, '2');
    const woke = await waiting;
    assert.ok(woke > index, `woke at ${woke}, after ${index}`);
    assert.ok((await c.kvList(prefix)).index >= woke);
  });
}
