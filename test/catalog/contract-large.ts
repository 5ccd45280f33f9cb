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
