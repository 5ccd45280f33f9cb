/**
 * The catalog contract: one suite, run against every adapter (embedded; Consul through its fake and,
 * when CONSUL_HTTP_ADDR is set, a real agent). Register it from a `*.test.ts` file.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Catalog } from '../../src/catalog/types.js';
import { instanceFixture } from '../support/fixtures.js';
import { eventually } from '../support/wait.js';
import { largeListContract } from './contract-large.js';
import { txnContract } from './contract-txn.js';
import { feedContract } from './contract-feed.js';

export interface ContractTarget {
  catalog: Catalog;
  cleanup(): Promise<void>;
}

export interface ContractOptions {
  /** Session TTLs are multiplied by this (Consul's minimum TTL is 10 s and it invalidates after up to 2×TTL). */
  ttlScale?: number;
  /** The adapter's feed replays from an index (false: Consul, whose feed always starts with a reset). */
  feedDeltas?: boolean;
}

const instance = instanceFixture;

export function catalogContract(name: string, make: () => Promise<ContractTarget>, opts: ContractOptions = {}): void {
  const ttl = 600 * (opts.ttlScale ?? 1);
  // Unique per run, so a real Consul agent shared between runs never sees the last run's leftovers.
  const ns = `ct${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

  describe(`catalog contract: ${name}`, () => {
    let target: ContractTarget;
    let catalog: Catalog;
    before(async () => {
      target = await make();
      catalog = target.catalog;
    });
    after(async () => {
      await target.cleanup();
    });

    txnContract(() => catalog, ns, ttl);
    largeListContract(() => catalog, ns);
    feedContract(() => catalog, ns, ttl, { deltas: opts.feedDeltas ?? true });

    it('registers, lists, filters by health and deregisters instances', async () => {
      const svc = `${ns}-web`;
      const a = instance({ service: svc, tags: ['blue'] });
      const b = instance({ service: svc, tags: ['green'] });
      await catalog.registerInstance(a);
      await catalog.registerInstance(b);
      const all = (await catalog.listInstances()).value.filter((i) => i.service === svc);
      assert.deepEqual(all.map((i) => i.id).sort(), [a.id, b.id].sort());
      const got = all.find((i) => i.id === a.id)!;
      assert.equal(got.name, a.name);
      assert.equal(got.address, a.address);
      assert.equal(got.port, a.port);
      assert.deepEqual(got.tags, ['blue']);
      assert.equal(got.meta.container, a.meta.container);

      await catalog.setHealth(b.id, 'critical');
      const healthy = (await catalog.healthyInstances(svc)).value;
      assert.deepEqual(healthy.map((i) => i.id), [a.id]);
      await catalog.setHealth(b.id, 'warning');
      assert.deepEqual((await catalog.healthyInstances(svc)).value.map((i) => i.id), [a.id]);
      await catalog.setHealth(b.id, 'passing');
      assert.equal((await catalog.healthyInstances(svc)).value.length, 2);

      const services = (await catalog.listServices()).value;
      assert.deepEqual([...services[svc]!].sort(), ['blue', 'green']);

      await catalog.deregisterInstance(a.id);
      await catalog.deregisterInstance(a.id); // unknown IDs are not an error
      assert.deepEqual((await catalog.healthyInstances(svc)).value.map((i) => i.id), [b.id]);
      await catalog.deregisterInstance(b.id);
      assert.equal((await catalog.listServices()).value[svc], undefined);
    });

    it('rejects health for an unknown instance with not_found', async () => {
      await assert.rejects(catalog.setHealth(`${ns}:nope:1`, 'passing'), { code: 'not_found' });
    });

    it('a blocking read wakes on change, well before its wait time', async () => {
      const svc = `${ns}-watch`;
      const { index } = await catalog.listInstances();
      const started = Date.now();
      const pending = catalog.healthyInstances(svc, { index, waitMs: 10_000 });
      setTimeout(() => void catalog.registerInstance(instance({ service: svc })), 150);
      const result = await pending;
      assert.ok(result.index > index, `index ${result.index} should pass ${index}`);
      assert.ok(Date.now() - started < 5_000, 'woke on the change, not on the timeout');
      assert.equal(result.value.length, 1);
    });

    it('a blocking read without a change returns after its wait time with the same index', async () => {
      const key = `${ns}/quiet`;
      await catalog.kvPut(key, 'x');
      const { index } = await catalog.kvGet(key);
      const started = Date.now();
      const result = await catalog.kvGet(key, { index, waitMs: 1_000 });
      const elapsed = Date.now() - started;
      assert.equal(result.index, index);
      assert.ok(elapsed >= 800, `waited ${elapsed} ms`);
      assert.equal(result.value?.value, 'x');
    });

    it('a blocking read can be aborted', async () => {
      const { index } = await catalog.kvList(`${ns}/`);
      const controller = new AbortController();
      const pending = catalog.kvList(`${ns}/`, { index, waitMs: 20_000, signal: controller.signal });
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(pending, (err: Error) => err.name === 'AbortError');
    });

    it('KV compare-and-set reports conflicts and writes nothing on them', async () => {
      const key = `${ns}/cas`;
      assert.equal(await catalog.kvPut(key, 'one', { cas: 0 }), true);
      assert.equal(await catalog.kvPut(key, 'two', { cas: 0 }), false, 'cas 0 means only-if-absent');
      const first = (await catalog.kvGet(key)).value!;
      assert.equal(first.value, 'one');
      assert.equal(await catalog.kvPut(key, 'two', { cas: first.modifyIndex }), true);
      assert.equal(await catalog.kvPut(key, 'three', { cas: first.modifyIndex }), false, 'stale index');
      const second = (await catalog.kvGet(key)).value!;
      assert.equal(second.value, 'two');
      assert.ok(second.modifyIndex > first.modifyIndex);
      assert.equal(second.createIndex, first.createIndex);
      assert.equal(await catalog.kvDelete(key, { cas: first.modifyIndex }), false);
      assert.equal(await catalog.kvDelete(key, { cas: second.modifyIndex }), true);
      assert.equal((await catalog.kvGet(key)).value, undefined);
    });

    it('KV lists by prefix in key order and deletes recursively', async () => {
      const prefix = `${ns}/tree/`;
      for (const k of ['b', 'a/x', 'a/y', 'c']) await catalog.kvPut(prefix + k, k.toUpperCase());
      await catalog.kvPut(`${ns}/treeless`, 'outside');
      const listed = (await catalog.kvList(prefix)).value;
      assert.deepEqual(listed.map((e) => e.key), ['a/x', 'a/y', 'b', 'c'].map((k) => prefix + k));
      assert.equal(listed[0]!.value, 'A/X');
      await catalog.kvDelete(`${prefix}a/`, { recurse: true });
      assert.deepEqual((await catalog.kvList(prefix)).value.map((e) => e.key), [`${prefix}b`, `${prefix}c`]);
      assert.equal((await catalog.kvGet(`${ns}/treeless`)).value?.value, 'outside');
    });

    it('locks: one holder at a time, released on request', async () => {
      const key = `${ns}/lock`;
      const a = await catalog.createSession({ name: 'a', ttlMs: ttl * 20 });
      const b = await catalog.createSession({ name: 'b', ttlMs: ttl * 20 });
      try {
        assert.equal(await catalog.kvPut(key, 'a', { acquire: a }), true);
        assert.equal(await catalog.kvPut(key, 'a', { acquire: a }), true, 're-acquiring is fine');
        assert.equal(await catalog.kvPut(key, 'b', { acquire: b }), false);
        assert.equal((await catalog.kvGet(key)).value?.session, a);
        assert.equal(await catalog.kvPut(key, 'a', { release: b }), false, 'only the holder releases');
        assert.equal(await catalog.kvPut(key, '', { release: a }), true);
        assert.equal((await catalog.kvGet(key)).value?.session, undefined);
        assert.equal(await catalog.kvPut(key, 'b', { acquire: b }), true);
      } finally {
        await catalog.destroySession(a);
        await catalog.destroySession(b);
      }
    });

    it('session expiry frees its lock and marks its host down; renewal keeps it alive', async () => {
      const host = `${ns}-node`;
      const key = `${ns}/leader`;
      const dying = await catalog.createSession({ name: 'dying', ttlMs: ttl });
      const kept = await catalog.createSession({ name: 'kept', ttlMs: ttl });
      const renew = setInterval(() => void catalog.renewSession(kept).catch(() => undefined), ttl / 4);
      try {
        await catalog.registerHost({ name: host, address: '127.0.0.2', meta: { disk: 'ssd' }, capacity: { cpu: 2000, memory: 1024 } }, dying);
        await catalog.registerHost({ name: `${host}-kept`, address: '127.0.0.3', meta: {}, capacity: { cpu: 1000, memory: 512 } }, kept);
        assert.equal(await catalog.kvPut(key, 'me', { acquire: dying }), true);
        const before = (await catalog.listHosts()).value.find((h) => h.name === host)!;
        assert.equal(before.alive, true);
        assert.deepEqual(before.meta, { disk: 'ssd' });
        assert.deepEqual(before.capacity, { cpu: 2000, memory: 1024 });

        await eventually(async () => (await catalog.listHosts()).value.find((h) => h.name === host)?.alive === false, ttl * 4 + 2_000, 'host down');
        await eventually(async () => (await catalog.kvGet(key)).value?.session === undefined, ttl * 4, 'lock freed');
        assert.equal(await catalog.renewSession(dying), false);
        const other = await catalog.createSession({ name: 'next', ttlMs: ttl * 20 });
        assert.equal(await catalog.kvPut(key, 'next', { acquire: other }), true, 'the freed lock can be taken');
        await catalog.destroySession(other);

        const keptHost = (await catalog.listHosts()).value.find((h) => h.name === `${host}-kept`)!;
        assert.equal(keptHost.alive, true, 'a renewed session outlives its TTL');
        assert.equal(await catalog.renewSession(kept), true);
      } finally {
        clearInterval(renew);
        await catalog.destroySession(kept).catch(() => undefined);
        await catalog.removeHost(host).catch(() => undefined);
        await catalog.removeHost(`${host}-kept`).catch(() => undefined);
      }
    });

    it('registering a host with a dead session is rejected with session_invalid', async () => {
      await assert.rejects(
        catalog.registerHost({ name: `${ns}-ghost`, address: '127.0.0.9', meta: {}, capacity: { cpu: 1, memory: 1 } }, '00000000-0000-0000-0000-000000000000'),
        { code: 'session_invalid' },
      );
    });
  });
}
