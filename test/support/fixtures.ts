import type { ServiceInstance } from '../../src/catalog/types.js';

let seq = 0;

/** A passing instance of service `web` on host `h1`, unique per call; `over` replaces any field. */
export function instanceFixture(over: Partial<ServiceInstance> = {}): ServiceInstance {
  seq++;
  return {
    id: `h1:c${seq}:80`,
    service: 'web',
    name: `web-${seq}`,
    host: 'h1',
    address: '127.0.0.1',
    port: 20_000 + seq,
    tags: ['v1'],
    meta: { container: `c${seq}` },
    health: 'passing',
    ...over,
  };
}
