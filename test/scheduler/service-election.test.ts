/**
 * Leader election under a slow store: a renewal that fails (etcd "request timed out", a deadline)
 * while the session is still alive must not depose the leader — at 100,000 allocations a loaded etcd
 * answered a keep-alive late every few seconds and the scheduler stepped down each time, stopping
 * placement until it was re-elected. A store down for longer than half the TTL still deposes it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { CatalogError, type Catalog } from '../../src/catalog/types.js';
import { silentLogger } from '../../src/log/index.js';
import { startScheduler } from '../../src/scheduler/service/index.js';
import { eventually } from '../support/wait.js';

/** Renewals fail with `unavailable` while `failing` is set. */
function slowRenewals(real: Catalog): { catalog: Catalog; set(on: boolean): void; failed: () => number } {
  let failing = false;
  let failed = 0;
  const catalog = new Proxy(real, {
    get(target, prop, receiver) {
      if (prop === 'renewSession') {
        return (id: string) => {
          if (!failing) return target.renewSession(id);
          failed++;
          return Promise.reject(new CatalogError('unavailable', 'etcd lease keep-alive: request timed out'));
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { catalog, set: (on) => void (failing = on), failed: () => failed };
}

test('election: a renewal failing for less than half the TTL keeps the leader; longer deposes it', async (t) => {
  const real = createEmbeddedCatalog();
  const slow = slowRenewals(real);
  const s = startScheduler({ catalog: slow.catalog, logger: silentLogger, id: 's1', sessionTtlMs: 3_000, retryMs: 50, intervalMs: 100 });
  t.after(async () => {
    await s.stop();
    await real.close();
  });
  await eventually(() => s.isLeader(), 5_000, 'elected');
  const changes = s.metrics().leaderChanges;

  slow.set(true);
  await eventually(() => slow.failed() >= 2, 5_000, 'renewals failing');
  slow.set(false);
  assert.equal(s.isLeader(), true, 'still leading');
  assert.equal(s.metrics().leaderChanges, changes, 'never stepped down');

  slow.set(true);
  await eventually(() => !s.isLeader(), 5_000, 'deposed once the session may have lapsed');
  slow.set(false);
  await eventually(() => s.isLeader(), 5_000, 're-elected when the store answers again');
});
