import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import type { Catalog } from '../../src/catalog/types.js';
import { startRegistrar, type RegistrarOptions } from '../../src/registrar/index.js';
import { eventually } from '../support/wait.js';
import { FakeDocker } from './fake-docker.js';
import { container, instance } from './fixtures.js';
import { capturingLogger, flaky } from './support.js';

const HOST = 'node-1';

function setup(t: TestContext, over: Partial<RegistrarOptions> = {}) {
  const docker = new FakeDocker();
  const catalog = over.catalog ?? createEmbeddedCatalog();
  const start = () => {
    const r = startRegistrar({ docker, catalog, host: HOST, advertise: '10.0.0.5', minBackoffMs: 10, maxBackoffMs: 50, ...over });
    t.after(() => r.stop());
    return r;
  };
  t.after(() => catalog.close());
  return { docker, catalog, start };
}

const ids = async (catalog: Catalog, host = HOST) =>
  (await catalog.listInstances({ host })).value.map((i) => i.id).sort();

const c1 = container({ id: 'c1', name: 'one' });
const c2 = container({ id: 'c2', name: 'two' });

test('subscribes before listing, then reconciles: orphans go, other hosts are untouched', async (t) => {
  const { docker, catalog, start } = setup(t);
  docker.containers.set('c1', c1);
  await catalog.registerInstance(instance({ id: `${HOST}:gone:80`, host: HOST }));
  await catalog.registerInstance(instance({ id: 'node-2:c9:80', host: 'node-2' }));
  const r = start();
  await r.synced();
  assert.deepEqual(docker.calls.slice(0, 2), ['events', 'list']);
  assert.deepEqual(await ids(catalog), [`${HOST}:c1:80`]);
  assert.deepEqual(await ids(catalog, 'node-2'), ['node-2:c9:80']);
  assert.equal(r.metrics().deregistrations, 1);
});

test('events: start registers, pause/unpause flip health, die and destroy remove', async (t) => {
  const { docker, catalog, start } = setup(t);
  const r = start();
  await r.synced();
  docker.set(c1);
  await eventually(async () => (await ids(catalog)).length === 1, 2000, 'registration');
  docker.set({ ...c1, paused: true }, 'pause');
  await eventually(async () => (await catalog.listInstances()).value[0]?.health === 'critical', 2000, 'critical');
  docker.set({ ...c1, paused: false }, 'unpause');
  await eventually(async () => (await catalog.listInstances()).value[0]?.health === 'passing', 2000, 'passing');
  docker.set({ ...c1, running: false }, 'die');
  await eventually(async () => (await ids(catalog)).length === 0, 2000, 'deregistration on die');
  docker.set(c2);
  await eventually(async () => (await ids(catalog)).length === 1, 2000, 'c2');
  docker.destroy('c2');
  await eventually(async () => (await ids(catalog)).length === 0, 2000, 'deregistration on destroy');
  // exec_* events (health probes) cause no inspect.
  const before = docker.calls.length;
  docker.emit({ action: 'exec_start: test -f /tmp/ok', id: 'c1', time: 0, attributes: {} });
  await new Promise((res) => setTimeout(res, 30));
  assert.equal(docker.calls.length, before);
  assert.ok(r.metrics().eventsSeen >= 7);
});

test('anti-entropy in sync writes nothing; drift is repaired', async (t) => {
  const { docker, catalog, start } = setup(t, { resyncMs: 30 });
  docker.containers.set('c1', c1);
  const r = start();
  await r.synced();
  const { index } = await catalog.listInstances();
  const runs = r.metrics().syncRuns;
  await eventually(() => r.metrics().syncRuns >= runs + 3, 2000, 'three more sync runs');
  assert.equal((await catalog.listInstances()).index, index, 'catalog index moved: a sync in step wrote something');
  assert.equal(r.metrics().registrations, 1);
  await catalog.deregisterInstance(`${HOST}:c1:80`); // someone else removes our instance
  await eventually(async () => (await ids(catalog)).length === 1, 2000, 're-registration');
});

test('a dropped event stream is reconnected, re-listed and reconciled', async (t) => {
  const { docker, catalog, start } = setup(t);
  docker.containers.set('c1', c1);
  const r = start();
  await r.synced();
  docker.down = true;
  docker.drop();
  // What happens while we are blind: c1 goes away, c2 appears; no events reach us.
  docker.containers.delete('c1');
  docker.containers.set('c2', c2);
  await new Promise((res) => setTimeout(res, 150));
  assert.equal(r.metrics().connected, false);
  assert.deepEqual(await ids(catalog), [`${HOST}:c1:80`], 'last known state is kept while the daemon is away');
  docker.down = false;
  await eventually(async () => (await ids(catalog)).join() === `${HOST}:c2:80`, 3000, 'convergence after reconnect');
  assert.equal(r.metrics().connected, true);
  assert.ok(docker.calls.filter((c) => c === 'events').length >= 2);
});

test('a catalog outage is retried until it converges', async (t) => {
  const { catalog: inner, setDown } = flaky(createEmbeddedCatalog());
  const { docker, start } = setup(t, { catalog: inner });
  const r = start();
  await r.synced();
  setDown(true);
  docker.set(c1);
  docker.set(c2);
  await eventually(() => r.metrics().errors >= 2, 2000, 'errors counted');
  setDown(false);
  await eventually(async () => (await ids(inner)).length === 2, 3000, 'convergence after outage');
});

test('warns when two containers claim one instance name in a service', async (t) => {
  const { logger, records } = capturingLogger();
  const { docker, catalog, start } = setup(t, { logger });
  await catalog.registerInstance(instance({ id: 'node-2:x:80', host: 'node-2', service: 'nginx', name: 'kafka-0' }));
  docker.containers.set('c1', container({ id: 'c1', labels: { 'maestro.instance': 'kafka-0' } }));
  const r = start();
  await r.synced();
  const warning = records.find((rec) => rec.msg === 'instance name claimed by several containers');
  assert.ok(warning, 'no warning logged');
  assert.equal(warning.name, 'kafka-0');
});

test('label selector narrows what is registered; stop() before the first sync rejects synced()', async (t) => {
  const { docker, catalog, start } = setup(t, { labels: ['team=a'] });
  docker.containers.set('c1', container({ id: 'c1', labels: { team: 'a' } }));
  docker.containers.set('c2', container({ id: 'c2', labels: { team: 'b' } }));
  const r = start();
  await r.synced();
  assert.deepEqual(await ids(catalog), [`${HOST}:c1:80`]);
  docker.set(container({ id: 'c3', labels: { team: 'b' } }));
  docker.set(container({ id: 'c4', labels: { team: 'a' } }));
  await eventually(async () => (await ids(catalog)).length === 2, 2000, 'c4');
  assert.ok(!docker.calls.includes('inspect:c3'));

  const down = new FakeDocker();
  down.down = true;
  const r2 = startRegistrar({ docker: down, catalog, host: 'h', advertise: '10.0.0.5', minBackoffMs: 10 });
  await r2.stop();
  await assert.rejects(r2.synced());
});

test('a slow inspect of one container does not hold back the events of the others', async (t) => {
  const { docker, catalog, start } = setup(t);
  const r = start();
  await r.synced();
  // c1's inspect hangs (a container being killed can take seconds to answer) until released.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  t.after(() => release());
  let c1Asked = false;
  const inspect = docker.inspect.bind(docker);
  docker.inspect = async (id: string) => {
    if (id === 'c1') {
      c1Asked = true;
      await held;
    }
    return inspect(id);
  };
  docker.set(c1);
  await eventually(() => c1Asked, 2000, 'c1 inspected');
  docker.set(c2);
  // c2 is registered while c1's inspect is still pending (waiting for a whole batch would not).
  await eventually(async () => (await ids(catalog)).includes(`${HOST}:c2:80`), 2000, 'c2 registered while c1 is slow');
  assert.deepEqual(await ids(catalog), [`${HOST}:c2:80`]);
  release();
  await eventually(async () => (await ids(catalog)).length === 2, 2000, 'c1 registered once released');
});

test('a container dirty again while its update runs is re-derived after it, never twice at once', async (t) => {
  const { docker, catalog, start } = setup(t);
  const r = start();
  await r.synced();
  let running = 0;
  let most = 0;
  let release!: () => void;
  let held: Promise<void> | undefined = new Promise<void>((resolve) => (release = resolve));
  t.after(() => release());
  const inspect = docker.inspect.bind(docker);
  docker.inspect = async (id: string) => {
    running++;
    most = Math.max(most, running);
    try {
      if (held) await held;
      return await inspect(id);
    } finally {
      running--;
    }
  };
  docker.set(c1);
  await eventually(() => running === 1, 2000, 'first update running');
  docker.set({ ...c1, paused: true }, 'pause');
  held = undefined;
  release();
  await eventually(async () => (await catalog.listInstances()).value[0]?.health === 'critical', 2000, 'the later state wins');
  assert.equal(most, 1);
});
