import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { createConsulCatalog, type ConsulCatalogOptions } from '../../../src/catalog/consul/index.js';
import type { Catalog, ServiceInstance } from '../../../src/catalog/types.js';
import { silentLogger } from '../../../src/log/index.js';
import { instanceFixture } from '../../support/fixtures.js';
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

/** The shared instance fixture, on a non-loopback address and without meta, as the Consul tests expect. */
export function inst(over: Partial<ServiceInstance> = {}): ServiceInstance {
  return instanceFixture({ address: '10.0.0.1', meta: {}, ...over });
}
