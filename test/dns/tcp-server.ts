/** The TCP tests' DNS server: loopback, the sample cluster and 1,000 SRV records of one service. */
import type { TestContext } from 'node:test';
import { startDnsServer, type DnsServer, type TcpLimits } from '../../src/dns/index.js';
import { manyInstances, sampleCluster, staticCatalog } from './fixtures.js';

/** Started, synced, and stopped after `t`; `tcp` overrides the default limits. */
export async function tcpTestServer(t: TestContext, tcp?: Partial<TcpLimits>): Promise<DnsServer> {
  const { instances, hosts } = sampleCluster();
  // 1,000 SRV records with their addresses: one answer fills a 64 KiB TCP message.
  const s = await startDnsServer({ catalog: staticCatalog([...instances, ...manyInstances('huge', 1_000)], hosts), addr: { host: '127.0.0.1', port: 0 }, tcp });
  t.after(() => s.stop());
  await s.synced();
  return s;
}
