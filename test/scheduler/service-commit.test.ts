/**
 * The scheduler's commit path (service/commit.ts, batches.ts): fenced transactions of as many units
 * as the catalog takes, one unit's conflict costing only that unit, and nothing written by a leader
 * whose lock went — on the embedded store and on a real etcd (its txn compares the lock key's lease).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import type { Catalog, TxnOp } from '../../src/catalog/types.js';
import { silentLogger } from '../../src/log/index.js';
import { submitJob } from '../../src/scheduler/jobs.js';
import { reconcile } from '../../src/scheduler/reconcile/index.js';
import { commitPlan, readSnapshot } from '../../src/scheduler/service/index.js';
import { keys } from '../../src/scheduler/types.js';
import { EtcdServer, etcdOrSkip } from '../catalog/support/etcd.js';
import { mockJob } from './support/fixtures.js';

/** Counts kvTxn calls and their sizes. */
function counting(catalog: Catalog): { catalog: Catalog; txns: number[] } {
  const txns: number[] = [];
  const spy = new Proxy(catalog, {
    get(target, prop, receiver) {
      if (prop === 'kvTxn') return (ops: TxnOp[]) => (txns.push(ops.length), target.kvTxn(ops));
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { catalog: spy, txns };
}

async function planFor(catalog: Catalog, hosts: number, count: number) {
  for (let i = 0; i < hosts; i++) {
    const s = await catalog.createSession({ name: `h${i}`, ttlMs: 60_000 });
    await catalog.registerHost({ name: `h${i}`, address: '127.0.0.1', meta: {}, capacity: { cpu: 100_000, memory: 100_000 } }, s);
  }
  await submitJob(catalog, mockJob('web', { count, resources: { cpu: 1, memory: 8 } }));
  const snap = await readSnapshot(catalog);
  const plan = reconcile({ now: Date.now(), hosts: snap.hosts, jobs: snap.jobs, allocations: snap.allocations, statuses: snap.statuses, hostDownSince: new Map(), graceMs: 1_000, seed: 1, claims: snap.claims });
  return { snap, plan };
}

async function leader(catalog: Catalog) {
  const session = await catalog.createSession({ name: 'leader', ttlMs: 60_000 });
  assert.equal(await catalog.kvPut(keys.leaderLock, 'me', { acquire: session }), true);
  return { key: keys.leaderLock, session };
}

for (const store of ['embedded', 'etcd'] as const) {
  const open = async (t: import('node:test').TestContext): Promise<Catalog | undefined> => {
    if (store === 'embedded') {
      const c = createEmbeddedCatalog();
      t.after(() => c.close());
      return c;
    }
    const bin = etcdOrSkip(t);
    if (!bin) return undefined;
    const server = await EtcdServer.start(bin);
    const c = createEtcdCatalog({ endpoints: [server.endpoint], prefix: '/commit/', hostName: 'test', logger: silentLogger });
    t.after(async () => {
      await c.close();
      await server.stop();
    });
    return c;
  };

  test(`commit (${store}): 300 placements in full fenced transactions; a conflicting unit costs only itself`, async (t) => {
    const real = await open(t);
    if (!real) return;
    const { snap, plan } = await planFor(real, 20, 300);
    assert.equal(plan.place.length, 300);
    // Someone else took replica web-7's slot after the snapshot was read.
    await real.kvPut(keys.allocClaim('web', 7), JSON.stringify({ id: 'someone-else', at: 0 }));
    const fence = await leader(real);
    const { catalog, txns } = counting(real);
    const r = await commitPlan(catalog, plan, snap, Date.now(), fence);
    assert.deepEqual([r.placed, r.conflicts, r.deposed], [299, 1, false]);
    const allocs = (await real.kvList(keys.allocsPrefix)).value;
    assert.equal(allocs.length, 299);
    assert.ok(!allocs.some((e) => e.value.includes('"ordinal":7,')), 'the lost replica slot got no allocation');
    const perTxn = Math.floor((real.maxTxnOps - 1) / 2);
    // Full batches of placements, then the failed batch retried unit by unit, then evaluations.
    assert.ok(txns.filter((n) => n === 1 + 2 * perTxn).length >= Math.floor(299 / perTxn) - 1, `txn sizes ${txns}`);
    assert.ok(txns.length < 300 / 4, `${txns.length} transactions for 300 placements`);
  });

  test(`commit (${store}): a leader whose lock went commits nothing, however late it notices`, async (t) => {
    const catalog = await open(t);
    if (!catalog) return;
    const { snap, plan } = await planFor(catalog, 5, 50);
    const fence = await leader(catalog);
    await catalog.destroySession(fence.session);
    const successor = await catalog.createSession({ name: 'successor', ttlMs: 60_000 });
    assert.equal(await catalog.kvPut(keys.leaderLock, 'next', { acquire: successor }), true);
    const r = await commitPlan(catalog, plan, snap, Date.now(), fence);
    assert.deepEqual([r.placed, r.deposed], [0, true]);
    assert.deepEqual((await catalog.kvList(keys.allocsPrefix)).value, []);
    assert.deepEqual((await catalog.kvList(keys.allocClaimsPrefix)).value, []);
    assert.deepEqual((await catalog.kvList(keys.evaluationPrefix)).value, []);
  });

  test(`commit (${store}): a replica moved off a lost host is placed in the same commit as its removal, no lost race`, async (t) => {
    const catalog = await open(t);
    if (!catalog) return;
    const { snap, plan } = await planFor(catalog, 2, 1);
    const fence = await leader(catalog);
    assert.equal((await commitPlan(catalog, plan, snap, Date.now(), fence)).placed, 1);
    const before = await readSnapshot(catalog);
    const [placed] = before.allocations;
    // Its host is gone: the next pass removes it (and its claim) and places the replica elsewhere.
    await catalog.removeHost(placed!.host);
    const after = await readSnapshot(catalog);
    const move = reconcile({ now: Date.now(), hosts: after.hosts, jobs: after.jobs, allocations: after.allocations, statuses: after.statuses, hostDownSince: new Map(), graceMs: 1_000, seed: 2, claims: after.claims });
    assert.deepEqual([move.remove.length, move.place.length], [1, 1]);
    const r = await commitPlan(catalog, move, after, Date.now(), fence);
    assert.deepEqual([r.removed, r.placed, r.conflicts], [1, 1, 0]);
    const claim = JSON.parse((await catalog.kvGet(keys.allocClaim('web', 0))).value!.value) as { id: string };
    assert.equal(claim.id, move.place[0]!.id);
  });
}
