import { silentLogger } from '../../src/log/index.js';
import { createConsulCatalog } from '../../src/catalog/consul/index.js';
import { catalogContract } from './contract.js';
import { FakeConsul } from './fake-consul/server.js';

/**
 * The shared catalog contract against the Consul adapter: against a real agent when CONSUL_HTTP_ADDR
 * is set (`consul agent -dev`), otherwise against the fake agent, so it always runs something
 * Consul-shaped.
 *
 * TTLs: Consul's session TTL minimum is 10 s and it invalidates after up to 2×TTL, so against a real
 * agent the contract's 600 ms base TTL is scaled to 10.2 s. The fake runs its clocks 10× faster
 * (the adapter still asks for Consul's minimum of "10s", which the fake expires after 2 s), so the
 * contract's TTL is scaled to match: 1 s.
 */

const FAKE_TIME_SCALE = 0.1;
const addr = process.env.CONSUL_HTTP_ADDR;

if (addr) {
  catalogContract(
    `consul (real agent at ${addr})`,
    async () => {
      const catalog = createConsulCatalog({ url: addr, token: process.env.CONSUL_HTTP_TOKEN, hostName: 'contract', logger: silentLogger });
      return { catalog, cleanup: () => catalog.close() };
    },
    { ttlScale: 17, feedDeltas: false },
  );
} else {
  catalogContract(
    'consul (fake agent)',
    async () => {
      const fake = await FakeConsul.start({ timeScale: FAKE_TIME_SCALE });
      const catalog = createConsulCatalog({ url: fake.url, hostName: 'contract', logger: silentLogger });
      return {
        catalog,
        cleanup: async () => {
          await catalog.close();
          await fake.close();
          if (fake.violations.length) throw new Error(`requests Consul would reject:\n${fake.violations.join('\n')}`);
        },
      };
    },
    { ttlScale: (10_000 * FAKE_TIME_SCALE) / 600, feedDeltas: false },
  );
}
