import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEmbeddedCatalog } from '../../src/catalog/embedded/index.js';
import { DockerodeAdapter } from '../../src/docker/index.js';
import { startRegistrar } from '../../src/registrar/index.js';
import { docker, dockerOrSkip, ensureTestImage, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { startOwnDockerd } from './own-dockerd.js';

test('dockerd restarted under a running registrar: it reconnects and converges on its own', { timeout: 90_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const daemon = await startOwnDockerd();
  t.after(() => daemon.destroy());
  await ensureTestImage(daemon.host);
  const d = (args: string[]) => docker(args, { dockerHost: daemon.host });
  const run = (flags: string[]) => d(['run', '-d', '--stop-timeout', '1', ...flags, TEST_IMAGE, 'sleep', '3600']);
  const hostPort = async (id: string) => Number((await d(['port', id, '80/tcp'])).split('\n')[0]!.split(':').pop());

  const catalog = createEmbeddedCatalog();
  t.after(() => catalog.close());
  // A long resync period: convergence below must come from the reconnect, not from the timer.
  const registrar = startRegistrar({
    docker: new DockerodeAdapter({ host: daemon.host }), catalog, host: 'h1', advertise: '127.0.0.1',
    resyncMs: 600_000, minBackoffMs: 50, maxBackoffMs: 500,
  });
  t.after(() => registrar.stop());
  await registrar.synced();

  const survivor = await run(['--restart', 'always', '-p', '127.0.0.1::80']);
  const casualty = await run(['-p', '127.0.0.1::80']);
  const ids = async () => (await catalog.listInstances({ host: 'h1' })).value.map((i) => `${i.meta.container_id}@${i.port}`).sort();
  await eventually(async () => (await ids()).length === 2, 5000, 'both registered');

  await daemon.stop();
  await eventually(() => !registrar.metrics().connected, 5000, 'registrar notices the daemon is gone');
  const syncsBefore = registrar.metrics().syncRuns;
  await daemon.start();

  // The survivor comes back (perhaps on a new host port); the casualty stays dead and must go.
  await eventually(async () => {
    const state = await d(['inspect', '-f', '{{.State.Running}}', survivor]);
    return state === 'true' && (await ids()).join() === `${survivor}@${await hostPort(survivor)}`;
  }, 20_000, 'catalog equals the restarted daemon');
  assert.equal(await d(['inspect', '-f', '{{.State.Running}}', casualty]), 'false');
  assert.ok(registrar.metrics().syncRuns > syncsBefore);
  assert.equal(registrar.metrics().connected, true);

  // Events flow again: a container started now is registered without any resync.
  const late = await run(['-p', '127.0.0.1::80']);
  await eventually(async () => (await ids()).some((x) => x.startsWith(`${late}@`)), 5000, 'new container after reconnect');
});
