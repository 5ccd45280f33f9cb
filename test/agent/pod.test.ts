import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerName, healthcheckFor, podSpecs, proxiedServices, serviceEnv } from '../../src/agent/pod.js';
import type { ServiceInstance } from '../../src/catalog/types.js';
import { alloc, job } from './fixtures.js';

const ctx = { host: 'h1', proxyHost: '172.17.0.1', proxied: new Map([['redis-cache', 6379]]) };

test('single container: service labels, ports, tags, proxy, env', () => {
  const j = job('web', { tags: ['blue', 'v2'], labels: { tier: 'front', 'maestro.job': 'spoof' } }, [
    { env: { A: '1', REDIS_CACHE_SERVICE_PORT: 'override' }, ports: [
      { name: 'http', container: 80, protocol: 'tcp', proxy: 8081 },
      { name: 'metrics', container: 9100, protocol: 'tcp', host: 19100 },
    ] },
  ]);
  const [spec, ...rest] = podSpecs(j, alloc('web', 2), ctx);
  assert.equal(rest.length, 0);
  assert.match(spec!.name, /^web-2-[0-9a-f]{8}$/);
  assert.deepEqual(spec!.labels, {
    tier: 'front',
    'maestro.job': 'web', 'maestro.alloc': 'web-2-abc2', 'maestro.host': 'h1', 'maestro.job-version': '1', 'maestro.member': 'main',
    'maestro.service': 'web', 'maestro.instance': 'web-2', 'maestro.tags': 'blue,v2',
    'maestro.port.80.name': 'web', 'maestro.port.80.proxy': '8081', 'maestro.port.9100.name': 'web-metrics',
  });
  assert.deepEqual(spec!.ports, [
    { containerPort: 80, protocol: 'tcp', hostPort: undefined },
    { containerPort: 9100, protocol: 'tcp', hostPort: 19100 },
  ]);
  assert.equal(spec!.env!.REDIS_CACHE_SERVICE_HOST, '172.17.0.1');
  assert.equal(spec!.env!.REDIS_CACHE_SERVICE_PORT, 'override');
  assert.equal(spec!.env!.A, '1');
  assert.equal(spec!.env!.MAESTRO_INSTANCE, 'web-2');
  assert.equal(spec!.restartPolicy, 'no');
  assert.equal(spec!.networkMode, undefined);
});

test('pod: first publishes every port and owns the labels; others are ignored members', () => {
  const j = job('shard', {}, [
    { name: 'front', ports: [{ name: 'http', container: 8080, protocol: 'tcp' }] },
    { name: 'data', ports: [{ name: 'db', container: 5432, protocol: 'tcp' }] },
  ]);
  const [front, data] = podSpecs(j, alloc('shard', 0), ctx);
  assert.deepEqual(front!.ports!.map((p) => p.containerPort), [8080, 5432]);
  assert.equal(front!.labels!['maestro.port.5432.name'], 'shard-db');
  assert.match(front!.name, /^shard-0-[0-9a-f]{8}-front$/);
  assert.match(data!.name, /^shard-0-[0-9a-f]{8}-data$/);
  assert.equal(data!.ports, undefined);
  assert.equal(data!.labels!['maestro.ignore'], 'true');
  assert.equal(data!.labels!['maestro.service'], undefined);
  assert.equal(data!.labels!['maestro.alloc'], 'shard-0-abc0');
});

test('ports are published on the advertise address unless a port names its hostIp', () => {
  const j = job('web', {}, [
    { ports: [
      { name: 'http', container: 80, protocol: 'tcp', host: 8080 },
      { name: 'all', container: 81, protocol: 'tcp', host: 8081, hostIp: '0.0.0.0' },
      { name: 'dyn', container: 82, protocol: 'udp' },
    ] },
  ]);
  const [spec] = podSpecs(j, alloc('web', 0), { ...ctx, publishIp: '10.0.0.5' });
  assert.deepEqual(spec!.ports, [
    { containerPort: 80, protocol: 'tcp', hostPort: 8080, hostIp: '10.0.0.5' },
    { containerPort: 81, protocol: 'tcp', hostPort: 8081, hostIp: '0.0.0.0' },
    { containerPort: 82, protocol: 'udp', hostPort: undefined, hostIp: '10.0.0.5' },
  ]);
});

test('a job\'s maestro.* labels never reach its containers, but for the registrar options it may set', () => {
  const labels = { tier: 'db', 'maestro.service': 'payments', 'maestro.instance': 'payments-0', 'Maestro.Host': 'h9', 'maestro.port.5432.name': 'payments', 'maestro.address': 'internal' };
  const j = job('shard', { labels }, [
    { name: 'front', ports: [{ name: 'http', container: 8080, protocol: 'tcp' }] },
    { name: 'data', ports: [{ name: 'db', container: 5432, protocol: 'tcp' }] },
  ]);
  const [front, data] = podSpecs(j, alloc('shard', 0), ctx);
  for (const spec of [front!, data!]) {
    assert.equal(spec.labels!.tier, 'db');
    assert.equal(spec.labels!['maestro.address'], 'internal');
    assert.equal(spec.labels!['Maestro.Host'], undefined);
  }
  assert.equal(front!.labels!['maestro.port.5432.name'], 'shard-db');
  assert.equal(data!.labels!['maestro.service'], undefined, 'a member must not claim a service');
  assert.equal(data!.labels!['maestro.instance'], undefined);
  assert.equal(data!.labels!['maestro.port.5432.name'], undefined);
});

test('names differ per host for the same allocation and stay valid Docker names', () => {
  assert.notEqual(containerName('web', 0, 'a1', 'h1'), containerName('web', 0, 'a1', 'h2'));
  assert.equal(containerName('web', 0, 'a1', 'h1'), containerName('web', 0, 'a1', 'h1'));
  assert.match(containerName('w eb', 0, 'a1', 'h1', 's/x'), /^w-eb-0-[0-9a-f]{8}-s-x$/);
});

test('health: only exec becomes a Docker HEALTHCHECK (CMD, no shell); http and tcp are the agent\'s', () => {
  const exec = healthcheckFor({ exec: ['redis-cli', 'ping'], intervalMs: 1000, timeoutMs: 500 })!;
  assert.deepEqual(exec, { test: ['CMD', 'redis-cli', 'ping'], intervalMs: 1000, timeoutMs: 500, retries: 3 });
  assert.equal(healthcheckFor({ http: '/health', intervalMs: 1000, timeoutMs: 500 }), undefined);
  assert.equal(healthcheckFor({ tcp: true, intervalMs: 1000, timeoutMs: 500 }), undefined);
  assert.equal(healthcheckFor(undefined), undefined);
  // Nothing of http/tcp reaches the container spec: the image needs no wget or nc.
  const j = job('w', { health: { http: '/health', intervalMs: 1000, timeoutMs: 500 } }, [{ ports: [{ name: 'p', container: 8080, protocol: 'tcp' }] }]);
  assert.equal(podSpecs(j, alloc('w', 0), ctx)[0]!.healthcheck, undefined);
});

test('proxied services from job specs and instance metadata; env names uppercased', () => {
  const inst = { service: 'legacy-db', meta: { proxy_port: '5433' } } as unknown as ServiceInstance;
  const bad = { service: 'x', meta: { proxy_port: 'nope' } } as unknown as ServiceInstance;
  const j = job('api', {}, [{ ports: [{ name: 'http', container: 80, protocol: 'tcp', proxy: 8000 }, { name: 'adm', container: 81, protocol: 'tcp', proxy: 8001 }] }]);
  const proxied = proxiedServices([j], [inst, bad]);
  assert.deepEqual([...proxied].sort(), [['api', 8000], ['api-adm', 8001], ['legacy-db', 5433]]);
  assert.deepEqual(serviceEnv(proxied, '10.0.0.1'), {
    API_SERVICE_HOST: '10.0.0.1', API_SERVICE_PORT: '8000',
    API_ADM_SERVICE_HOST: '10.0.0.1', API_ADM_SERVICE_PORT: '8001',
    LEGACY_DB_SERVICE_HOST: '10.0.0.1', LEGACY_DB_SERVICE_PORT: '5433',
  });
});
