/**
 * The native DNS-over-TCP listener with real clients — bind9's `dig +tcp` and Node's c-ares Resolver
 * (which retries over TCP when the UDP answer is truncated) — and a differential oracle: the same
 * query asked over UDP and over TCP gets the same bytes (header, question, the same records; only
 * their order differs, shuffled per response), except where UDP had to truncate.
 */
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { test, type TestContext } from 'node:test';
import { startDnsServer, type DnsServer } from '../../src/dns/index.js';
import { TYPE } from '../../src/dns/wire.js';
import { dig, rdata } from './dig.js';
import { manyInstances, sampleCluster, staticCatalog } from './fixtures.js';
import { nativeTcpOrSkip } from './tcp-server.js';
import { buildQuery, tcpAsk, udpAsk } from './wire-helpers.js';

async function server(t: TestContext): Promise<DnsServer> {
  const { instances, hosts } = sampleCluster();
  const s = await startDnsServer({ catalog: staticCatalog([...instances, ...manyInstances('big', 300)], hosts), addr: { host: '127.0.0.1', port: 0 } });
  t.after(() => s.stop());
  await s.synced();
  return s;
}

/** Header and question bytes, then each section's records as raw byte strings, sorted. */
function parts(msg: Buffer): { head: string; sections: string[][]; tc: boolean } {
  const skipName = (at: number): number => {
    for (;;) {
      const len = msg[at]!;
      if (len === 0) return at + 1;
      if (len >= 0xc0) return at + 2;
      at += 1 + len;
    }
  };
  let at = skipName(12) + 4;
  const head = msg.subarray(0, at).toString('hex');
  const sections = [6, 8, 10].map((off) =>
    Array.from({ length: msg.readUInt16BE(off) }, () => {
      const start = at;
      at = skipName(at) + 8;
      at += 2 + msg.readUInt16BE(at);
      return msg.subarray(start, at).toString('hex');
    }).sort(),
  );
  assert.equal(at, msg.length, 'every byte accounted for');
  return { head, sections, tc: (msg[2]! & 0x02) !== 0 };
}

test('dig +tcp gets what dig over UDP gets, and all 300 records where UDP truncates', async (t) => {
  if (!nativeTcpOrSkip(t)) return;
  const port = (await server(t)).address().port;
  for (const [name, type] of [['redis.service.cluster', 'A'], ['_redis._tcp.service.cluster', 'SRV'], ['web.service.cluster', 'AAAA'], ['nope.service.cluster', 'A'], ['cluster', 'SOA']] as const) {
    const [udp, tcp] = await Promise.all([dig(port, name, type, '+notcp'), dig(port, name, type, '+tcp', '+stats')]);
    assert.equal(tcp.status, udp.status, name);
    assert.deepEqual(tcp.flags, udp.flags, name);
    assert.deepEqual(rdata(tcp.answer).sort(), rdata(udp.answer).sort(), name);
    assert.match(tcp.raw, /\(TCP\)/);
  }
  const big = await dig(port, 'big.service.cluster', '+tcp');
  assert.ok(!big.flags.includes('tc'));
  assert.equal(new Set(rdata(big.answer)).size, 300);
});

test("Node's resolver retries a truncated answer over TCP and gets all 300 records", async (t) => {
  if (!nativeTcpOrSkip(t)) return;
  const s = await server(t);
  const resolver = new Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([`127.0.0.1:${s.address().port}`]);
  assert.equal(new Set(await resolver.resolve4('big.service.cluster')).size, 300);
  assert.deepEqual((await resolver.resolveSrv('_redis._tcp.service.cluster')).map((r) => r.port).sort(), [6379, 6380]);
});

test('differential: the same query over UDP and TCP gets the same bytes, but for the records UDP must truncate', async (t) => {
  if (!nativeTcpOrSkip(t)) return;
  const port = (await server(t)).address().port;
  const names = ['redis.service.cluster', 'REDIS.Service.Cluster', '_redis._tcp.service.cluster', 'kafka-0.kafka.service.cluster', 'node-1.node.cluster', 'cluster', 'nope.service.cluster', 'big.service.cluster', '1.0.0.10.in-addr.arpa', 'example.com'];
  const types = [TYPE.A, TYPE.AAAA, TYPE.SRV, TYPE.SOA, TYPE.NS, TYPE.PTR, 16];
  let compared = 0;
  let truncated = 0;
  for (const name of names) {
    for (const type of types) {
      for (const edns of [undefined, 4096]) {
        const q = buildQuery(name, type, { id: compared + truncated, edns });
        const [u, c] = await Promise.all([udpAsk(port, q), tcpAsk(port, q)]);
        const [udp, tcp] = [parts(u), parts(c)];
        assert.ok(!tcp.tc, `${name} ${type}: TC over TCP`);
        if (udp.tc) {
          // Truncated: the header differs in TC and counts only; TCP carries more.
          truncated++;
          assert.ok(c.length > u.length, `${name} ${type}`);
          continue;
        }
        assert.deepEqual(tcp, udp, `${name} ${type} edns ${edns}`);
        compared++;
      }
    }
  }
  t.diagnostic(`${compared} identical, ${truncated} truncated over UDP`);
  assert.ok(compared > 100 && truncated >= 1, `${compared} compared, ${truncated} truncated`);
});
