import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllocView, HostView } from '../../src/api/index.js';
import { FakeConsul } from '../catalog/fake-consul/server.js';
import { docker, dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { cli, cliJson, defer, dig, jobFile, removeJobsAfter, startRole } from './support.js';

/**
 * A cluster as the README describes it — one `maestro server` and two `maestro agent`s on one
 * Consul — run against the request-checking fake Consul agent (no real Consul can be installed
 * here). The two agents share this machine's dockerd under different host names.
 */
test('cluster on Consul: server + two agents place, serve and move replicas', { timeout: 240_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  // Session TTLs run 3× faster than real time, so a host whose agent died is down within seconds.
  const consul = await FakeConsul.start({ timeScale: 0.3, checkTimeScale: 1 });
  defer(t, () => consul.close());
  const job = `cl${Math.random().toString(36).slice(2, 7)}`;
  removeJobsAfter(t, job);
  const consulFlags = ['--consul', consul.url];
  const server = await startRole(t, 'server', { host: `${job}-srv`, extra: [...consulFlags, '--host-down-grace', '1s'] });
  const a1 = await startRole(t, 'agent', { host: `${job}-a1`, extra: [...consulFlags, '--internal'] });
  const a2 = await startRole(t, 'agent', { host: `${job}-a2`, extra: [...consulFlags, '--internal'] });

  const hosts = await eventually(async () => {
    const list = await cliJson<HostView[]>(server.api, ['hosts']);
    const ours = list.filter((h) => h.name.startsWith(job) && h.alive);
    return ours.length === 2 ? ours : undefined;
  }, 20_000, 'both agents registered');
  assert.ok(hosts.every((h) => h.capacity.cpu > 0 && h.capacity.memory > 0));

  const spec = `name: ${job}
image: ${TEST_IMAGE}
command: ["sh", "-c", "hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
count: 2
ports:
  - { name: http, container: 80 }
resources: { cpu: 10, memory: 64 }
health: { http: /, interval: 1s, timeout: 1s }
`;
  const run = await cli(server.api, ['run', jobFile(t, job, spec), '--timeout', '90s']);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const placed = await cliJson<AllocView[]>(server.api, ['ps', job]);
  assert.deepEqual(placed.map((a) => a.host).sort(), [a1.host, a2.host].sort(), 'spread: one replica per host');

  // Every agent's DNS server answers from the shared catalog.
  for (const agent of [a1, a2]) {
    await eventually(async () => (await dig(agent.addresses.dns, `${job}.service.cluster`)).length === 2, 10_000, `DNS on ${agent.host}`);
  }

  // Host loss: agent 2 dies without a word; after its session expires and the grace period,
  // its replica is re-placed on agent 1 under the same instance name.
  const lost = placed.find((a) => a.host === a2.host)!;
  a2.proc.kill('SIGKILL');
  await eventually(async () => {
    const ps = await cliJson<AllocView[]>(server.api, ['ps', job]);
    const moved = ps.find((a) => a.instance === lost.instance && a.desired === 'run');
    return moved && moved.host === a1.host && moved.state === 'running';
  }, 60_000, `${lost.instance} re-placed on ${a1.host}`);
  const onA1 = (await docker(['ps', '-q', '--filter', `label=maestro.host=${a1.host}`, '--filter', `label=maestro.job=${job}`])).split('\n').filter(Boolean);
  assert.equal(onA1.length, 2);

  assert.deepEqual(consul.violations, [], 'every request matched the Consul API');
});
