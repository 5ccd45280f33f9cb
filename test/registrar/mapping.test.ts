import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerToInstances } from '../../src/registrar/mapping.js';
import { dnsLabel, imageBaseName, parseTags } from '../../src/registrar/labels.js';
import { CTX, container } from './fixtures.js';

const map = (over: Parameters<typeof container>[0], ctx = CTX) => containerToInstances(container(over), ctx);

test('defaults: image base name, sanitised container name, advertise + host port, owned id', () => {
  const [i, ...rest] = map({});
  assert.equal(rest.length, 0);
  assert.deepEqual(i, {
    id: `node-1:${container().id}:80`,
    service: 'nginx',
    name: 'web-1',
    host: 'node-1',
    address: '10.0.0.5',
    port: 32768,
    tags: [],
    meta: { container_id: container().id, container_name: 'web_1', image: 'registry.local:5000/team/nginx:1.25' },
    health: 'passing',
  });
});

test('not running → nothing; exposed-only ports are not registered outside internal mode', () => {
  assert.deepEqual(map({ running: false }), []);
  assert.deepEqual(map({ ports: [{ containerPort: 80, protocol: 'tcp' }] }), []);
});

test('several ports get a -<port> suffix unless a per-port name is given (label or env)', () => {
  const ports = [
    { containerPort: 80, protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 1080 },
    { containerPort: 443, protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 1443 },
    { containerPort: 9000, protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 1900 },
  ];
  const out = map({ ports, labels: { 'maestro.port.9000.name': 'admin' }, env: { SERVICE_NAME: 'web', SERVICE_443_NAME: 'tls' } });
  assert.deepEqual(
    out.map((i) => [i.service, i.port]),
    [['web-80', 1080], ['tls', 1443], ['admin', 1900]],
  );
  // Labels win over the environment as a whole: maestro.service beats even SERVICE_443_NAME.
  const labelled = map({ ports, labels: { 'maestro.service': 'api' }, env: { SERVICE_443_NAME: 'tls' } });
  assert.deepEqual(labelled.map((i) => i.service), ['api-80', 'api-443', 'api-9000']);
});

test('labels win over SERVICE_* env; port-specific beats container-wide within a source', () => {
  const c = { labels: { 'maestro.service': 'api', 'maestro.tags': 'x, y,,x' }, env: { SERVICE_NAME: 'ignored', SERVICE_TAGS: 'z', SERVICE_80_TAGS: 'p' } };
  const [i] = map(c);
  assert.equal(i!.service, 'api');
  assert.deepEqual(i!.tags, ['x', 'y']);
  const [j] = map({ env: { SERVICE_NAME: 'Redis_Cache', SERVICE_TAGS: 'z', SERVICE_80_TAGS: 'p,q' } });
  assert.equal(j!.service, 'redis-cache');
  assert.deepEqual(j!.tags, ['p', 'q']);
  // Registrator also reads SERVICE_* from labels, with the environment winning.
  const [k] = map({ labels: { SERVICE_NAME: 'from-label' }, env: { SERVICE_NAME: 'from-env' } });
  assert.equal(k!.service, 'from-env');
});

test('ignore: container-wide and per port, label overrides env either way', () => {
  assert.deepEqual(map({ env: { SERVICE_IGNORE: 'true' } }), []);
  assert.deepEqual(map({ labels: { 'maestro.ignore': '' } }), []);
  assert.equal(map({ labels: { 'maestro.ignore': 'false' }, env: { SERVICE_IGNORE: '1' } }).length, 1);
  assert.equal(map({ env: { SERVICE_IGNORE: '' } }).length, 1);
  const ports = [
    { containerPort: 80, protocol: 'tcp' as const, hostIp: '', hostPort: 1080 },
    { containerPort: 81, protocol: 'tcp' as const, hostIp: '', hostPort: 1081 },
  ];
  const out = map({ ports, env: { SERVICE_81_IGNORE: 'yes' } });
  // The suffix counts registered ports: with 81 ignored, 80 is the only one left.
  assert.deepEqual(out.map((i) => i.service), ['nginx']);
  assert.deepEqual(map({ ports, labels: { 'maestro.port.80.ignore': 'true' } }).map((i) => i.port), [1081]);
});

test('instance name: maestro.instance wins, sanitised to a DNS label', () => {
  assert.equal(map({ labels: { 'maestro.instance': 'kafka-0' } })[0]!.name, 'kafka-0');
  assert.equal(map({ name: '--My_App.Replica--' })[0]!.name, 'my-app-replica');
  assert.equal(map({ name: 'x'.repeat(80) })[0]!.name.length, 63);
  assert.equal(map({ name: '___' })[0]!.name, container().id.slice(0, 12));
});

test('meta carries maestro.* and job labels, Registrator attributes; config labels stay out', () => {
  const [i] = map({
    labels: {
      'maestro.job': 'redis', 'maestro.alloc': 'a1', 'maestro.instance': 'redis-0', 'maestro.service': 'redis',
      'maestro.port.80.name': 'redis', tier: 'backend', SERVICE_REGION: 'eu',
    },
    env: { SERVICE_80_WEIGHT: '5', SERVICE_81_WEIGHT: '9' },
  });
  assert.deepEqual(i!.meta, {
    job: 'redis', alloc: 'a1', instance: 'redis-0', tier: 'backend', region: 'eu', weight: '5',
    container_id: container().id, container_name: 'web_1', image: container().image,
  });
  // Plain labels of non-job containers (image labels) are not copied.
  assert.equal(map({ labels: { 'org.opencontainers.image.title': 'x' } })[0]!.meta['org.opencontainers.image.title'], undefined);
});

test('proxy port: per-port label, container-wide only with one port, invalid dropped', () => {
  assert.equal(map({ labels: { 'maestro.proxy': '6379' } })[0]!.meta.proxy_port, '6379');
  assert.equal(map({ labels: { 'maestro.port.80.proxy': '8000' } })[0]!.meta.proxy_port, '8000');
  assert.equal(map({ labels: { 'maestro.proxy': '70000' } })[0]!.meta.proxy_port, undefined);
  assert.equal(map({ env: { SERVICE_PROXY_PORT: 'abc' } })[0]!.meta.proxy_port, undefined);
  const ports = [
    { containerPort: 80, protocol: 'tcp' as const, hostIp: '', hostPort: 1080 },
    { containerPort: 81, protocol: 'tcp' as const, hostIp: '', hostPort: 1081 },
  ];
  const out = map({ ports, labels: { 'maestro.proxy': '9999', 'maestro.port.81.proxy': '9081' } });
  assert.deepEqual(out.map((i) => i.meta.proxy_port), [undefined, '9081']);
});

test('health: HEALTHCHECK status, none → passing, paused → critical', () => {
  assert.equal(map({ health: 'healthy' })[0]!.health, 'passing');
  assert.equal(map({ health: 'unhealthy' })[0]!.health, 'critical');
  assert.equal(map({ health: 'starting' })[0]!.health, 'warning');
  assert.equal(map({ health: undefined })[0]!.health, 'passing');
  assert.equal(map({ paused: true, health: 'healthy' })[0]!.health, 'critical');
});

test('addresses: specific host IP, loopback only when advertising loopback, internal, host network', () => {
  const bound = (hostIp: string) => ({ ports: [{ containerPort: 80, protocol: 'tcp' as const, hostIp, hostPort: 8080 }] });
  assert.equal(map(bound('192.168.1.9'))[0]!.address, '192.168.1.9');
  assert.equal(map(bound('::'))[0]!.address, '10.0.0.5');
  assert.deepEqual(map(bound('127.0.0.1')), []);
  assert.equal(map(bound('127.0.0.1'), { ...CTX, advertise: '127.0.0.1' })[0]!.address, '127.0.0.1');
  // A wildcard binding is preferred over a loopback one for the same port.
  const both = { ports: [
    { containerPort: 80, protocol: 'tcp' as const, hostIp: '127.0.0.1', hostPort: 7000 },
    { containerPort: 80, protocol: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 7001 },
  ] };
  assert.deepEqual(map(both).map((i) => [i.address, i.port]), [['10.0.0.5', 7001]]);

  const exposed = { ports: [{ containerPort: 6379, protocol: 'tcp' as const }] };
  assert.deepEqual(map(exposed, { ...CTX, internal: true }).map((i) => [i.address, i.port]), [['172.17.0.2', 6379]]);
  assert.deepEqual(map({ ...exposed, labels: { 'maestro.address': 'internal' } }).map((i) => i.address), ['172.17.0.2']);
  assert.equal(map({ labels: { 'maestro.address': 'advertise' } }, { ...CTX, internal: true })[0]!.address, '10.0.0.5');
  assert.deepEqual(map({ ...exposed, ipAddress: '', networkMode: 'none' }, { ...CTX, internal: true }), []);
  assert.deepEqual(map({ ...exposed, ipAddress: '', networkMode: 'host' }).map((i) => [i.address, i.port]), [['10.0.0.5', 6379]]);
});

test('udp: own id with /udp, tag udp, same service as tcp on the same port number', () => {
  const ports = [
    { containerPort: 53, protocol: 'tcp' as const, hostIp: '', hostPort: 5353 },
    { containerPort: 53, protocol: 'udp' as const, hostIp: '', hostPort: 5353 },
  ];
  const out = map({ ports, image: 'coredns' });
  assert.deepEqual(
    out.map((i) => [i.id.split(':').pop(), i.service, i.tags]),
    [['53', 'coredns', []], ['53/udp', 'coredns', ['udp']]],
  );
});

test('containers labelled for another host (agents sharing a daemon) are not ours', () => {
  assert.deepEqual(map({ labels: { 'maestro.host': 'node-2' } }), []);
  const [i] = map({ labels: { 'maestro.host': 'node-1' } });
  assert.equal(i!.meta.host, undefined);
});

test('helpers', () => {
  assert.equal(imageBaseName('registry:5000/library/redis:7@sha256:abc'), 'redis');
  assert.equal(imageBaseName('busybox'), 'busybox');
  assert.equal(dnsLabel('-A__b..C-'), 'a-b-c');
  assert.deepEqual(parseTags(' a, b ,a,,'), ['a', 'b']);
  assert.deepEqual(parseTags(undefined), []);
});

test('pure: same input, same output, input untouched', () => {
  const c = container({ labels: { 'maestro.tags': 'a' } });
  const frozen = JSON.stringify(c);
  assert.deepEqual(containerToInstances(c, CTX), containerToInstances(c, CTX));
  assert.equal(JSON.stringify(c), frozen);
});
