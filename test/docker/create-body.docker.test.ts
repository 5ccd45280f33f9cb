/**
 * The container fields of a job spec reach a real container: entrypoint, user, working dir, stop
 * signal and timeout, extra hosts, capabilities, named volumes and read-only host paths — each read
 * back from inside the container or from `docker inspect`.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DockerodeAdapter } from '../../src/docker/dockerode-adapter.js';
import { createBody } from '../../src/docker/mapping.js';
import { docker, dockerOrSkip, SCOPE_LABEL, scopeFor, TEST_IMAGE } from '../support/docker.js';

test('createBody leaves Docker\'s defaults alone when no field is given', () => {
  const body = createBody({ name: 'x', image: 'i' }) as Record<string, unknown> & { HostConfig: Record<string, unknown> };
  for (const k of ['Entrypoint', 'User', 'WorkingDir', 'StopSignal', 'StopTimeout']) assert.equal(k in body, false, k);
  for (const k of ['ExtraHosts', 'CapAdd', 'CapDrop', 'Privileged', 'Mounts']) assert.equal(k in body.HostConfig, false, k);
  const member = createBody({ name: 'm', image: 'i', networkMode: 'container:abc', extraHosts: ['db:10.0.0.5'] }) as { HostConfig: Record<string, unknown> };
  assert.equal('ExtraHosts' in member.HostConfig, false, 'a pod member shares the owner\'s /etc/hosts');
});

test('every field reaches a real container', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const scope = scopeFor(t, 'body');
  const adapter = new DockerodeAdapter();
  const volume = `maestro-test-${scope}-data`;
  t.after(() => docker(['volume', 'rm', '-f', volume]).catch(() => undefined));
  const dir = mkdtempSync(join(tmpdir(), 'maestro-bind-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'conf'), 'from-the-host\n');
  chmodSync(dir, 0o755);

  await adapter.ensureVolume(volume, { 'maestro.test': scope });
  await adapter.ensureVolume(volume, { 'maestro.test': 'ignored: an existing volume is kept' });
  assert.equal(await docker(['volume', 'inspect', '--format', '{{index .Labels "maestro.test"}}', volume]), scope);

  const id = await adapter.run({
    name: `maestro-body-${scope}`,
    image: TEST_IMAGE,
    labels: { [SCOPE_LABEL]: scope },
    entrypoint: ['/bin/sh', '-c'],
    command: ['trap "exit 0" USR1; while :; do sleep 0.2; done'],
    user: '1234:5678',
    workingDir: '/tmp',
    stopSignal: 'SIGUSR1',
    stopTimeoutSec: 7,
    extraHosts: ['db.internal:10.9.8.7'],
    capDrop: ['ALL'],
    capAdd: ['NET_BIND_SERVICE'],
    mounts: [
      { type: 'volume', source: volume, target: '/data' },
      { type: 'bind', source: dir, target: '/conf', readOnly: true },
    ],
  });
  const inspect = JSON.parse(await docker(['inspect', id]))[0];
  assert.deepEqual(inspect.Config.Entrypoint, ['/bin/sh', '-c']);
  assert.equal(inspect.Config.StopSignal, 'SIGUSR1');
  assert.equal(inspect.Config.StopTimeout, 7);
  assert.deepEqual(inspect.HostConfig.CapDrop, ['ALL']);
  assert.deepEqual(inspect.HostConfig.CapAdd, ['NET_BIND_SERVICE']);
  const exec = (cmd: string) => docker(['exec', id, 'sh', '-c', cmd]);
  assert.equal(await exec('id -u; id -g; pwd'), '1234\n5678\n/tmp');
  assert.match(await exec('cat /etc/hosts'), /10\.9\.8\.7\s+db\.internal/);
  assert.equal(await exec('cat /conf/conf'), 'from-the-host');
  await assert.rejects(exec('echo x > /conf/conf'), /Read-only file system/);
  // Only NET_BIND_SERVICE is left of the bounding set: bit 10.
  assert.match(await exec('grep CapBnd /proc/self/status'), /CapBnd:\s+0000000000000400/);
  // The volume belongs to root (it is new and empty): written as root, read as the job's user.
  await docker(['exec', '-u', '0', id, 'sh', '-c', 'echo kept > /data/file']);
  assert.equal(await exec('cat /data/file'), 'kept');

  assert.equal(await adapter.removeVolume(volume), 'in_use');
  // No timeout given: the container's own signal (USR1, trapped: a clean exit 0) and timeout apply.
  await adapter.stop(id);
  assert.equal(await docker(['inspect', '--format', '{{.State.ExitCode}}', id]), '0');
  await adapter.remove(id);
  // The data outlives the container.
  assert.equal(await docker(['run', '--rm', '-v', `${volume}:/data`, TEST_IMAGE, 'cat', '/data/file']), 'kept');
  assert.equal(await adapter.removeVolume(volume), 'removed');
  assert.equal(await adapter.removeVolume(volume), 'missing');
});
