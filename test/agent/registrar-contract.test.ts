/**
 * Contract with the registrar: the labels the agent writes must register each pod once per port,
 * under the job's service names and the stable instance name, with the proxy port in the metadata.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podSpecs } from '../../src/agent/pod.js';
import { containerToInstances } from '../../src/registrar/mapping.js';
import { FakeDocker } from './fake-docker.js';
import { alloc, job } from './fixtures.js';

test('a pod registers per port under <job> / <job>-<port name>, instance <job>-<ordinal>', async () => {
  const docker = new FakeDocker();
  const j = job('shop', { tags: ['blue'], labels: { tier: 'front' } }, [
    { name: 'web', ports: [{ name: 'http', container: 80, protocol: 'tcp', proxy: 8080 }] },
    { name: 'admin', ports: [{ name: 'admin', container: 9000, protocol: 'tcp' }] },
  ]);
  const specs = podSpecs(j, alloc('shop', 1), { host: 'h1', proxyHost: '172.17.0.1', proxied: new Map() });
  const first = await docker.run(specs[0]!);
  const second = await docker.run({ ...specs[1]!, networkMode: `container:${first}` });
  const ctx = { host: 'h1', advertise: '10.0.0.1', internal: false };
  const instances = containerToInstances((await docker.inspect(first))!, ctx);
  assert.deepEqual(instances.map((i) => [i.service, i.name, i.tags, i.meta.proxy_port, i.meta.tier]).sort(), [
    ['shop', 'shop-1', ['blue'], '8080', 'front'],
    ['shop-admin', 'shop-1', ['blue'], undefined, 'front'],
  ]);
  assert.deepEqual(containerToInstances((await docker.inspect(second))!, ctx), [], 'pod members are ignored');
  assert.deepEqual(containerToInstances((await docker.inspect(first))!, { ...ctx, host: 'h2' }), [], 'another host’s registrar skips it');
});
