/** The table follows the embedded catalog: instance added, made critical, removed; hosts too. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { startDnsServer } from '../../src/dns/index.js';
import { eventually } from '../support/wait.js';
import { inst } from './fixtures.js';

test('answers follow catalog changes within a second', async (t) => {
  const catalog = createEmbeddedCatalog();
  // The host's liveness session comes first, as in a real start. (It also keeps the first instance
  // write off index 1: the embedded catalog reports 1 for a never-written table as well, so a watch
  // parked at index 1 would miss a first write that lands on index 1.)
  const session = await catalog.createSession({ name: 'host:n1', ttlMs: 10_000 });
  const server = await startDnsServer({ catalog, addr: { host: '127.0.0.1', port: 0 } });
  t.after(async () => {
    await server.stop();
    await catalog.close();
  });
  await server.synced();
  const resolver = new Resolver({ timeout: 1_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${server.address().port}`]);
  const a = (name: string) => resolver.resolve4(name).then((r) => r.sort(), (err: NodeJS.ErrnoException) => err.code);
  const within = async (what: string, fn: () => Promise<unknown>, expected: unknown) => {
    const started = Date.now();
    await eventually(async () => JSON.stringify(await fn()) === JSON.stringify(expected), 1_000, what);
    return Date.now() - started;
  };

  assert.equal(await a('api.service.cluster'), 'ENOTFOUND');
  await catalog.registerInstance(inst({ service: 'api', name: 'api-0', address: '10.5.0.1', port: 8000 }));
  await within('instance added', () => a('api.service.cluster'), ['10.5.0.1']);
  await catalog.registerInstance(inst({ service: 'api', name: 'api-1', address: '10.5.0.2', port: 8001 }));
  await within('second instance', () => a('api.service.cluster'), ['10.5.0.1', '10.5.0.2']);
  assert.deepEqual(await a('api-1.api.service.cluster'), ['10.5.0.2']);

  await catalog.setHealth('node-1:api-0:8000', 'critical');
  await within('made critical', () => a('api.service.cluster'), ['10.5.0.2']);
  await catalog.setHealth('node-1:api-1:8001', 'critical');
  // No healthy instance left: the name still exists (NODATA), it is not NXDOMAIN.
  await within('none healthy', () => a('api.service.cluster'), 'ENODATA');

  await catalog.deregisterInstance('node-1:api-0:8000');
  await catalog.deregisterInstance('node-1:api-1:8001');
  await within('removed', () => a('api.service.cluster'), 'ENOTFOUND');

  await catalog.registerHost({ name: 'n1', address: '192.168.7.1', meta: {}, capacity: { cpu: 1000, memory: 512 } }, session);
  await within('host registered', () => a('n1.node.cluster'), ['192.168.7.1']);
  const m = server.metrics();
  assert.ok(m.syncIndex.instances > 0 && m.syncIndex.hosts > 0 && m.lastSyncAt > 0);
});
