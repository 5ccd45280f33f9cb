import assert from 'node:assert/strict';
import { test } from 'node:test';
import { docker, dockerOrSkip } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { harness } from './harness.js';

test('a labelled container with a published port appears, and disappears when stopped', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const h = harness(t);
  const r = h.start();
  await r.synced();
  const id = await h.run(['-p', '127.0.0.1::80', '-l', 'maestro.service=web', '-l', 'maestro.tags=blue, v2']);
  const [i] = await h.until(id, 1);
  const hostPort = Number((await docker(['port', id, '80/tcp'])).split(':').pop());
  const name = await docker(['inspect', '-f', '{{.Name}}', id]);
  assert.deepEqual(
    { id: i!.id, service: i!.service, name: i!.name, address: i!.address, port: i!.port, tags: i!.tags, health: i!.health },
    { id: `${h.host}:${id}:80`, service: 'web', name: name.slice(1), address: '127.0.0.1', port: hostPort, tags: ['blue', 'v2'], health: 'passing' },
  );
  assert.equal(i!.meta.image, 'maestro-test:busybox');
  await docker(['stop', '-t', '1', id]);
  await h.until(id, 0, 'deregistration');
  assert.ok(r.metrics().eventsSeen > 0);
});

test('two ports, per-port names, ignore rules', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const h = harness(t);
  await h.start().synced();
  const two = await h.run(['-p', '127.0.0.1::80', '-p', '127.0.0.1::81', '-e', 'SERVICE_NAME=shop', '-e', 'SERVICE_81_NAME=shop-admin']);
  const ignoredEnv = await h.run(['-p', '127.0.0.1::80', '-e', 'SERVICE_IGNORE=1']);
  const ignoredLabel = await h.run(['-p', '127.0.0.1::80', '-l', 'maestro.ignore=true']);
  const ignoredPort = await h.run(['-p', '127.0.0.1::80', '-p', '127.0.0.1::81', '-e', 'SERVICE_80_IGNORE=1']);
  await h.until(two, 2);
  await h.until(ignoredPort, 1);
  assert.deepEqual((await h.of(two)).map((i) => i.service), ['shop-80', 'shop-admin']);
  assert.deepEqual((await h.of(ignoredPort)).map((i) => [i.service, i.id.split(':').pop()]), [['maestro-test', '81']]);
  assert.deepEqual(await h.of(ignoredEnv), []);
  assert.deepEqual(await h.of(ignoredLabel), []);
});

test('internal mode registers the container IP and container port', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const h = harness(t);
  await h.start({ internal: true }).synced();
  const id = await h.run(['--expose', '6379', '-l', 'maestro.service=cache']);
  const [i] = await h.until(id, 1);
  const ip = await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id]);
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
  assert.deepEqual([i!.address, i!.port], [ip, 6379]);
});

test('HEALTHCHECK flips the instance health both ways; pause makes it critical', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const h = harness(t);
  await h.start().synced();
  const id = await h.run([
    '-p', '127.0.0.1::80',
    '--health-cmd', 'test -f /ok', '--health-interval', '1s', '--health-retries', '1', '--health-timeout', '1s',
  ]);
  const health = async () => (await h.of(id))[0]?.health;
  // The image has no touch/rm applet links; the busybox binary runs them by name.
  await eventually(async () => (await health()) === 'critical', 10_000, 'unhealthy → critical');
  await docker(['exec', id, 'busybox', 'touch', '/ok']);
  await eventually(async () => (await health()) === 'passing', 10_000, 'healthy → passing');
  await docker(['exec', id, 'busybox', 'rm', '/ok']);
  await eventually(async () => (await health()) === 'critical', 10_000, 'unhealthy again → critical');
  await docker(['exec', id, 'busybox', 'touch', '/ok']);
  await eventually(async () => (await health()) === 'passing', 10_000, 'healthy again');
  await docker(['pause', id]);
  await eventually(async () => (await health()) === 'critical', 5_000, 'paused → critical');
  await docker(['unpause', id]);
  await eventually(async () => (await health()) === 'passing', 5_000, 'unpaused → passing');
});

test('restarted registrar makes the catalog equal reality: no stale, no missing', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const h = harness(t);
  const first = h.start();
  await first.synced();
  const keep = await h.run(['-p', '127.0.0.1::80']);
  const gone = await h.run(['-p', '127.0.0.1::80']);
  const stopped = await h.run(['-p', '127.0.0.1::80']);
  await eventually(async () => (await h.all()).length === 3, 5000, 'three registered');
  await first.stop();

  await docker(['rm', '-f', gone]);
  await docker(['stop', '-t', '1', stopped]);
  const fresh = await h.run(['-p', '127.0.0.1::80', '-p', '127.0.0.1::81']);
  assert.equal((await h.all()).length, 3, 'nothing changes while the registrar is down');

  const second = h.start();
  await second.synced();
  const running = (await docker(['ps', '-q', '--no-trunc', '--filter', `label=maestro.test.scope=${h.scope}`])).split('\n').sort();
  assert.deepEqual(running, [keep, fresh].sort());
  assert.deepEqual((await h.all()).map((i) => i.id), [
    ...[keep, fresh].sort().flatMap((id) => (id === keep ? [`${h.host}:${id}:80`] : [`${h.host}:${id}:80`, `${h.host}:${id}:81`])),
  ]);
  assert.equal(second.metrics().registrations, 2);
  assert.equal(second.metrics().deregistrations, 2);
});
