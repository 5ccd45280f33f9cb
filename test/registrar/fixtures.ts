/** Fixture builders for registrar tests (Nomad's mock.Node() style): plain data, no Docker. */
import type { ServiceInstance } from '../../src/catalog/types.js';
import type { ContainerInfo } from '../../src/docker/types.js';

export const CTX = { host: 'node-1', advertise: '10.0.0.5', internal: false };

export function container(over: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    id: 'c0ffee000000000000000000000000000000000000000000000000000000aaaa',
    name: 'web_1',
    image: 'registry.local:5000/team/nginx:1.25',
    labels: {},
    env: {},
    running: true,
    paused: false,
    ports: [{ containerPort: 80, protocol: 'tcp', hostIp: '0.0.0.0', hostPort: 32768 }],
    ipAddress: '172.17.0.2',
    networkMode: 'bridge',
    ...over,
  };
}

export function instance(over: Partial<ServiceInstance> = {}): ServiceInstance {
  return {
    id: 'node-1:abc:80',
    service: 'web',
    name: 'web-1',
    host: 'node-1',
    address: '10.0.0.5',
    port: 32768,
    tags: ['a', 'b'],
    meta: { container_id: 'abc' },
    health: 'passing',
    ...over,
  };
}
