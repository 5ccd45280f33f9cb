/**
 * Contract cases for `kvTxn` (catalog/types.ts), registered inside the shared contract so every
 * adapter proves them: all or nothing at one index, per-op compare-and-set, the session fence a
 * leader puts in its commits, lock holders kept by puts, and the size/duplicate rules.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Catalog } from '../../src/catalog/types.js';

export function txnContract(catalog: () => Catalog, ns: string, ttlMs: number): void {
  it('kvTxn: all or nothing — one failed compare writes nothing; success writes all at one index', async () => {
    const c = catalog();
    const [a, b] = [`${ns}/txn/a`, `${ns}/txn/b`];
    assert.equal(await c.kvPut(b, 'b1'), true);
    const bIndex = (await c.kvGet(b)).value!.modifyIndex;
    assert.equal(await c.kvTxn([{ verb: 'put', key: a, value: 'a1', cas: 0 }, { verb: 'put', key: b, value: 'b2', cas: bIndex + 1_000 }]), false);
    assert.equal((await c.kvGet(a)).value, undefined, 'nothing written on a failed compare');
    assert.equal((await c.kvGet(b)).value!.value, 'b1');

    assert.equal(await c.kvTxn([{ verb: 'put', key: a, value: 'a1', cas: 0 }, { verb: 'put', key: b, value: 'b2', cas: bIndex }]), true);
    const [ea, eb] = [(await c.kvGet(a)).value!, (await c.kvGet(b)).value!];
    assert.deepEqual([ea.value, eb.value], ['a1', 'b2']);
    assert.equal(ea.modifyIndex, eb.modifyIndex, 'one index for the whole transaction');
    assert.ok(eb.modifyIndex > bIndex);
    assert.equal(await c.kvTxn([{ verb: 'put', key: a, value: 'again', cas: 0 }]), false, 'cas 0: only if absent');
  });

  it('kvTxn: deletes and checks compare like kvDelete; unconditional ops never fail', async () => {
    const c = catalog();
    const [k, gone] = [`${ns}/txn/del`, `${ns}/txn/never`];
    await c.kvPut(k, 'v');
    const idx = (await c.kvGet(k)).value!.modifyIndex;
    assert.equal(await c.kvTxn([{ verb: 'delete', key: gone, cas: 7 }]), false, 'absent key with cas > 0');
    assert.equal(await c.kvTxn([{ verb: 'check', key: k, cas: idx + 1 }]), false);
    assert.equal(await c.kvTxn([{ verb: 'check', key: k, cas: 0 }]), false, 'check cas 0: must be absent');
    assert.equal(await c.kvTxn([{ verb: 'check', key: k, cas: idx }, { verb: 'delete', key: gone, cas: 0 }, { verb: 'delete', key: `${gone}2` }]), true);
    assert.equal(await c.kvTxn([{ verb: 'delete', key: k, cas: idx }]), true);
    assert.equal((await c.kvGet(k)).value, undefined);
    assert.equal(await c.kvTxn([]), true, 'an empty transaction succeeds and writes nothing');
  });

  it('kvTxn: a check on a lock fences the writes — a lost session writes nothing; puts keep the holder', async () => {
    const c = catalog();
    const [lock, data] = [`${ns}/txn/leader`, `${ns}/txn/fenced`];
    const s = await c.createSession({ name: 'txn-leader', ttlMs: ttlMs * 20 });
    const other = await c.createSession({ name: 'txn-other', ttlMs: ttlMs * 20 });
    try {
      assert.equal(await c.kvPut(lock, 'me', { acquire: s }), true);
      assert.equal(await c.kvTxn([{ verb: 'check', key: lock, session: s }, { verb: 'put', key: data, value: 'v1' }]), true);
      assert.equal(await c.kvTxn([{ verb: 'check', key: lock, session: other }, { verb: 'put', key: data, value: 'x' }]), false);
      assert.equal(await c.kvTxn([{ verb: 'check', key: `${lock}-absent`, session: s }]), false, 'an absent key is held by nobody');
      assert.equal(await c.kvTxn([{ verb: 'check', key: lock, session: s }, { verb: 'put', key: lock, value: 'rewritten' }]), true);
      const held = (await c.kvGet(lock)).value!;
      assert.deepEqual([held.value, held.session], ['rewritten', s], 'a put keeps the lock holder');

      await c.destroySession(s);
      assert.equal(await c.kvTxn([{ verb: 'check', key: lock, session: s }, { verb: 'put', key: data, value: 'deposed' }]), false);
      assert.equal((await c.kvGet(data)).value!.value, 'v1', 'a deposed holder commits nothing');
    } finally {
      await c.destroySession(s).catch(() => undefined);
      await c.destroySession(other).catch(() => undefined);
    }
  });

  it('kvTxn: maxTxnOps operations fit; one more, or a key written twice, is bad_request before anything is written', async () => {
    const c = catalog();
    const max = c.maxTxnOps;
    assert.ok(Number.isInteger(max) && max >= 32, `maxTxnOps ${max}`);
    const ops = Array.from({ length: max }, (_, i) => ({ verb: 'put' as const, key: `${ns}/txn/many/${String(i).padStart(4, '0')}`, value: `v${i}`, cas: 0 }));
    assert.equal(await c.kvTxn(ops), true);
    const listed = (await c.kvList(`${ns}/txn/many/`)).value;
    assert.equal(listed.length, max);
    assert.equal(new Set(listed.map((e) => e.modifyIndex)).size, 1, 'one index for all of them');

    const extra = `${ns}/txn/extra`;
    await assert.rejects(c.kvTxn([...ops.map((o) => ({ ...o, cas: undefined })), { verb: 'put', key: extra, value: 'x' }]), { code: 'bad_request' });
    await assert.rejects(
      c.kvTxn([{ verb: 'put', key: extra, value: '1' }, { verb: 'delete', key: extra }]),
      { code: 'bad_request' },
    );
    await assert.rejects(c.kvTxn([{ verb: 'put', key: '', value: '1' }]), { code: 'bad_request' });
    assert.equal((await c.kvGet(extra)).value, undefined);
  });

  it('kvTxn: a blocking read of the prefix wakes on a transaction', async () => {
    const c = catalog();
    const prefix = `${ns}/txn/watched/`;
    const { index } = await c.kvList(prefix);
    const waiting = c.kvList(prefix, { index, waitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await c.kvTxn([{ verb: 'put', key: `${prefix}a`, value: '1' }, { verb: 'put', key: `${prefix}b`, value: '2' }]), true);
    const woke = await waiting;
    assert.ok(woke.index > index);
    assert.deepEqual(woke.value.map((e) => e.value), ['1', '2']);
  });
}
