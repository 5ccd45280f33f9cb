import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dockerOrSkip, docker as dockerCli } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { alloc } from './fixtures.js';
import { harness } from './harness.js';

test('a two-container pod shares one network namespace, fails and is removed as a unit', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const h = harness(t);
  const name = h.name('pod');
  const j = h.job(name, { health: { http: '/', intervalMs: 500, timeoutMs: 1_000 } }, [
    {
      name: 'web',
      command: ['sh', '-c', 'mkdir -p /www && echo hello-pod > /www/index.html && exec httpd -f -p 8080 -h /www'],
      ports: [{ name: 'http', container: 8080, protocol: 'tcp' }],
    },
    { name: 'probe', command: ['sh', '-c', 'until wget -q -O- http://127.0.0.1:8080/; do sleep 0.2; done; exec sleep 3600'] },
  ]);
  await h.putJob(j);
  const a = alloc(name, 0, { id: `${name}-0-p`, host: 'hpod' });
  await h.putAlloc(a);
  h.agent('hpod');

  const st = await eventually(async () => {
    const s = await h.status('hpod', a.id);
    return s?.state === 'running' && s.healthy ? s : undefined;
  }, 20_000, 'pod running and healthy (the agent\'s HTTP check, from the host)');
  assert.equal(st.containerIds.length, 2);
  const cs = await h.containers(name);
  const web = cs.find((c) => c.id === st.containerIds[0])!;
  const probe = cs.find((c) => c.id === st.containerIds[1])!;
  assert.equal(web.labels['maestro.member'], 'web');
  assert.equal(web.labels['maestro.service'], name);
  assert.equal(web.labels['maestro.instance'], `${name}-0`);
  // No HEALTHCHECK in the container: the agent probed the pod's address from the host.
  assert.equal(web.health, undefined);
  assert.equal(st.check?.status, 'passing');
  assert.equal(st.check?.output, 'HTTP 200 OK');
  assert.equal(probe.networkMode, `container:${web.id}`);
  assert.equal(probe.labels['maestro.ignore'], 'true');
  assert.equal(probe.labels['maestro.service'], undefined);
  assert.match(probe.name, new RegExp(`^${name}-0-[0-9a-f]{8}-probe$`));
  // The second container reached the first on localhost.
  await eventually(async () => (await dockerCli(['logs', probe.id])).includes('hello-pod'), 10_000, 'probe output');

  // One member dies → the allocation fails and the rest of the pod is stopped.
  await dockerCli(['kill', probe.id]);
  const failed = await eventually(async () => {
    const s = await h.status('hpod', a.id);
    return s?.state === 'failed' ? s : undefined;
  }, 10_000, 'failed pod');
  assert.match(failed.message ?? '', /probe exited/);
  await eventually(async () => (await h.containers(name)).every((c) => !c.running), 10_000, 'whole pod stopped');

  // The allocation goes away → both containers are removed.
  await h.deleteAlloc(a);
  await eventually(async () => (await h.containers(name)).length === 0, 10_000, 'pod removed');
});
