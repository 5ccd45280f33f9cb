/**
 * Contract cases for the change feed (`follow`, src/catalog/feed/): registered inside the shared
 * contract, so the embedded store, etcd (a real member) and Consul (its fake, or a real agent) all
 * prove them. A follower's mirror, built only from batches, must equal what the catalog lists; a
 * transaction arrives in one batch; hosts' liveness and instances follow too.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Catalog, HostStatus, KVEntry, ServiceInstance } from '../../src/catalog/types.js';
import { followCatalog, type FeedBatch } from '../../src/catalog/feed/index.js';
import { instanceFixture } from '../support/fixtures.js';
import { eventually } from '../support/wait.js';

/** What a follower holds: rebuilt from batches alone. */
export class Mirror {
  kv = new Map<string, KVEntry>();
  hosts = new Map<string, HostStatus>();
  instances = new Map<string, ServiceInstance>();
  batches: FeedBatch[] = [];

  apply(b: FeedBatch): void {
    const last = this.batches[this.batches.length - 1];
    if (last && !b.reset) assert.ok(b.index >= last.index, `batch index ${b.index} after ${last.index}`);
    this.batches.push(b);
    if (b.reset) {
      this.kv.clear();
      this.hosts.clear();
      this.instances.clear();
    }
    for (const c of b.kv) c.entry ? this.kv.set(c.key, c.entry) : this.kv.delete(c.key);
    for (const c of b.hosts) c.host ? this.hosts.set(c.name, c.host) : this.hosts.delete(c.name);
    for (const c of b.instances) c.instance ? this.instances.set(c.id, c.instance) : this.instances.delete(c.id);
  }

  /** The batch that carried `key`'s latest write. */
  batchOf(key: string, modifyIndex: number): FeedBatch | undefined {
    return this.batches.find((b) => b.kv.some((c) => c.key === key && c.entry?.modifyIndex === modifyIndex));
  }
}

export interface FeedContractOptions {
  /** The adapter replays from an index (etcd, embedded); Consul has no delta API and starts with a reset. */
  deltas: boolean;
}

export function feedContract(catalog: () => Catalog, ns: string, ttlMs: number, opts: FeedContractOptions): void {
  it('feed: starts with a reset of the prefix, then delivers puts, deletes and transactions whole', async (t) => {
    const c = catalog();
    const prefix = `${ns}/feed/`;
    await c.kvPut(`${prefix}a`, 'A');
    await c.kvPut(`${prefix}b`, 'B');
    await c.kvPut(`${ns}/feedless`, 'outside the prefix');
    const mirror = new Mirror();
    const ac = new AbortController();
    const done = followCatalog(c, { prefix, signal: ac.signal }, (b) => mirror.apply(b));
    t.after(async () => {
      ac.abort();
      await done;
    });
    await eventually(() => mirror.batches.length > 0, 10_000, 'the first batch');
    assert.equal(mirror.batches[0]!.reset, true);
    assert.deepEqual([...mirror.kv.keys()].sort(), [`${prefix}a`, `${prefix}b`]);

    await c.kvPut(`${prefix}c`, 'C');
    await c.kvDelete(`${prefix}a`);
    assert.equal(await c.kvTxn([{ verb: 'put', key: `${prefix}d`, value: 'D' }, { verb: 'put', key: `${prefix}e`, value: 'E' }, { verb: 'delete', key: `${prefix}b` }]), true);
    await eventually(() => mirror.kv.has(`${prefix}e`) && !mirror.kv.has(`${prefix}b`), 10_000, 'the transaction');
    assert.deepEqual([...mirror.kv.keys()].sort(), ['c', 'd', 'e'].map((k) => prefix + k));
    const d = (await c.kvGet(`${prefix}d`)).value!;
    assert.equal(mirror.kv.get(`${prefix}d`)?.modifyIndex, d.modifyIndex, 'entries carry their modifyIndex');
    const carrier = mirror.batchOf(`${prefix}d`, d.modifyIndex)!;
    assert.ok(carrier.kv.some((x) => x.key === `${prefix}e`), 'one transaction, one batch');
    assert.ok(carrier.kv.some((x) => x.key === `${prefix}b` && !x.entry), 'its delete too');
    assert.ok(carrier.index >= d.modifyIndex);

    await c.kvDelete(prefix, { recurse: true });
    await eventually(() => mirror.kv.size === 0, 10_000, 'the recursive delete');
    assert.deepEqual((await c.kvList(prefix)).value, []);
  });

  it('feed: instances and hosts (with their liveness) follow too', async (t) => {
    const c = catalog();
    const mirror = new Mirror();
    const ac = new AbortController();
    const done = followCatalog(c, { prefix: `${ns}/none/`, signal: ac.signal }, (b) => mirror.apply(b));
    t.after(async () => {
      ac.abort();
      await done;
    });
    await eventually(() => mirror.batches.length > 0, 10_000, 'the first batch');
    const inst = instanceFixture({ service: `${ns}-feed`, host: `${ns}-fh`, id: `${ns}-fh:c1:80` });
    await c.registerInstance(inst);
    await eventually(() => mirror.instances.get(inst.id)?.health === 'passing', 10_000, 'the instance');
    await c.setHealth(inst.id, 'critical');
    await eventually(() => mirror.instances.get(inst.id)?.health === 'critical', 10_000, 'its health');
    await c.deregisterInstance(inst.id);
    await eventually(() => !mirror.instances.has(inst.id), 10_000, 'its removal');

    const host = `${ns}-feedhost`;
    const session = await c.createSession({ name: 'feed', ttlMs: ttlMs * 20 });
    await c.registerHost({ name: host, address: '127.0.0.7', meta: { zone: 'a' }, capacity: { cpu: 1000, memory: 512 } }, session);
    await eventually(() => mirror.hosts.get(host)?.alive === true, 10_000, 'the host, alive');
    assert.deepEqual(mirror.hosts.get(host)?.meta, { zone: 'a' });
    await c.destroySession(session);
    await eventually(() => mirror.hosts.get(host)?.alive === false, ttlMs * 4 + 10_000, 'the host, down');
    await c.removeHost(host);
    await eventually(() => !mirror.hosts.has(host), 10_000, 'the host, removed');
  });

  it('feed: following from an index delivers what changed after it', async (t) => {
    const c = catalog();
    const prefix = `${ns}/from/`;
    await c.kvPut(`${prefix}old`, '1');
    const from = (await c.kvGet(`${prefix}old`)).value!.modifyIndex;
    await c.kvPut(`${prefix}new`, '2');
    await c.kvDelete(`${prefix}old`);
    const mirror = new Mirror();
    const ac = new AbortController();
    const done = followCatalog(c, { prefix, from, signal: ac.signal }, (b) => mirror.apply(b));
    t.after(async () => {
      ac.abort();
      await done;
    });
    await eventually(() => mirror.kv.has(`${prefix}new`), 10_000, 'the change after the index');
    if (opts.deltas) {
      assert.ok(mirror.batches.every((b) => !b.reset), 'replayed, not re-listed');
      const kvs = mirror.batches.flatMap((b) => b.kv);
      assert.ok(kvs.every((x) => x.key !== `${prefix}old` || !x.entry), 'nothing from before the index');
      assert.ok(kvs.some((x) => x.key === `${prefix}old` && !x.entry), 'the delete after it');
    } else {
      assert.equal(mirror.batches[0]!.reset, true, 'without a delta API the first batch is a reset');
    }
    assert.deepEqual([...mirror.kv.keys()], [`${prefix}new`]);
  });
}
