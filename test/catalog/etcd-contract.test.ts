import { test } from 'node:test';
import { createEtcdCatalog } from '../../src/catalog/etcd/index.js';
import { silentLogger } from '../../src/log/index.js';
import { catalogContract } from './contract.js';
import { EtcdServer, etcdSkipReason, requireEtcdBinary } from './support/etcd.js';

/**
 * The shared catalog contract, every case, against a real single-member etcd started here on free
 * loopback ports with its own data dir (killed and removed afterwards). Without an etcd binary the
 * suite skips with a reason — and fails under MAESTRO_REQUIRE_ETCD=1, as in CI.
 *
 * TTLs: etcd leases are whole seconds (the member's minimum is 1 s with the test's raft timings), so
 * the contract's 600 ms base TTL is scaled to 1.2 s, granted as 2 s.
 */
if (etcdSkipReason() === false) {
  catalogContract(
    'etcd (real member on loopback)',
    async () => {
      const server = await EtcdServer.start(requireEtcdBinary());
      const catalog = createEtcdCatalog({ endpoints: [server.endpoint], prefix: '/contract/', hostName: 'contract', logger: silentLogger });
      return {
        catalog,
        cleanup: async () => {
          await catalog.close();
          await server.stop();
        },
      };
    },
    { ttlScale: 2 },
  );
} else {
  test('catalog contract: etcd', { skip: etcdSkipReason() }, () => undefined);
}
