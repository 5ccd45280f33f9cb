/**
 * Protocol points a client can check from outside, each judged by dig or npm dns2 (not the server's
 * own decoder): zone transfers refused, the UDP size cap also on forwarded answers, DO echoed, the
 * reverse zones' SOA and apex.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { startDnsServer, type DnsServer } from '../../src/dns/index.js';
import { TYPE } from '../../src/dns/wire.js';
import { dig, rdata } from './dig.js';
import { sampleCluster, staticCatalog } from './fixtures.js';
import { auditPointers, viewOf } from './oracle.js';
import { buildQuery, tcpAsk, udpAsk } from './wire-helpers.js';

let server: DnsServer;
let port: number;
let fat: Socket;

before(async () => {
  // An upstream that ignores the client's size and answers every query with 200 A records (~3.2 KB).
  fat = createSocket('udp4');
  fat.on('message', (q, rinfo) => {
    let end = 12;
    while (q[end] !== 0) end += q[end]! + 1;
    const head = Buffer.from(q.subarray(0, end + 5));
    head[2] = 0x81;
    head[3] = 0x80;
    head.writeUInt16BE(200, 6);
    head.fill(0, 8, 12);
    const rr = (i: number) => Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 1, i >> 8, i & 255]);
    fat.send(Buffer.concat([head, ...Array.from({ length: 200 }, (_, i) => rr(i))]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => fat.bind(0, '127.0.0.1', r));
  const { instances, hosts } = sampleCluster();
  server = await startDnsServer({
    catalog: staticCatalog(instances, hosts),
    addr: { host: '127.0.0.1', port: 0 },
    forward: [{ host: '127.0.0.1', port: fat.address().port }],
    forwardTimeoutMs: 1_000,
  });
  await server.synced();
  port = server.address().port;
});
after(async () => {
  fat.close();
  await server.stop();
});

test('IXFR (with its SOA in authority, RFC 1995) and AXFR are REFUSED, over UDP and TCP', async () => {
  // dig's ixfr=N sends the SOA with serial N in the authority section.
  for (const args of [['ixfr=1', 'cluster'], ['ixfr=1', 'cluster', '+notcp'], ['axfr', 'cluster']]) {
    const r = await dig(port, ...args);
    assert.match(r.raw, /status: REFUSED|Transfer failed/, args.join(' '));
  }
  // By hand, so the rcode itself is seen: an IXFR query carrying an SOA in authority.
  const q = buildQuery('cluster', 251, { id: 77 });
  q.writeUInt16BE(1, 8);
  // Owner: a pointer to the question's name; mname and rname: the root; then the five numbers.
  const soa = Buffer.concat([Buffer.from([0xc0, 12, 0, 6, 0, 1, 0, 0, 0, 0, 0, 22, 0, 0]), Buffer.alloc(20)]);
  const ixfr = Buffer.concat([q, soa]);
  for (const raw of [await udpAsk(port, ixfr), await tcpAsk(port, ixfr), await tcpAsk(port, buildQuery('cluster', 252))]) {
    const v = viewOf(raw);
    assert.equal(v.rcode, 5, JSON.stringify(v));
    assert.deepEqual(v.answer, []);
  }
  // An authority record in any other query is still malformed.
  const bad = Buffer.concat([buildQuery('cluster', TYPE.SOA), soa]);
  bad.writeUInt16BE(1, 8);
  assert.equal(viewOf(await udpAsk(port, bad)).rcode, 1);
});

test('a forwarded answer over 1232 bytes reaches a UDP client as TC with the question only; TCP gets it whole', async () => {
  const raw = await udpAsk(port, buildQuery('www.example.com', TYPE.A, { id: 4321, edns: 4096 }));
  assert.ok(raw.length <= 1232, `${raw.length} bytes`);
  auditPointers(raw);
  const v = viewOf(raw);
  assert.equal(v.id, 4321);
  assert.ok(v.tc);
  assert.deepEqual(v.question, ['www.example.com A']);
  const tcp = viewOf(await tcpAsk(port, buildQuery('www.example.com', TYPE.A, { edns: 4096 })));
  assert.equal(tcp.answer.length, 200);
  assert.ok(server.metrics().forwarded >= 2);
});

test('SRV targets are never compressed and come as registered, whatever the case of the question (RFC 2782)', async () => {
  for (const name of ['ReDiS.SeRvIcE.ClUsTeR', '_REDIS._TCP.SERVICE.CLUSTER']) {
    for (const raw of [await udpAsk(port, buildQuery(name, TYPE.SRV)), await tcpAsk(port, buildQuery(name, TYPE.SRV))]) {
      auditPointers(raw); // throws on a compressed SRV target
      const v = viewOf(raw);
      assert.deepEqual(v.answer.map((r) => r.split(' ').slice(1).join(' ')).sort(), [
        'SRV 1 1 6379 redis-0.redis.service.cluster',
        'SRV 1 1 6380 redis-1.redis.service.cluster',
      ]);
    }
  }
  const srv = await dig(port, '_REDIS._TCP.SERVICE.CLUSTER', 'SRV');
  assert.deepEqual(rdata(srv.answer), ['1 1 6379 redis-0.redis.service.cluster.', '1 1 6380 redis-1.redis.service.cluster.']);
});

test('DO is echoed in our OPT (RFC 3225), also on errors; OPT advertises 1232', async () => {
  const on = await dig(port, 'redis.service.cluster', '+dnssec');
  assert.match(on.raw, /; EDNS: version: 0, flags: do; udp: 1232/);
  const off = await dig(port, 'redis.service.cluster');
  assert.match(off.raw, /; EDNS: version: 0, flags:; udp: 1232/);
  const nx = viewOf(await udpAsk(port, buildQuery('nope.service.cluster', TYPE.A, { edns: 1232, do: true })));
  assert.equal(nx.rcode, 3);
  assert.deepEqual(nx.opt, { udp: 1232, version: 0, do: true });
  const formerr = buildQuery('redis.service.cluster', TYPE.A, { edns: 1232, do: true });
  formerr[formerr.length - 5] = 1; // EDNS version 1 → BADVERS, with DO still echoed
  const bv = viewOf(await udpAsk(port, formerr));
  assert.equal(bv.rcode, 16);
  assert.equal(bv.opt?.do, true);
});

test('reverse zones: the /24 of known addresses answers SOA and NS at its apex and NXDOMAIN with its SOA below', async () => {
  const apex = await dig(port, '0.0.10.in-addr.arpa', 'SOA');
  assert.equal(apex.status, 'NOERROR');
  assert.deepEqual(rdata(apex.answer), ['ns.cluster. hostmaster.cluster. 1 3600 600 86400 5']);
  assert.equal(apex.answer[0]![0], '0.0.10.in-addr.arpa.');
  assert.deepEqual(rdata((await dig(port, '0.0.10.in-addr.arpa', 'NS')).answer), ['ns.cluster.']);
  const unknown = await dig(port, '-x', '10.0.0.99');
  assert.equal(unknown.status, 'NXDOMAIN');
  assert.ok(unknown.flags.includes('aa'));
  assert.deepEqual(unknown.authority.map((r) => `${r[0]} ${r[3]}`), ['0.0.10.in-addr.arpa. SOA']);
  // A host's /24 too (a host is never "down" for its own address).
  assert.deepEqual(rdata((await dig(port, '-x', '192.168.0.2')).answer), ['node-2.node.cluster.']);
  assert.equal((await dig(port, '-x', '192.168.0.77')).status, 'NXDOMAIN');
  // Outside every claimed zone the server is not authoritative: forwarded here (the fake upstream answers).
  const outside = await dig(port, '-x', '8.8.4.4');
  assert.ok(!outside.flags.includes('aa'));
});
