import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { AllocView, HostView } from '../../src/api/index.js';
import { FakeConsul } from '../catalog/fake-consul/server.js';
import { dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { forward, startAgentIn, startLab, type NetHost } from './netns.js';
import { cli, cliJson, defer, dig, jobFile, startRole, viaProxy } from './support.js';

const exec = promisify(execFile);

/**
 * A cluster across real hosts: two network namespaces on one bridge, each with its own dockerd and
 * its own `maestro agent` (DNS and L7 proxy on that host's address), one `maestro server` in the
 * root namespace, all on the fake Consul. Unlike cluster.test.ts, hosts do not share a daemon or a
 * network stack, so addresses, published ports and proxying cross a real (virtual) wire.
 */
test('cluster across two network-namespace hosts: spread, DNS, cross-host proxying, partition and heal', { timeout: 120_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  if (process.getuid?.() !== 0) return t.skip('needs root (network namespaces, own dockerd)');
  const lab = await startLab(t, 2);
  const [ha, hb] = lab.hosts as [NetHost, NetHost];

  // TTL checks are scaled too: a partitioned host's instances then go critical within seconds, as a
  // real Consul does through the lost node's serfHealth check, which this one-agent fake lacks.
  const consul = await FakeConsul.start({ timeScale: 0.3 });
  defer(t, () => consul.close());
  const consulUrl = `http://${lab.bridgeIp}:${await forward(t, lab.bridgeIp, Number(new URL(consul.url).port))}`;
  const job = `mh${Math.random().toString(36).slice(2, 7)}`;
  const server = await startRole(t, 'server', { host: `${job}-srv`, extra: ['--consul', consulUrl, '--host-down-grace', '1s'] });
  const [a, b] = await Promise.all([startAgentIn(t, ha, consulUrl), startAgentIn(t, hb, consulUrl)]);

  const hosts = await eventually(async () => {
    const alive = (await cliJson<HostView[]>(server.api, ['hosts'])).filter((h) => h.alive && (h.name === a.host || h.name === b.host));
    return alive.length === 2 ? alive : undefined;
  }, 20_000, 'both hosts registered alive');
  assert.deepEqual(Object.fromEntries(hosts.map((h) => [h.name, h.address])), { [a.host]: ha.address, [b.host]: hb.address });

  const spec = `name: ${job}
image: ${TEST_IMAGE}
command: ["sh", "-c", "hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
count: 2
ports:
  - { name: http, container: 80, proxy: 18080 }
resources: { cpu: 10, memory: 64 }
constraints: { distinctHosts: true }
health: { http: /, interval: 1s, timeout: 1s }
`;
  const run = await cli(server.api, ['run', jobFile(t, job, spec), '--timeout', '45s']);
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const placed = await cliJson<AllocView[]>(server.api, ['ps', job]);
  assert.deepEqual(placed.map((x) => x.host).sort(), [a.host, b.host].sort(), 'one replica per host');

  // Host A's DNS answers with both hosts' advertise addresses.
  const name = `${job}.service.cluster`;
  await eventually(async () => (await dig(a.addresses.dns, name)).sort().join() === [ha.address, hb.address].sort().join(), 15_000, `DNS on ${a.host} answers both hosts`);

  // Host A's L7 proxy, reached over the bridge, serves from both hosts' containers.
  const bodies = new Set<string>();
  const seen: string[] = [];
  await eventually(async () => {
    const r = await viaProxy(a.addresses.http, name);
    if (r.status === 200) bodies.add(r.body.trim());
    else if (seen.length < 5) seen.push(`${r.status} ${r.body.slice(0, 200)}`);
    return bodies.size === 2;
  }, 15_000, `proxy on ${a.host} reaches both replicas`).catch((err) => {
    throw new Error(`${(err as Error).message}; got ${[...bodies].join(',')}; errors: ${seen.join(' | ')}\nagent A log:\n${a.logs().slice(-4000)}`);
  });
  const containerHosts = await Promise.all(placed.map((x) =>
    exec('docker', ['inspect', '-f', '{{.Config.Hostname}}', x.containerIds[0]!], { env: { ...process.env, DOCKER_HOST: (x.host === a.host ? ha : hb).dockerHost } })
      .then((o) => o.stdout.trim())));
  assert.deepEqual([...bodies].sort(), containerHosts.sort());
  // The L4 listener for the job's proxy port, on host B's address, also reaches both hosts.
  const l4 = new Set<string>();
  await eventually(async () => {
    l4.add((await exec('curl', ['-sf', '--max-time', '3', `http://${hb.address}:18080/`])).stdout.trim());
    return l4.size === 2;
  }, 15_000, `L4 proxy on ${b.host} reaches both replicas`);
  assert.deepEqual([...l4].sort(), containerHosts.sort());

  // Partition host B: its host goes down, and distinctHosts forbids a second replica on A.
  const lost = placed.find((x) => x.host === b.host)!;
  await exec('ip', ['link', 'set', hb.peer, 'down']);
  await eventually(async () => {
    const h = (await cliJson<HostView[]>(server.api, ['hosts'])).find((x) => x.name === b.host);
    return h && !h.alive;
  }, 20_000, `${b.host} down`);
  const status = await eventually(async () => {
    const s = await cli(server.api, ['status', job]);
    return /distinct/i.test(s.stdout) ? s.stdout : undefined;
  }, 20_000, 'status explains the unplaced replica');
  assert.match(status, /1 unplaced/, status);
  const ps = await cliJson<AllocView[]>(server.api, ['ps', job]);
  assert.ok(!ps.some((x) => x.host === a.host && x.instance === lost.instance && x.desired === 'run'), 'no second replica on A');
  // DNS on A stops answering the lost host's address.
  await eventually(async () => (await dig(a.addresses.dns, name)).join() === ha.address, 15_000, `DNS on ${a.host} drops ${hb.address}`);

  // The partition heals: B comes back alive and the replica returns to it under its instance name.
  await exec('ip', ['link', 'set', hb.peer, 'up']);
  await eventually(async () => {
    const now = (await cliJson<AllocView[]>(server.api, ['ps', job])).filter((x) => x.desired === 'run');
    return now.length === 2 && now.every((x) => x.state === 'running' && x.healthy) &&
      now.find((x) => x.instance === lost.instance)?.host === b.host;
  }, 30_000, `${lost.instance} back on ${b.host}`).catch(async (err) => {
    throw new Error(`${(err as Error).message}\n${(await cli(server.api, ['status', job])).stdout}\nB containers: ${(await exec('docker', ['ps', '-a'], { env: { ...process.env, DOCKER_HOST: hb.dockerHost } })).stdout}\nagent B log:\n${b.logs().slice(-3000)}`);
  });
  await eventually(async () => (await dig(a.addresses.dns, name)).sort().join() === [ha.address, hb.address].sort().join(), 15_000, `DNS on ${a.host} answers both hosts again`);
  for (const h of [ha, hb]) {
    const ids = await exec('docker', ['ps', '-q', '--filter', `label=maestro.job=${job}`], { env: { ...process.env, DOCKER_HOST: h.dockerHost } });
    assert.equal(ids.stdout.trim().split('\n').filter(Boolean).length, 1, `one running replica on ${h.ns}`);
  }
  assert.deepEqual(consul.violations, [], 'every request matched the Consul API');
});
