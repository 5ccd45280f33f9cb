import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { dockerOrSkip } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { alloc } from './fixtures.js';
import { flakyCatalog, harness } from './harness.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('fencing: containers keep running through a catalog outage; a moved allocation is removed after it', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const real = createEmbeddedCatalog();
  const flaky = flakyCatalog(real);
  const h = harness(t, real);
  const name = h.name('fence');
  await h.putJob(h.job(name));
  const a = alloc(name, 0, { id: `${name}-0-a`, host: 'fa' });
  await h.putAlloc(a);
  const agent = h.agent('fa', { catalog: flaky.catalog });
  const st = await eventually(async () => {
    const s = await h.status('fa', a.id);
    return s?.state === 'running' ? s : undefined;
  }, 15_000, 'running');

  flaky.setDown(true);
  // Meanwhile the scheduler moves the replica to host fb (same ordinal, new allocation id).
  await h.deleteAlloc(a);
  await h.putAlloc({ ...a, id: `${name}-0-b`, host: 'fb' });
  await pause(2_500); // two periodic reconciles, several failed watch reads
  const during = await h.containers(name);
  assert.equal(during.length, 1);
  assert.ok(during[0]!.running, 'kept running while the catalog is unreachable');
  assert.equal(during[0]!.id, st.containerIds[0]);
  assert.ok(agent.metrics().catalogErrors > 0);

  flaky.setDown(false);
  await eventually(async () => (await h.containers(name)).length === 0, 15_000, 'fenced container removed');
  await eventually(async () => (await h.status('fa', a.id)) === undefined, 5_000, 'old status deleted');
});

test('two agents on one daemon never touch each other’s containers', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const h = harness(t);
  const name = h.name('shared');
  await h.putJob(h.job(name));
  // Same job and ordinal on both hosts: container names must still differ.
  const onA = alloc(name, 0, { id: `${name}-0-a`, host: 'sa' });
  const onB = alloc(name, 0, { id: `${name}-0-b`, host: 'sb' });
  await h.putAlloc(onA);
  await h.putAlloc(onB);
  h.agent('sa');
  h.agent('sb');
  const both = await eventually(async () => {
    const cs = (await h.containers(name)).filter((c) => c.running);
    return cs.length === 2 ? cs : undefined;
  }, 15_000, 'one container per agent');
  assert.notEqual(both[0]!.name, both[1]!.name);
  assert.deepEqual(both.map((c) => c.labels['maestro.host']).sort(), ['sa', 'sb']);
  const bContainer = both.find((c) => c.labels['maestro.host'] === 'sb')!;

  await h.deleteAlloc(onA);
  await eventually(async () => (await h.containers(name)).length === 1, 10_000, 'sa removed its own container');
  await pause(1_500); // sa reconciles again with an empty allocation list
  const left = await h.containers(name);
  assert.equal(left.length, 1);
  assert.equal(left[0]!.id, bContainer.id);
  assert.ok(left[0]!.running);
  assert.equal((await h.status('sb', onB.id))?.state, 'running');
  const { value: hosts } = await h.catalog.listHosts();
  assert.deepEqual(hosts.filter((x) => x.alive).map((x) => x.name).sort(), ['sa', 'sb']);
});
