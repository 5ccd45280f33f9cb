/**
 * The Consul adapter when things go wrong: agent down, agent dying mid-read, agent erroring, the
 * adapter closed mid-read, indexes going backwards, checks needing their TTL re-asserted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createConsulCatalog } from '../../src/catalog/consul/index.js';
import { watch } from '../../src/catalog/watch.js';
import type { Catalog } from '../../src/catalog/types.js';
import { silentLogger } from '../../src/log/index.js';
import { eventually } from '../support/wait.js';
import { withFake, inst } from './fake-consul/harness.js';

const unhandled: unknown[] = [];
process.on('unhandledRejection', (err) => unhandled.push(err));

/** Every port method once, each expected to reject with `code`. */
async function everyCall(catalog: Catalog, code: string): Promise<void> {
  const calls: [string, () => Promise<unknown>][] = [
    ['createSession', () => catalog.createSession({ name: 'x', ttlMs: 10_000 })],
    ['renewSession', () => catalog.renewSession('0b5e4c1a-0000-4000-8000-000000000000')],
    ['destroySession', () => catalog.destroySession('0b5e4c1a-0000-4000-8000-000000000000')],
    ['registerHost', () => catalog.registerHost({ name: 'n', address: 'a', meta: {}, capacity: { cpu: 1, memory: 1 } }, 's')],
    ['listHosts', () => catalog.listHosts({ index: 5, waitMs: 1_000 })],
    ['removeHost', () => catalog.removeHost('n')],
    ['registerInstance', () => catalog.registerInstance(inst())],
    ['deregisterInstance', () => catalog.deregisterInstance('x')],
    ['setHealth', () => catalog.setHealth('x', 'passing')],
    ['listInstances', () => catalog.listInstances({ index: 5, waitMs: 1_000 })],
    ['healthyInstances', () => catalog.healthyInstances('web')],
    ['listServices', () => catalog.listServices()],
    ['kvGet', () => catalog.kvGet('k')],
    ['kvList', () => catalog.kvList('k/')],
    ['kvPut', () => catalog.kvPut('k', 'v', { cas: 0 })],
    ['kvDelete', () => catalog.kvDelete('k')],
  ];
  for (const [name, call] of calls) await assert.rejects(call(), { name: 'CatalogError', code }, name);
}

test('an agent that is down: every call rejects with unavailable, nothing crashes', async () => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r())); // a port nobody listens on
  const catalog = createConsulCatalog({ url: `127.0.0.1:${port}`, hostName: 'h1', logger: silentLogger, refreshMs: 20 });
  await everyCall(catalog, 'unavailable');
  await new Promise((r) => setTimeout(r, 100)); // refresh ticks against the dead agent
  await catalog.close();
  assert.deepEqual(unhandled, []);
});

test('an agent answering 500 (no cluster leader) gives unavailable', async (t) => {
  const server = createServer((_req, res) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end('No cluster leader'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  const catalog = createConsulCatalog({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hostName: 'h1', logger: silentLogger });
  t.after(() => catalog.close());
  await assert.rejects(catalog.kvGet('k'), (err: Error & { code?: string }) => err.code === 'unavailable' && /No cluster leader/.test(err.message));
});

test('the agent dying during a blocking read rejects it with unavailable', async (t) => {
  const { fake, catalog } = await withFake(t);
  const { index } = await catalog.kvGet('k');
  const pending = catalog.kvGet('k', { index, waitMs: 30_000 });
  setTimeout(() => void fake.close(), 100);
  await assert.rejects(pending, { code: 'unavailable' });
});

test('close() ends pending blocking reads with closed, and later calls too', async (t) => {
  const { catalog } = await withFake(t);
  const { index } = await catalog.listInstances();
  const pending = catalog.listInstances({ index, waitMs: 30_000 });
  const pendingKv = catalog.kvList('x/', { index: 1_000_000, waitMs: 30_000 });
  setTimeout(() => void catalog.close(), 100);
  await assert.rejects(pending, { code: 'closed' });
  await assert.rejects(pendingKv, { code: 'closed' });
  await assert.rejects(catalog.kvGet('k'), { code: 'closed' });
});

test('an index going backwards (snapshot restore) is handed back, and watch() starts over', async (t) => {
  const { fake, catalog } = await withFake(t);
  await catalog.kvPut('cfg', 'old');
  for (let i = 0; i < 20; i++) await catalog.kvPut('noise', String(i)); // push the index up
  const seen: [string | undefined, number][] = [];
  const ac = new AbortController();
  t.after(() => ac.abort());
  void watch((o) => catalog.kvGet('cfg', o), (v, index) => seen.push([v?.value, index]), { signal: ac.signal, waitMs: 5_000 });
  await eventually(() => seen.length === 1, 2_000, 'first value');
  const before = seen[0]![1];
  // Restore while the watch's next blocking read is parked in the agent.
  await eventually(() => fake.calls('GET', '/kv/cfg').some((r) => r.query.index === String(before)), 2_000, 'blocking read parked');
  fake.restoreTo(3);
  fake.state.kv.get('cfg')!.Value = Buffer.from('restored');
  const raw = await catalog.kvGet('cfg');
  assert.ok(raw.index < before, `index went back from ${before} to ${raw.index}`);
  await catalog.kvPut('cfg', 'new');
  await eventually(() => seen.some(([v]) => v === 'new'), 3_000, 'watch follows the restored store');
});

test('TTL checks are re-asserted while open, expire once closed, and come back if the agent lost them', async (t) => {
  // Check TTL "3s" at the fake's 0.1 time scale = 300 ms real; the adapter refreshes every 30 ms.
  const { fake, catalog } = await withFake(t, {}, { checkTtlMs: 3_000, refreshMs: 30 });
  const a = inst();
  await catalog.registerInstance(a);
  const { index } = await catalog.listInstances();
  await new Promise((r) => setTimeout(r, 1_000));
  assert.deepEqual((await catalog.healthyInstances('web')).value.map((i) => i.id), [a.id], 'kept passing past 3 TTLs');
  assert.ok(fake.calls('PUT', '/agent/check/pass/').length >= 5, 'refreshed');
  assert.equal((await catalog.listInstances()).index, index, 'refreshes with an unchanged status wake no watcher');

  fake.state.deregisterService(a.id); // the agent lost its state
  await eventually(async () => (await catalog.healthyInstances('web')).value.length === 1, 2_000, 're-registered by the refresh');
  assert.equal(fake.calls('PUT', '/agent/service/register').length, 2);

  const other = createConsulCatalog({ url: fake.url, hostName: 'h2', logger: silentLogger, checkTtlMs: 3_000, refreshMs: 30 });
  const b = inst({ host: 'h2' });
  await other.registerInstance(b);
  await other.close(); // its owner is gone: nobody re-asserts b's check
  await eventually(async () => (await catalog.listInstances()).value.find((i) => i.id === b.id)?.health === 'critical', 2_000, 'b critical');
  assert.deepEqual((await catalog.healthyInstances('web')).value.map((i) => i.id), [a.id]);
});
