import { test } from 'node:test';
import assert from 'node:assert/strict';
import { keys } from '../../src/scheduler/types.js';
import { dockerOrSkip, docker as dockerCli } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { alloc } from './fixtures.js';
import { docker, harness } from './harness.js';

test('3 replicas on one host: named, labelled, published, reported; stop and removal', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const h = harness(t);
  const name = h.name('web');
  const j = h.job(name, { tags: ['blue'], labels: { tier: 'front' } }, [
    { command: ['sh', '-c', 'mkdir -p /www && exec httpd -f -p 80 -h /www'], ports: [{ name: 'http', container: 80, protocol: 'tcp', proxy: 18080 }] },
  ]);
  await h.putJob(j);
  const allocs = [0, 1, 2].map((o) => alloc(name, o, { id: `${name}-${o}-x${o}`, host: 'h1' }));
  for (const a of allocs) await h.putAlloc(a);
  const agent = h.agent('h1', { capacity: { memory: 2048 } });

  const running = await eventually(async () => {
    const cs = (await h.containers(name)).filter((c) => c.running);
    return cs.length === 3 ? cs : undefined;
  }, 20_000, '3 running containers');
  for (const c of running) {
    const ordinal = Number(c.labels['maestro.instance']!.slice(name.length + 1));
    const a = allocs[ordinal]!;
    assert.match(c.name, new RegExp(`^${name}-${ordinal}-[0-9a-f]{8}$`));
    assert.equal(c.labels['maestro.job'], name);
    assert.equal(c.labels['maestro.service'], name);
    assert.equal(c.labels['maestro.alloc'], a.id);
    assert.equal(c.labels['maestro.host'], 'h1');
    assert.equal(c.labels['maestro.tags'], 'blue');
    assert.equal(c.labels.tier, 'front');
    assert.equal(c.labels['maestro.port.80.name'], name);
    assert.equal(c.labels['maestro.port.80.proxy'], '18080');
    const published = c.ports.find((p) => p.containerPort === 80 && p.hostPort);
    assert.ok(published && published.hostPort! > 0, 'port 80 published on a dynamic host port');
    const envVar = `${name.toUpperCase().replace(/-/g, '_')}_SERVICE_PORT`;
    assert.equal(c.env[envVar], '18080');
  }
  for (const a of allocs) {
    const s = await eventually(async () => {
      const st = await h.status('h1', a.id);
      return st?.state === 'running' && st.healthy ? st : undefined;
    }, 10_000, `status of ${a.id}`);
    assert.equal(s.containerIds.length, 1);
  }
  // The host is registered with Docker's cpu count and the memory override.
  const { value: hosts } = await h.catalog.listHosts();
  const info = await docker.info();
  assert.deepEqual(hosts.find((x) => x.name === 'h1')?.capacity, { cpu: info.cpus * 1000, memory: 2048 });

  // desired stop → removed, then reported stopped.
  await h.putAlloc({ ...allocs[0]!, desired: 'stop' });
  await eventually(async () => (await h.status('h1', allocs[0]!.id))?.state === 'stopped', 15_000, 'stopped status');
  assert.equal((await h.containers(name)).filter((c) => c.labels['maestro.alloc'] === allocs[0]!.id).length, 0);

  // allocation deleted → container removed and its status forgotten.
  await h.deleteAlloc(allocs[1]!);
  await eventually(async () => (await h.containers(name)).length === 1, 15_000, 'one container left');
  await eventually(async () => (await h.status('h1', allocs[1]!.id)) === undefined, 5_000, 'status deleted');
  assert.ok(agent.metrics().containersStarted >= 3);
});

test('a killed container is reported failed and not restarted', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const h = harness(t);
  const name = h.name('kill');
  await h.putJob(h.job(name));
  const a = alloc(name, 0, { id: `${name}-0-k`, host: 'hk' });
  await h.putAlloc(a);
  h.agent('hk');
  const s = await eventually(async () => {
    const st = await h.status('hk', a.id);
    return st?.state === 'running' ? st : undefined;
  }, 15_000, 'running');
  await dockerCli(['kill', s.containerIds[0]!]);
  const failed = await eventually(async () => {
    const st = await h.status('hk', a.id);
    return st?.state === 'failed' ? st : undefined;
  }, 10_000, 'failed status');
  assert.match(failed.message ?? '', /exited with code 137/);
  await new Promise((r) => setTimeout(r, 1_500)); // a reconcile or two later: still not restarted
  const cs = await h.containers(name);
  assert.equal(cs.length, 1);
  assert.equal(cs[0]!.running, false);
});

test('an image that cannot be pulled fails the allocation with a message', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const h = harness(t);
  const name = h.name('pull');
  await h.putJob(h.job(name, {}, [{ image: 'maestro-test/does-not-exist:never' }]));
  const a = alloc(name, 0, { id: `${name}-0-p`, host: 'hp' });
  await h.putAlloc(a);
  const agent = h.agent('hp');
  const st = await eventually(async () => {
    const s = await h.status('hp', a.id);
    return s?.state === 'failed' ? s : undefined;
  }, 15_000, 'failed status');
  assert.match(st.message ?? '', /does-not-exist/);
  assert.equal(agent.metrics().startFailures, 1);
  assert.ok((await h.catalog.kvList(keys.allocStatusPrefix('hp'))).value.length === 1);
});
