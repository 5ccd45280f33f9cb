/**
 * The TCP tests' DNS server: loopback, the sample cluster and 1,000 SRV records of one service; and
 * `bothPaths`, which runs a test on each DNS-over-TCP listener — the dns-tcp addon (`native`) and
 * Node's net with tcp.ts (`node`) — since both promise the same limits and deadlines.
 */
import { test, type TestContext } from 'node:test';
import { startDnsServer, type DnsServer, type TcpLimits } from '../../src/dns/index.js';
import { loadNative } from '../../src/native/index.js';
import { manyInstances, sampleCluster, staticCatalog } from './fixtures.js';

export type TcpIo = 'native' | 'node';
export type TcpTestServer = (t: TestContext, tcp?: Partial<TcpLimits>) => Promise<DnsServer>;

/** Started, synced, and stopped after `t`; `tcp` overrides the default limits. */
export async function tcpTestServer(t: TestContext, tcp?: Partial<TcpLimits>, io: TcpIo = 'native'): Promise<DnsServer> {
  const { instances, hosts } = sampleCluster();
  // 1,000 SRV records with their addresses: one answer fills a 64 KiB TCP message.
  const catalog = staticCatalog([...instances, ...manyInstances('huge', 1_000)], hosts);
  const s = await startDnsServer({ catalog, addr: { host: '127.0.0.1', port: 0 }, tcp: { ...tcp, io: io === 'node' ? 'node' : 'auto' } });
  t.after(() => s.stop());
  await s.synced();
  return s;
}

/**
 * The addon's listener serves unless it is not built (then the native case skips, and under
 * MAESTRO_REQUIRE_NATIVE=1, as in CI, loadNative throws: a failure, not a skip).
 */
export function nativeTcpOrSkip(t: TestContext): boolean {
  if (loadNative('dns-tcp') !== undefined) return true;
  t.skip('dns-tcp addon not built (node scripts/build-native.mjs) or MAESTRO_NATIVE=0');
  return false;
}

/** Registers `fn` once per TCP path, named `[native] …` and `[node] …`. */
export function bothPaths(name: string, opts: { timeout?: number }, fn: (t: TestContext, server: TcpTestServer) => Promise<void>): void {
  for (const io of ['native', 'node'] as const) {
    test(`[${io}] ${name}`, opts, async (t) => {
      if (io === 'native' && !nativeTcpOrSkip(t)) return;
      await fn(t, (tt, tcp) => tcpTestServer(tt, tcp, io));
    });
  }
}
