/** Forwarding of out-of-zone names to upstreams: UDP, TCP on TC, failover, SERVFAIL when all fail. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { startDnsServer, type DnsServer } from '../../src/dns/index.js';
import { dig, rdata } from './dig.js';
import { inst, manyInstances, sampleCluster, staticCatalog } from './fixtures.js';

let upstream: DnsServer;
let silent: Socket;
let silentPort: number;
const started: DnsServer[] = [];

async function server(forward: { host: string; port: number }[]): Promise<DnsServer> {
  const { instances, hosts } = sampleCluster();
  const s = await startDnsServer({
    catalog: staticCatalog(instances, hosts),
    addr: { host: '127.0.0.1', port: 0 },
    forward,
    forwardTimeoutMs: 300,
  });
  started.push(s);
  await s.synced();
  return s;
}

before(async () => {
  const instances = [...manyInstances('big', 300), inst({ service: 'web', name: 'web-0', address: '10.7.0.1' })];
  upstream = await startDnsServer({ catalog: staticCatalog(instances, []), zone: 'upstream.test', addr: { host: '127.0.0.1', port: 0 } });
  started.push(upstream);
  await upstream.synced();
  // An "upstream" that swallows every query.
  silent = createSocket('udp4');
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  silentPort = silent.address().port;
});
after(async () => {
  silent.close();
  await Promise.all(started.map((s) => s.stop()));
});

test('out-of-zone names are forwarded; in-zone names stay authoritative', async () => {
  const s = await server([upstream.address()]);
  const port = s.address().port;
  const web = await dig(port, 'web.service.upstream.test');
  assert.equal(web.status, 'NOERROR');
  assert.deepEqual(rdata(web.answer), ['10.7.0.1']);
  assert.equal((await dig(port, 'nope.service.upstream.test')).status, 'NXDOMAIN');
  const own = await dig(port, 'redis.service.cluster');
  assert.ok(own.flags.includes('aa'));
  assert.deepEqual(rdata(own.answer), ['10.0.0.1', '10.0.0.2']);
  assert.equal(s.metrics().forwarded, 2);
});

test('a truncated upstream answer is relayed to UDP clients and retried over TCP for TCP clients', async () => {
  const s = await server([upstream.address()]);
  const port = s.address().port;
  const udp = await dig(port, 'big.service.upstream.test', '+noedns', '+ignore');
  assert.ok(udp.flags.includes('tc'));
  assert.ok(udp.answer.length > 0 && udp.answer.length < 300);
  const tcp = await dig(port, 'big.service.upstream.test', '+tcp');
  assert.ok(!tcp.flags.includes('tc'));
  assert.equal(new Set(rdata(tcp.answer)).size, 300);
});

test('a dead upstream is skipped; SERVFAIL when every upstream fails', async () => {
  const failover = await server([{ host: '127.0.0.1', port: silentPort }, upstream.address()]);
  assert.deepEqual(rdata((await dig(failover.address().port, 'web.service.upstream.test')).answer), ['10.7.0.1']);
  const dead = await server([{ host: '127.0.0.1', port: silentPort }]);
  const r = await dig(dead.address().port, 'web.service.upstream.test', '+tcp');
  assert.equal(r.status, 'SERVFAIL');
  assert.equal(dead.metrics().forwardFailures, 1);
  // The server keeps answering its own zone meanwhile.
  assert.equal((await dig(dead.address().port, 'redis.service.cluster')).status, 'NOERROR');
});
