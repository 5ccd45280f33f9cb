import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createConsulCatalog, type ConsulCatalogOptions } from '../../../src/catalog/consul/index.js';
import type { Catalog, ServiceInstance } from '../../../src/catalog/types.js';
import { silentLogger } from '../../../src/log/index.js';
import { FakeConsul, type FakeConsulOptions } from './server.js';

/** A fake agent plus an adapter pointed at it, torn down after the test; fails the test on any violation. */
export async function withFake(
  t: TestContext,
  fakeOpts: FakeConsulOptions = {},
  catalogOpts: Partial<ConsulCatalogOptions> = {},
): Promise<{ fake: FakeConsul; catalog: Catalog }> {
  const fake = await FakeConsul.start({ timeScale: 0.1, ...fakeOpts });
  const catalog = createConsulCatalog({ url: fake.url, hostName: 'h1', logger: silentLogger, ...catalogOpts });
  t.after(async () => {
    await catalog.close();
    await fake.close();
    assert.deepEqual(fake.violations, [], 'every request matches the Consul API');
  });
  return { fake, catalog };
}

let seq = 0;
export function inst(over: Partial<ServiceInstance> = {}): ServiceInstance {
  seq++;
  return {
    id: `h1:c${seq}:80`,
    service: 'web',
    name: `web-${seq}`,
    host: 'h1',
    address: '10.0.0.1',
    port: 8000 + seq,
    tags: ['v1'],
    meta: {},
    health: 'passing',
    ...over,
  };
}
