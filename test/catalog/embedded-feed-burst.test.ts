/**
 * A burst of transactions on the embedded store (a scheduler committing thousands of placements) is
 * handed to followers in batches of whole transactions, none larger than the cap unless one
 * transaction alone is: a consumer applies a batch in one go, so one batch of the whole burst held
 * the event loop for tens of milliseconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { MAX_BATCH_CHANGES } from '../../src/catalog/embedded/feed.js';
import { followCatalog } from '../../src/catalog/feed/index.js';
import { eventually } from '../support/wait.js';
import { Mirror } from './contract-feed.js';

test('embedded feed: a burst arrives in capped batches of whole transactions, in order, and complete', async (t) => {
  const catalog = createEmbeddedCatalog();
  const mirror = new Mirror();
  const ac = new AbortController();
  const done = followCatalog(catalog, { prefix: 'burst/', signal: ac.signal }, (b) => mirror.apply(b));
  t.after(async () => {
    ac.abort();
    await done;
    await catalog.close();
  });
  await eventually(() => mirror.batches.length > 0, 5_000, 'the reset');

  const TXNS = 40;
  const PER_TXN = 100;
  const key = (txn: number, i: number) => `burst/t${String(txn).padStart(2, '0')}/k${i}`;
  // Not awaited one by one: the store queues them all before the feed's first delivery.
  const results = await Promise.all(Array.from({ length: TXNS }, (_, txn) =>
    catalog.kvTxn(Array.from({ length: PER_TXN }, (_, i) => ({ verb: 'put' as const, key: key(txn, i), value: `${txn}` })))));
  assert.ok(results.every(Boolean));
  await eventually(() => mirror.kv.size === TXNS * PER_TXN, 10_000, 'every key followed');

  const burst = mirror.batches.filter((b) => !b.reset);
  assert.ok(burst.length > 1, `the burst came in ${burst.length} batch(es)`);
  for (const b of burst) assert.ok(b.kv.length <= MAX_BATCH_CHANGES, `a batch of ${b.kv.length} changes (cap ${MAX_BATCH_CHANGES})`);
  for (let txn = 0; txn < TXNS; txn++) {
    const carriers = burst.filter((b) => b.kv.some((c) => c.key.startsWith(`burst/t${String(txn).padStart(2, '0')}/`)));
    assert.equal(carriers.length, 1, `transaction ${txn} split over ${carriers.length} batches`);
    assert.equal(carriers[0]!.kv.filter((c) => c.key.startsWith(`burst/t${String(txn).padStart(2, '0')}/`)).length, PER_TXN);
  }
  assert.deepEqual([...mirror.kv.keys()].sort(), (await catalog.kvList('burst/')).value.map((e) => e.key).sort());
});
