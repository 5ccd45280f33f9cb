/**
 * The dgram fallback (`udpIo: 'node'`), which serves wherever the udp-batch addon is not built: a
 * representative part of the suite — name forms with dig, NXDOMAIN/NODATA/REFUSED, truncation,
 * load from several sockets, forwarding, fuzzed input — on the Node path forced.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { startDnsServer, type DnsServer } from '../../src/dns/index.js';
import { TYPE } from '../../src/dns/wire.js';
import { seededRng } from '../../src/scheduler/placement/rng.js';
import { dig, rdata } from './dig.js';
import { inst, manyInstances, sampleCluster, staticCatalog } from './fixtures.js';
import { askMany } from './udp-load.js';
import { buildQuery, decode, udpAsk } from './wire-helpers.js';

let server: DnsServer;
let port: number;
const started: DnsServer[] = [];

before(async () => {
  const { instances, hosts } = sampleCluster();
  server = await startDnsServer({
    catalog: staticCatalog([...instances, ...manyInstances('big', 300)], hosts),
    addr: { host: '127.0.0.1', port: 0 },
    ttl: 3,
    udpIo: 'node',
  });
  started.push(server);
  await server.synced();
  port = server.address().port;
});
after(() => Promise.all(started.map((s) => s.stop())));

test('node path: forced by udpIo, every name form answers record by record', async () => {
  assert.equal(server.udpIo, 'node');
  assert.deepEqual(rdata((await dig(port, 'redis.service.cluster')).answer), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(rdata((await dig(port, 'web.service.cluster', 'AAAA')).answer), ['fd00::10']);
  assert.deepEqual(rdata((await dig(port, 'cache.redis.service.cluster')).answer), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(rdata((await dig(port, 'kafka-0.kafka.service.cluster')).answer), ['10.0.2.1', '10.0.2.2']);
  assert.deepEqual(rdata((await dig(port, 'node-1.node.cluster')).answer), ['192.168.0.1']);
  assert.deepEqual(rdata((await dig(port, '_redis._tcp.service.cluster', 'SRV')).answer), [
    '1 1 6379 redis-0.redis.service.cluster.',
    '1 1 6380 redis-1.redis.service.cluster.',
  ]);
  assert.deepEqual(rdata((await dig(port, '-x', '10.0.0.2')).answer), ['redis-1.redis.service.cluster.']);
  const mixed = await dig(port, 'ReDis.SERVICE.cluster');
  assert.equal(mixed.answer[0]![0], 'ReDis.SERVICE.cluster.');
});

test('node path: NXDOMAIN, NODATA, REFUSED; truncation without EDNS, more with it', async () => {
  assert.equal((await dig(port, 'nope.service.cluster')).status, 'NXDOMAIN');
  const nodata = await dig(port, 'down.service.cluster');
  assert.equal(nodata.status, 'NOERROR');
  assert.equal(nodata.answer.length, 0);
  assert.equal((await dig(port, 'example.com')).status, 'REFUSED');
  const plain = await dig(port, 'big.service.cluster', '+noedns', '+ignore');
  assert.ok(plain.flags.includes('tc'));
  const edns = await dig(port, 'big.service.cluster', '+bufsize=4096', '+ignore');
  assert.ok(edns.answer.length > plain.answer.length);
});

test('node path: 1,200 queries from 6 sockets, each answered with its ID on the socket that asked', async () => {
  const queries = Array.from({ length: 1_200 }, (_, i) => buildQuery(i % 2 ? 'redis.service.cluster' : 'node-1.node.cluster', TYPE.A, { id: i + 1 }));
  const { responses, receivedOn, sentFrom } = await askMany(port, queries, { sockets: 6, window: 30 });
  responses.forEach((r, i) => {
    const d = decode(r);
    assert.equal(d.id, i + 1);
    assert.equal(receivedOn[i], sentFrom[i]);
    assert.deepEqual(d.answer.map((x) => x.data).sort(), i % 2 ? ['10.0.0.1', '10.0.0.2'] : ['192.168.0.1']);
  });
  assert.equal(server.metrics().sendDropped, 0);
});

test('node path: forwarded answers arrive', async () => {
  const upstream = await startDnsServer({
    catalog: staticCatalog([inst({ service: 'web', name: 'web-0', address: '10.7.0.1' })], []),
    zone: 'upstream.test',
    addr: { host: '127.0.0.1', port: 0 },
    udpIo: 'node',
  });
  started.push(upstream);
  await upstream.synced();
  const { instances, hosts } = sampleCluster();
  const s = await startDnsServer({ catalog: staticCatalog(instances, hosts), addr: { host: '127.0.0.1', port: 0 }, forward: [upstream.address()], udpIo: 'node' });
  started.push(s);
  await s.synced();
  const queries = Array.from({ length: 40 }, (_, i) => buildQuery('web.service.upstream.test', TYPE.A, { id: 300 + i }));
  const { responses } = await askMany(s.address().port, queries, { sockets: 2, window: 20 });
  responses.forEach((r, i) => {
    const d = decode(r);
    assert.equal(d.id, 300 + i);
    assert.deepEqual(d.answer.map((x) => x.data), ['10.7.0.1']);
  });
});

test('node path: 20,000 random and mutated packets, then a normal query still answers', async () => {
  const r = seededRng(0xd6a);
  const seed = buildQuery('redis.service.cluster', TYPE.A, { edns: 1232 });
  const sock = createSocket('udp4');
  sock.on('message', () => {});
  await new Promise<void>((res) => sock.bind(0, '127.0.0.1', res));
  for (let i = 0; i < 20_000; i++) {
    const pkt = i % 2 ? Buffer.alloc(Math.floor(r() * 600)) : Buffer.from(seed);
    if (i % 2) for (let j = 0; j < pkt.length; j++) pkt[j] = Math.floor(r() * 256);
    else for (let n = 0; n < 3; n++) pkt[Math.floor(r() * pkt.length)] = Math.floor(r() * 256);
    sock.send(pkt, port, '127.0.0.1');
    if (i % 500 === 0) await new Promise((res) => setTimeout(res, 1));
  }
  await new Promise((res) => setTimeout(res, 100));
  sock.close();
  const a = decode(await udpAsk(port, buildQuery('redis.service.cluster', TYPE.A, { id: 778 })));
  assert.equal(a.id, 778);
  assert.equal(a.answer.length, 2);
});
