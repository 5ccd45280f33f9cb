/**
 * Contract case for listings at cluster scale: 100,000 allocations are tens of MiB, over gRPC's
 * default 4 MiB answer (etcd) — a listing must still come back whole, in key order, at one index.
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
}
