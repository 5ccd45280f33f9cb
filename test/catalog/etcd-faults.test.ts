/**
 * What an etcd client must survive, against a real member started here: a host's lease expiring
 * (its instances vanish by themselves, and come back bound to the new session when the agent
 * registers again), a compacted revision on watch resume (re-list, then watch), and the member
 * killed with SIGKILL and restarted on the same data dir (consumers keep their last snapshot, the
 * adapter reconnects and converges). Also: malformed values under the prefix never reach callers.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Etcd3 } from 'etcd3';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import type { Catalog, ServiceInstance } from '../../src/catalog/types.js';
import { watch } from '../../src/catalog/watch.js';
import { silentLogger } from '../../src/log/index.js';
import { instanceFixture } from '../support/fixtures.js';
import { eventually } from '../support/wait.js';
import { EtcdServer, etcdSkipReason, requireEtcdBinary } from './support/etcd.js';

const PREFIX = '/faults/';

describe('etcd catalog under faults', { skip: etcdSkipReason() }, () => {
  let server: EtcdServer;
  let raw: Etcd3;
  const opened: Catalog[] = [];
  const open = (host: string): Catalog => {
    const c = createEtcdCatalog({ endpoints: [server.endpoint], prefix: PREFIX, hostName: host, logger: silentLogger, instanceLeaseTtlMs: 2_000 });
    opened.push(c);
    return c;
  };

  before(async () => {
    server = await EtcdServer.start(requireEtcdBinary());
    raw = new Etcd3({ hosts: server.endpoint });
  });
  after(async () => {
    for (const c of opened) await c.close();
    raw?.close();
    await server?.stop();
  });

  it('a host whose lease expires loses its instances; registering again binds the registrar\'s re-registrations to the new lease', async () => {
    const agent = open('n1'); // the host's own process: registrar + agent on one catalog
    const observer = open('n2'); // another host, as its DNS server sees the cluster
    const record = { name: 'n1', address: '10.0.0.1', meta: {}, capacity: { cpu: 1000, memory: 512 } };
    const first = await agent.createSession({ name: 'host:n1', ttlMs: 1_000 });
    await agent.registerHost(record, first);
    const inst = instanceFixture({ id: 'n1:c1:80', host: 'n1', service: 'lease-web' });
    await agent.registerInstance(inst);
    const ids = async () => (await observer.listInstances({ host: 'n1' })).value.map((i) => i.id);
    assert.deepEqual(await ids(), [inst.id]);
    const bound = await raw.get(`${PREFIX}instances/n1/${encodeURIComponent(inst.id)}`).exec();
    assert.equal(BigInt(bound.kvs[0]!.lease).toString(16).padStart(16, '0'), first, 'the instance is bound to the host lease');

    // No renewal (a partition, a dead agent): etcd deletes the lease's keys by itself.
    await eventually(async () => (await ids()).length === 0, 10_000, 'instances gone with the lease');
    const down = (await observer.listHosts()).value.find((h) => h.name === 'n1');
    assert.equal(down?.alive, false, 'the host stays listed, down');
    assert.equal(await agent.renewSession(first), false);

    // What the agent's heartbeat does next: a new session, the host registered again.
    const second = await agent.createSession({ name: 'host:n1', ttlMs: 10_000 });
    await agent.registerHost(record, second);
    // Not resurrected by the adapter: after a lapse only the registrar knows what is still wanted
    // (a replica moved meanwhile must stay out: src/registrar/fence.ts). It writes them back.
    assert.deepEqual(await ids(), [], 'instances of the lapsed session are not written back by the adapter');
    await agent.registerInstance(inst);
    assert.deepEqual(await ids(), [inst.id]);
    const rebound = await raw.get(`${PREFIX}instances/n1/${encodeURIComponent(inst.id)}`).exec();
    assert.equal(BigInt(rebound.kvs[0]!.lease).toString(16).padStart(16, '0'), second, 'bound to the new host lease');
    assert.equal((await observer.listHosts()).value.find((h) => h.name === 'n1')?.alive, true);
    await agent.destroySession(second);
    assert.deepEqual(await ids(), [], 'destroying the session removes them at once');
  });

  it('a registrar-only process binds its instances to its own lease: re-written when lost, gone when the process is', async () => {
    const registrar = open('n6');
    const observer = open('n6-observer');
    const inst = instanceFixture({ id: 'n6:c1:80', host: 'n6', service: 'own-lease' });
    await registrar.registerInstance(inst);
    const key = `${PREFIX}instances/n6/${encodeURIComponent(inst.id)}`;
    const first = (await raw.get(key).exec()).kvs[0]!.lease;
    assert.notEqual(first, '0', 'bound to a lease');
    await raw.leaseClient.leaseRevoke({ ID: first }); // what expiry during a partition does
    const second = await eventually(async () => {
      const kv = (await raw.get(key).exec()).kvs[0];
      return kv && kv.lease !== first ? kv.lease : undefined;
    }, 10_000, 'the instance written again on a new lease');
    assert.notEqual(second, '0');
    await registrar.close(); // the process is gone: nobody renews its lease
    await eventually(async () => (await observer.listInstances({ host: 'n6' })).value.length === 0, 10_000, 'its instances expire');
  });

  it('a blocking read from a compacted revision re-lists and returns the current state', { timeout: 60_000 }, async () => {
    const catalog = open('n3');
    const svc = 'compacted';
    const a = instanceFixture({ id: 'n3:a:1', host: 'n3', service: svc });
    await catalog.registerInstance(a);
    const { index: stale } = await catalog.healthyInstances(svc);
    // The caller falls behind (disconnected, busy) while the cluster moves on and etcd compacts.
    const b = instanceFixture({ id: 'n3:b:1', host: 'n3', service: svc });
    await catalog.registerInstance(b);
    await catalog.deregisterInstance(a.id);
    const head = await raw.get(`${PREFIX}nothing`).exec();
    await raw.kv.compact({ revision: head.header.revision, physical: true });
    // Watching from `stale + 1` is impossible now; without the re-list this would wait 10 minutes.
    const result = await catalog.healthyInstances(svc, { index: stale, waitMs: 600_000 });
    assert.ok(result.index >= Number(head.header.revision), `index ${result.index} is current`);
    assert.deepEqual(result.value.map((i) => i.id), [b.id]);
  });

  it('malformed values under the prefix are skipped, never handed out', async () => {
    const catalog = open('n4');
    const good = instanceFixture({ id: 'n4:ok:1', host: 'n4', service: 'junk-test' });
    await catalog.registerInstance(good);
    const junk = ['', 'null', '[]', '{"id":"x"}', '{"id":"n4:bad:1","service":"junk-test","name":"x","host":"n4","address":"a","port":70000,"tags":[],"meta":{},"health":"passing"}',
      '{"id":"n4:bad:2","service":"junk-test","name":"x","host":"n4","address":"a","port":1,"tags":[1],"meta":{},"health":"passing"}', '\u0000\xff{'];
    for (const [n, value] of junk.entries()) await raw.put(`${PREFIX}instances/n4/junk${n}`).value(value);
    await raw.put(`${PREFIX}hosts/n4`).value('{"name":"n4"}');
    await raw.put(`${PREFIX}hosts/n4/alive/extra`).value('x');
    const listed = (await catalog.listInstances({ host: 'n4' })).value;
    assert.deepEqual(listed.map((i) => i.id), [good.id]);
    assert.equal((await catalog.listHosts()).value.some((h) => h.name === 'n4'), false);
  });

  it('with one endpoint, the first call after etcd is back succeeds: no breaker holds it shut for 5 s', { timeout: 60_000 }, async () => {
    const catalog = open('n6');
    await catalog.kvPut('maestro/breaker', 'before');
    await server.kill('SIGKILL');
    // Enough failed calls to open the etcd3 package's default breaker (three in a row) several times over.
    for (let i = 0; i < 3; i++) await assert.rejects(catalog.kvGet('maestro/breaker'), { code: 'unavailable' });
    await server.startMember();
    // Not `eventually`: etcd answers again, so this call must, without waiting out a breaker.
    assert.equal((await catalog.kvGet('maestro/breaker')).value?.value, 'before');
  });

  it('etcd killed and restarted on its data dir: consumers keep their last snapshot, then converge', { timeout: 120_000 }, async () => {
    const catalog = open('n5');
    const svc = 'restart-web';
    const session = await catalog.createSession({ name: 'host:n5', ttlMs: 30_000 });
    await catalog.registerHost({ name: 'n5', address: '10.0.0.5', meta: {}, capacity: { cpu: 1, memory: 1 } }, session);
    const before = instanceFixture({ id: 'n5:before:1', host: 'n5', service: svc });
    await catalog.registerInstance(before);

    // The consumer loop DNS and the proxies run: it keeps the last value it was given.
    const ac = new AbortController();
    let served: ServiceInstance[] = [];
    let errors = 0;
    const loop = watch((o) => catalog.healthyInstances(svc, o), (v) => (served = v), {
      signal: ac.signal, waitMs: 2_000, maxBackoffMs: 500, onError: () => errors++,
    });
    try {
      await eventually(() => served.length === 1, 10_000, 'first snapshot');
      await server.kill('SIGKILL');
      await eventually(() => errors > 0, 20_000, 'the consumer notices the outage');
      assert.deepEqual(served.map((i) => i.id), [before.id], 'the last snapshot is still served during the outage');
      await assert.rejects(catalog.listInstances(), { code: 'unavailable' });

      await server.startMember();
      const afterRestart = instanceFixture({ id: 'n5:after:1', host: 'n5', service: svc });
      await eventually(async () => (await catalog.registerInstance(afterRestart), true), 30_000, 'a write after the restart');
      await eventually(() => served.length === 2, 30_000, 'the consumer converges');
      assert.deepEqual(served.map((i) => i.id).sort(), [afterRestart.id, before.id].sort());
      assert.equal(await catalog.renewSession(session), true, 'the host lease survived the restart');
    } finally {
      ac.abort();
      await loop;
    }
  });
});
