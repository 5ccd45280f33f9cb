import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { DockerodeAdapter } from '../../src/docker/index.js';
import { docker, dockerOrSkip, TEST_IMAGE } from '../support/docker.js';
import { eventually } from '../support/wait.js';
import { cli, jobFile, removeJobsAfter, startUpWithContainerDns, viaProxy } from './support.js';

/**
 * A guestbook-like application on locally built images: a "store" (a TCP service answering
 * `stored`) behind an L4 proxy port, and a "frontend" that reaches it both by DNS name (the cluster
 * DNS server is its resolver) and through `<SVC>_SERVICE_HOST/PORT` (the host's L4 proxy), and
 * publishes what it got over HTTP — read through the L7 proxy.
 */
test('guestbook: the frontend reaches its store through DNS and through the L4 proxy', { timeout: 240_000 }, async (t) => {
  if (!(await dockerOrSkip(t))) return;
  // docker0 is absent from os.networkInterfaces() while no container runs (it is not RUNNING), so ask Docker.
  const bridge = (await new DockerodeAdapter().info()).bridgeGateway;
  assert.ok(bridge && /^\d+\.\d+\.\d+\.\d+$/.test(bridge), `the default bridge has an IPv4 gateway (${bridge})`);
  // Containers resolve through the DNS listener `up` serves on the bridge's port 53 by default (held
  // by one maestro per Docker daemon: startUpWithContainerDns waits for it); L4 listeners on the bridge.
  const suffix = Math.random().toString(36).slice(2, 7);
  const store = `store${suffix}`;
  const frontend = `front${suffix}`;
  const proxyPort = 20_000 + Math.floor(Math.random() * 10_000);
  const env = `${store.toUpperCase()}_SERVICE`;
  removeJobsAfter(t, store, frontend);
  const m = await startUpWithContainerDns(t, { extra: ['--internal', '--proxy-bind', bridge] });

  const storeSpec = `name: ${store}
image: ${TEST_IMAGE}
command: ["sh", "-c", "while true; do echo stored | nc -l -p 6379; done"]
count: 1
ports:
  - { name: redis, container: 6379, proxy: ${proxyPort} }
labels: { app: guestbook, tier: backend }
resources: { cpu: 10, memory: 64 }
`;
  const r1 = await cli(m.api, ['run', jobFile(t, store, storeSpec), '--timeout', '60s']);
  assert.equal(r1.code, 0, r1.stderr);

  // Busybox's static wget/nc cannot use DNS themselves, so the frontend resolves with nslookup.
  const loop = [
    'echo ok > /www/index.html; while true; do',
    `ip=$(nslookup -type=a ${store}.service.cluster | sed -n 's/^Address: \\([0-9.]*\\)$/\\1/p' | tail -n 1);`,
    'nc -w 2 "$ip" 6379 </dev/null > /www/dns.txt;',
    `nc -w 2 "$${env}_HOST" "$${env}_PORT" </dev/null > /www/proxy.txt;`,
    'sleep 1; done & exec httpd -f -p 80 -h /www',
  ].join(' ');
  const frontendSpec = `name: ${frontend}
image: ${TEST_IMAGE}
command: ["sh", "-c", ${JSON.stringify(loop)}]
count: 2
ports:
  - { name: http, container: 80 }
labels: { app: guestbook, tier: frontend }
resources: { cpu: 10, memory: 64 }
health: { http: /, interval: 1s, timeout: 1s }
`;
  const r2 = await cli(m.api, ['run', jobFile(t, frontend, frontendSpec), '--timeout', '60s']);
  assert.equal(r2.code, 0, r2.stderr);

  const envDump = await docker(['exec', (await docker(['ps', '-q', '--filter', `label=maestro.job=${frontend}`])).split('\n')[0]!, 'env']);
  assert.match(envDump, new RegExp(`^${env}_HOST=${bridge.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(envDump, new RegExp(`^${env}_PORT=${proxyPort}$`, 'm'));

  const host = `${frontend}.service.cluster`;
  await eventually(async () => (await viaProxy(m.addresses.http, host, '/dns.txt')).body.trim() === 'stored', 30_000, 'the store by DNS name');
  await eventually(async () => (await viaProxy(m.addresses.http, host, '/proxy.txt')).body.trim() === 'stored', 30_000, 'the store via the L4 proxy');

  // The same L4 port answers the test itself, on the host. (The store serves one connection at a
  // time, restarting `nc` in between, so a connection may land in that gap: retry.)
  await eventually(async () => (await readOnce(bridge, proxyPort)).trim() === 'stored', 10_000, 'the store via the L4 proxy from the host');
});

function readOnce(host: string, port: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const socket = connect({ host, port }, () => socket.end());
    let data = '';
    socket.on('data', (d) => (data += d.toString()));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}
