/**
 * DNS for containers as a user gets it: `maestro up` with no DNS flags serves the zone on the Docker
 * bridge's gateway, port 53, and scheduled containers resolve through it — a cluster name, a bare
 * service name (search domain), and a name outside the zone, forwarded to the host's resolver (here
 * an upstream the test starts, named in a resolv.conf it writes). Resolved from inside real
 * containers with busybox's nslookup, which speaks DNS itself and applies resolv.conf's search list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Packet, UDPServer } from 'dns2';
import { DockerodeAdapter } from '../../src/docker/index.js';
import { dig } from '../dns/dig.js';
import { docker, dockerOrSkip, scopeFor, SCOPE_LABEL, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { cli, jobFile, removeJobsAfter, startUp, startUpWithContainerDns, type Maestro } from './support.js';

const OUTSIDE = 'www.upstream.test';
const OUTSIDE_ADDRESS = '192.0.2.44';

/** The host's resolver for this test: dns2's server on a loopback address of its own, port 53. */
async function startUpstream(t: { after: (fn: () => unknown) => void }): Promise<{ host: string; asked: string[] }> {
  const asked: string[] = [];
  const server = new UDPServer((request, send) => {
    const response = Packet.createResponseFromRequest(request);
    const question = request.questions[0];
    asked.push(question?.name.toLowerCase() ?? '');
    if (question && question.name.toLowerCase() === OUTSIDE && question.type === Packet.TYPE.A) {
      response.answers.push(Packet.createResourceFromQuestion(question, { type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 30, address: OUTSIDE_ADDRESS }));
    } else if (!question || question.name.toLowerCase() !== OUTSIDE) {
      response.header.rcode = 3; // NXDOMAIN
    }
    void send(response);
  });
  // resolv.conf has no port: a loopback address nobody else uses, port 53.
  const host = `127.53.${1 + Math.floor(Math.random() * 254)}.${1 + Math.floor(Math.random() * 254)}`;
  await server.listen(53, host);
  t.after(() => server.close());
  return { host, asked };
}

/** The IPv4 addresses busybox nslookup printed for a name (not the server's own `Address:\t…:53` line). */
function addresses(nslookup: string): string[] {
  return [...nslookup.matchAll(/^Address: ([0-9.]+)$/gm)].map((m) => m[1]!);
}

async function nslookupIn(container: string, name: string): Promise<string> {
  return docker(['exec', container, 'nslookup', '-type=a', name], { timeoutMs: 20_000 });
}

async function runJob(t: Parameters<typeof jobFile>[0], m: Maestro, job: string): Promise<{ id: string; ip: string }> {
  const spec = `name: ${job}
image: ${TEST_IMAGE}
command: ["httpd", "-f", "-p", "80"]
ports:
  - { name: http, container: 80 }
resources: { cpu: 10, memory: 32 }
`;
  const r = await cli(m.api, ['run', jobFile(t, job, spec), '--timeout', '60s']);
  assert.equal(r.code, 0, r.stderr);
  const id = (await docker(['ps', '-q', '--filter', `label=maestro.job=${job}`])).split('\n')[0]!;
  assert.ok(id, `a container of ${job}`);
  const ip = await docker(['inspect', '--format', '{{.NetworkSettings.IPAddress}}', id]);
  assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
  return { id, ip };
}

test('scheduled containers resolve cluster names, bare service names and outside names with no DNS flags', { timeout: 300_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  // docker0 is absent from os.networkInterfaces() while no container runs, so ask Docker.
  const gateway = (await new DockerodeAdapter().info()).bridgeGateway;
  assert.ok(gateway && /^\d+\.\d+\.\d+\.\d+$/.test(gateway), `the default bridge has an IPv4 gateway (${gateway})`);
  const upstream = await startUpstream(t);
  const suffix = Math.random().toString(36).slice(2, 7);
  const job = `cdns${suffix}`;
  const other = `cdnsb${suffix}`;
  removeJobsAfter(t, job, other);
  const resolvConf = join(jobFile(t, 'resolv', '').replace(/[^/]+$/, ''), 'resolv.conf');
  writeFileSync(resolvConf, `# the test's upstream stands in for the host's resolver\nsearch example.invalid\nnameserver ${upstream.host}\n`);

  const m = await startUpWithContainerDns(t, { extra: ['--internal', '--resolv-conf', resolvConf] });
  assert.equal(m.addresses.containerDns, `${gateway}:53`);
  const { id, ip } = await runJob(t, m, job);

  await t.test('the container is given the cluster resolver and the search domain service.cluster', async () => {
    const resolv = await docker(['exec', id, 'cat', '/etc/resolv.conf']);
    assert.match(resolv, new RegExp(`^nameserver ${gateway.replace(/\./g, '\\.')}$`, 'm'));
    assert.match(resolv, /^search service\.cluster$/m);
    assert.doesNotMatch(resolv, /nameserver 127\./, 'no loopback resolver: the host\'s loopback is not the container\'s');
  });

  await t.test('a cluster name, from inside the container', async () => {
    // Registration follows the container's start by a moment: the first answer may be NXDOMAIN.
    const out = await eventually(async () => {
      const o = await nslookupIn(id, `${job}.service.cluster`);
      return addresses(o).length ? o : undefined;
    }, 30_000, `${job}.service.cluster from inside`);
    assert.deepEqual(addresses(out), [ip]);
  });

  await t.test('a bare service name, through the search domain', async () => {
    const out = await nslookupIn(id, job);
    assert.match(out, new RegExp(`^Name:\\s+${job}\\.service\\.cluster$`, 'm'));
    assert.deepEqual(addresses(out), [ip]);
  });

  await t.test('a name outside the zone, answered by the host\'s resolver', async () => {
    const before = upstream.asked.filter((n) => n === OUTSIDE).length;
    const out = await nslookupIn(id, OUTSIDE);
    assert.deepEqual(addresses(out), [OUTSIDE_ADDRESS]);
    assert.ok(upstream.asked.filter((n) => n === OUTSIDE).length > before, 'the upstream from --resolv-conf answered');
    // Cluster names never leave the host.
    assert.ok(!upstream.asked.some((n) => n.endsWith('.cluster')), upstream.asked.join());
  });

  await t.test('the main listener still refuses names outside the zone (no open resolver)', async () => {
    const [, port] = m.addresses.dns.split(':');
    assert.equal((await dig(Number(port), OUTSIDE)).status, 'REFUSED');
  });

  await t.test('a plain `docker run --dns <gateway>` opts in', async () => {
    const scope = scopeFor(t, 'cdns');
    const out = await docker(['run', '--rm', '-l', `${SCOPE_LABEL}=${scope}`, '--dns', gateway, TEST_IMAGE, 'nslookup', '-type=a', `${job}.service.cluster`]);
    assert.deepEqual(addresses(out), [ip]);
  });

  await t.test('a second maestro on the same Docker daemon warns, runs, and does not point its containers at a resolver it lacks', async (st) => {
    const second = await startUp(st, { containerDns: true, extra: ['--internal', '--resolv-conf', resolvConf] });
    assert.equal(second.addresses.containerDns, undefined);
    // The log line may reach the pipe after addresses.json is written.
    const warning = await eventually(() => second.logs().split('\n').find((l) => l.includes('DNS for containers')), 10_000, 'the warning');
    assert.equal(JSON.parse(warning).level, 40, 'a warning');
    assert.match(warning, new RegExp(`cannot serve DNS for containers on ${gateway.replace(/\./g, '\\.')}:53: taken`));
    assert.match(warning, /--container-dns off/);
    const b = await runJob(st, second, other);
    const resolv = await docker(['exec', b.id, 'cat', '/etc/resolv.conf']);
    assert.doesNotMatch(resolv, new RegExp(`nameserver ${gateway.replace(/\./g, '\\.')}`));
    assert.doesNotMatch(resolv, /service\.cluster/);
    // Its own DNS server still serves its own jobs on its main address.
    const [, port] = second.addresses.dns.split(':');
    await eventually(async () => (await dig(Number(port), `${other}.service.cluster`)).answer.length > 0, 30_000, `${other} in the second maestro's DNS`);
    await second.stop();
  });
});
