import assert from 'node:assert/strict';
import { test } from 'node:test';
import type Docker from 'dockerode';
import { toContainerInfo } from '../../src/docker/mapping.js';

/** A trimmed `docker inspect` of a running container, as docker 20.10 returns it. */
function inspected(over: Record<string, unknown> = {}): Docker.ContainerInspectInfo {
  return {
    Id: 'abc123',
    Name: '/web_1',
    State: { Running: true, Paused: false, ExitCode: 0, StartedAt: '2024-01-01T00:00:00Z' },
    Config: {
      Image: 'nginx:1.25',
      Labels: { 'maestro.service': 'web' },
      Env: ['PATH=/bin', 'SERVICE_TAGS=a,b=c', 'EMPTY=', 'NOEQUALS'],
      ExposedPorts: { '80/tcp': {}, '9000/tcp': {}, '53/udp': {} },
    },
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: {
      IPAddress: '172.17.0.3',
      Networks: { bridge: { IPAddress: '172.17.0.3' } },
      Ports: {
        '80/tcp': [
          { HostIp: '0.0.0.0', HostPort: '32768' },
          { HostIp: '::', HostPort: '32768' },
        ],
        '53/udp': [{ HostIp: '127.0.0.1', HostPort: '5353' }],
        '9000/tcp': null,
      },
    },
    ...over,
  } as unknown as Docker.ContainerInspectInfo;
}

test('maps names, env, labels, state and network', () => {
  const c = toContainerInfo(inspected());
  assert.equal(c.name, 'web_1');
  assert.deepEqual(c.env, { PATH: '/bin', SERVICE_TAGS: 'a,b=c', EMPTY: '' });
  assert.deepEqual(c.labels, { 'maestro.service': 'web' });
  assert.equal(c.running, true);
  assert.equal(c.paused, false);
  assert.equal(c.health, undefined);
  assert.equal(c.ipAddress, '172.17.0.3');
  assert.equal(c.networkMode, 'bridge');
  assert.equal(c.exitCode, undefined);
});

test('ports: one binding for the 0.0.0.0 + :: pair, specific host IPs kept, exposed-only without hostPort', () => {
  const c = toContainerInfo(inspected());
  assert.deepEqual(c.ports, [
    { containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 32768 },
    { containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1', hostPort: 5353 },
    { containerPort: 9000, protocol: 'tcp' },
  ]);
});

test('stopped container: exposed ports only, exit code, IP from a user network', () => {
  const c = toContainerInfo(
    inspected({
      State: { Running: false, Paused: false, ExitCode: 137, Health: { Status: 'unhealthy' } },
      NetworkSettings: { IPAddress: '', Networks: { mynet: { IPAddress: '' }, other: { IPAddress: '10.1.0.4' } }, Ports: {} },
      Config: { Image: 'x', Labels: null, Env: null, ExposedPorts: { '80/tcp': {} } },
    }),
  );
  assert.equal(c.running, false);
  assert.equal(c.exitCode, 137);
  assert.equal(c.health, 'unhealthy');
  assert.deepEqual(c.labels, {});
  assert.deepEqual(c.env, {});
  assert.equal(c.ipAddress, '10.1.0.4');
  assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'tcp' }]);
});

test('health states and paused', () => {
  for (const status of ['healthy', 'unhealthy', 'starting'] as const) {
    assert.equal(toContainerInfo(inspected({ State: { Running: true, Health: { Status: status } } })).health, status);
  }
  assert.equal(toContainerInfo(inspected({ State: { Running: true, Health: { Status: 'none' } } })).health, undefined);
  assert.equal(toContainerInfo(inspected({ State: { Running: true, Paused: true } })).paused, true);
});

test('the default bridge gateway: explicit when Docker lists it, else the subnet\'s first address', async () => {
  const { bridgeGateway } = await import('../../src/docker/index.js');
  assert.equal(bridgeGateway([{ Subnet: '172.17.0.0/16' }]), '172.17.0.1');
  assert.equal(bridgeGateway([{ Subnet: '10.1.0.0/24', Gateway: '10.1.0.5' }]), '10.1.0.5');
  assert.equal(bridgeGateway([{ Subnet: 'fd00::/64' }]), undefined);
  assert.equal(bridgeGateway([]), undefined);
});
