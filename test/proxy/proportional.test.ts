/**
 * Route updates in proportion to the change, at the feed's boundary (fakeFeed hands out the test's
 * own instance objects, so what an update reads of them is counted), through the real L7 listener;
 * and a cold start that gives the event loop back and swaps the routes in once, whole.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceInstance } from '../../src/catalog/types.js';
import { createProxy, startProxy } from '../../src/proxy/index.js';
import { eventually } from '../support/wait.js';
import { counted, countedReads, fakeFeed } from '../dns/feed-fake.js';
import { inst, send, startBackend } from './helpers.js';

test('a change to one service reads only that service, not the 2,000 instances', async (t) => {
  const backend = await startBackend('probe');
  t.after(() => backend.kill());
  const many = Array.from({ length: 2_000 }, (_, n) => inst(`svc${n % 200}`, `i${n}`, 20_000 + n));
  const probe = inst('probe', 'p0', backend.port);
  const feed = fakeFeed([...many, probe].map(counted));
  const proxy = await startProxy({ catalog: feed.catalog, httpAddr: '127.0.0.1:0', firstSyncMs: 10_000 });
  t.after(() => proxy.stop());
  const status = async () => (await send(proxy.httpAddress().port, 'probe.service.cluster')).status;
  assert.equal(await status(), 200);

  countedReads.service = 0;
  feed.push({ index: 2, instances: [{ id: probe.id, instance: counted({ ...probe, health: 'critical' }) }] });
  await eventually(async () => (await status()) === 503, 5_000, 'the flip is routed');
  assert.ok(countedReads.service > 0, 'the change itself was read');
  assert.ok(countedReads.service < 40, `one service's worth of reads, not the catalog's: ${countedReads.service}`);
  assert.deepEqual((await send(proxy.httpAddress().port, 'svc3.service.cluster')).status, 502, 'other services still routed (to closed ports)');
});

test('a cold apply of 1,000 services gives the loop back and swaps the routes in once', async (t) => {
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0' });
  t.after(() => proxy.stop());
  const changed = new Map<string, ServiceInstance[]>();
  for (let n = 0; n < 5_000; n++) {
    const svc = `svc${n % 1_000}`;
    (changed.get(svc) ?? changed.set(svc, []).get(svc)!).push(inst(svc, `i${n}`, 20_000 + n));
  }
  let turns = 0;
  let seenDuring = 0;
  let ticking = true;
  const tick = () => {
    turns++;
    seenDuring = Math.max(seenDuring, proxy.services().length);
    if (ticking) setImmediate(tick);
  };
  setImmediate(tick);
  await proxy.applyChanges(changed, 0);
  ticking = false;
  assert.ok(turns > 100, `the loop turned ${turns} times during the apply`);
  assert.equal(seenDuring, 0, 'no route was served before the whole table');
  assert.equal(proxy.services().length, 1_000);
  changed.set('svc1', []);
  await proxy.applyChanges(changed, 4);
  assert.equal(proxy.services().length, 999, 'an emptied service is gone');
});
