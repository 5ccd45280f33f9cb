/** The server over real sockets, checked with real clients: bind9's dig and Node's c-ares Resolver. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import { Socket } from 'node:net';
import { startDnsServer, type DnsServer } from '../../src/dns/index.js';
import { dig, rdata } from './dig.js';
import { manyInstances, sampleCluster, staticCatalog } from './fixtures.js';
import { buildQuery, decode } from './wire-helpers.js';

let server: DnsServer;
let port: number;
const resolver = new Resolver({ timeout: 2_000, tries: 1 });

before(async () => {
  const { instances, hosts } = sampleCluster();
  const catalog = staticCatalog([...instances, ...manyInstances('big', 300)], hosts);
  server = await startDnsServer({ catalog, zone: 'cluster', ttl: 3, addr: { host: '127.0.0.1', port: 0 } });
  await server.synced();
  port = server.address().port;
  assert.notEqual(port, 0);
  resolver.setServers([`127.0.0.1:${port}`]);
});
after(() => server.stop());

test('dig: every name form, record by record', async () => {
  const a = await dig(port, 'redis.service.cluster', 'A');
  assert.equal(a.status, 'NOERROR');
  assert.ok(a.flags.includes('aa'));
  assert.deepEqual(rdata(a.answer), ['10.0.0.1', '10.0.0.2']);
  assert.ok(a.answer.every((r) => r[0] === 'redis.service.cluster.' && r[1] === '3'));
  assert.deepEqual(rdata((await dig(port, 'web.service.cluster', 'AAAA')).answer), ['fd00::10']);
  assert.deepEqual(rdata((await dig(port, 'cache.redis.service.cluster')).answer), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(rdata((await dig(port, 'redis-1.redis.service.cluster')).answer), ['10.0.0.2']);
  assert.deepEqual(rdata((await dig(port, 'kafka-0.kafka.service.cluster')).answer), ['10.0.2.1', '10.0.2.2']);
  assert.deepEqual(rdata((await dig(port, 'node-1.node.cluster')).answer), ['192.168.0.1']);
  for (const name of ['redis.service.cluster', '_redis._tcp.service.cluster']) {
    const srv = await dig(port, name, 'SRV');
    assert.deepEqual(rdata(srv.answer), ['1 1 6379 redis-0.redis.service.cluster.', '1 1 6380 redis-1.redis.service.cluster.']);
    assert.deepEqual(
      srv.additional.filter((r) => r[3] === 'A').map((r) => `${r[0]} ${r[4]}`).sort(),
      ['redis-0.redis.service.cluster. 10.0.0.1', 'redis-1.redis.service.cluster. 10.0.0.2'],
    );
  }
  assert.deepEqual(rdata((await dig(port, '_redis._primary.service.cluster', 'SRV')).answer), ['1 1 6379 redis-0.redis.service.cluster.']);
  assert.deepEqual(rdata((await dig(port, 'cluster', 'SOA')).answer), ['ns.cluster. hostmaster.cluster. 1 3600 600 86400 3']);
  const ns = await dig(port, 'cluster', 'NS');
  assert.deepEqual(rdata(ns.answer), ['ns.cluster.']);
  assert.deepEqual(ns.additional.filter((r) => r[3] === 'A').map((r) => `${r[0]} ${r[4]}`), ['ns.cluster. 127.0.0.1']);
  assert.deepEqual(rdata((await dig(port, '-x', '10.0.0.2')).answer), ['redis-1.redis.service.cluster.']);
  const mixed = await dig(port, 'ReDis.SERVICE.cluster');
  assert.deepEqual(rdata(mixed.answer), ['10.0.0.1', '10.0.0.2']);
  assert.equal(mixed.answer[0]![0], 'ReDis.SERVICE.cluster.');
});

test('dig: NXDOMAIN vs NODATA, both with the SOA in authority; REFUSED outside the zone', async () => {
  const soa = (r: { authority: string[][] }) => r.authority.map((x) => `${x[0]} ${x[3]}`);
  const nx = await dig(port, 'nope.service.cluster');
  assert.equal(nx.status, 'NXDOMAIN');
  assert.ok(nx.flags.includes('aa'));
  assert.deepEqual(soa(nx), ['cluster. SOA']);
  for (const [name, type] of [['down.service.cluster', 'A'], ['redis.service.cluster', 'AAAA'], ['service.cluster', 'A']]) {
    const r = await dig(port, name!, type!);
    assert.equal(r.status, 'NOERROR', name);
    assert.equal(r.answer.length, 0, name);
    assert.deepEqual(soa(r), ['cluster. SOA'], name);
  }
  const refused = await dig(port, 'example.com');
  assert.equal(refused.status, 'REFUSED');
  assert.equal(refused.answer.length, 0);
});

test('dig: 300 instances — UDP without EDNS truncates, EDNS carries more up to 1232 bytes, TCP carries all', async () => {
  const plain = await dig(port, 'big.service.cluster', '+noedns', '+ignore');
  assert.ok(plain.flags.includes('tc'));
  assert.ok(plain.answer.length >= 25 && plain.answer.length < 300, `${plain.answer.length}`);
  for (const bufsize of [4096, 65535]) {
    const edns = await dig(port, 'big.service.cluster', `+bufsize=${bufsize}`, '+ignore', '+stats');
    assert.ok(edns.flags.includes('tc'));
    // 12 + 25 (question) + 11 (OPT) + 74 × 16 (A records) = 1232 bytes, whatever the client's buffer.
    assert.equal(edns.answer.length, 74);
    assert.match(edns.raw, /MSG SIZE\s+rcvd: 1232\b/);
  }
  const tcp = await dig(port, 'big.service.cluster', '+tcp');
  assert.ok(!tcp.flags.includes('tc'));
  assert.equal(new Set(rdata(tcp.answer)).size, 300);
  // Without +ignore dig itself retries over TCP on TC and gets everything.
  assert.equal((await dig(port, 'big.service.cluster', 'SRV')).answer.length, 300);
  assert.ok(server.metrics().truncated >= 2);
});

test('Node Resolver: every name form and the error codes of NXDOMAIN, NODATA and REFUSED', async () => {
  assert.deepEqual((await resolver.resolve4('redis.service.cluster')).sort(), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(await resolver.resolve6('web.service.cluster'), ['fd00::10']);
  assert.deepEqual((await resolver.resolve4('primary.redis.service.cluster')).sort(), ['10.0.0.1']);
  assert.deepEqual(await resolver.resolve4('fast.kafka.service.cluster'), ['10.0.2.3']);
  assert.deepEqual((await resolver.resolve4('kafka-0.kafka.service.cluster')).sort(), ['10.0.2.1', '10.0.2.2']);
  assert.deepEqual(await resolver.resolve4('node-1.node.cluster'), ['192.168.0.1']);
  const srv = (await resolver.resolveSrv('_redis._tcp.service.cluster')).sort((x, y) => x.port - y.port);
  assert.deepEqual(srv, [
    { name: 'redis-0.redis.service.cluster', port: 6379, priority: 1, weight: 1 },
    { name: 'redis-1.redis.service.cluster', port: 6380, priority: 1, weight: 1 },
  ]);
  assert.equal((await resolver.resolveSrv('web.service.cluster')).length, 2);
  const soa = await resolver.resolveSoa('cluster');
  assert.equal(soa.nsname, 'ns.cluster');
  assert.equal(soa.minttl, 3);
  assert.deepEqual(await resolver.resolveNs('cluster'), ['ns.cluster']);
  assert.deepEqual(await resolver.reverse('10.0.0.1'), ['redis-0.redis.service.cluster']);
  // c-ares retries over TCP on TC: all 300.
  assert.equal((await resolver.resolve4('big.service.cluster')).length, 300);
  await assert.rejects(resolver.resolve4('nope.service.cluster'), { code: 'ENOTFOUND' });
  await assert.rejects(resolver.resolve4('down.service.cluster'), { code: 'ENODATA' });
  await assert.rejects(resolver.resolve6('redis.service.cluster'), { code: 'ENODATA' });
  await assert.rejects(resolver.resolve4('example.com'), { code: 'EREFUSED' });
});

test('TCP: pipelined queries on one connection all get their answers', async () => {
  const conn = new Socket();
  await new Promise<void>((r) => conn.connect(port, '127.0.0.1', r));
  const frames = Array.from({ length: 50 }, (_, i) => {
    const q = buildQuery(i % 2 ? 'big.service.cluster' : 'redis.service.cluster', 1, { id: 1000 + i });
    const len = Buffer.alloc(2);
    len.writeUInt16BE(q.length);
    return Buffer.concat([len, q]);
  });
  const ids = new Set<number>();
  await new Promise<void>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    conn.on('error', reject);
    conn.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const res = decode(buf.subarray(2, 2 + buf.readUInt16BE(0)));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
        assert.equal(res.answer.length, res.id % 2 ? 300 : 2);
        ids.add(res.id);
        if (ids.size === 50) resolve();
      }
    });
    conn.write(Buffer.concat(frames));
  });
  conn.destroy();
  assert.equal(ids.size, 50);
});

test('a taken address fails with code bind_failed', async () => {
  const { instances, hosts } = sampleCluster();
  await assert.rejects(
    startDnsServer({ catalog: staticCatalog(instances, hosts), addr: { host: '127.0.0.1', port } }),
    { name: 'DnsError', code: 'bind_failed' },
  );
});

test('metrics count responses by rcode and queries by type; the table snapshot is exposed', () => {
  const m = server.metrics();
  assert.ok(m.responses.NOERROR! > 10 && m.responses.NXDOMAIN! >= 2 && m.responses.REFUSED! >= 2);
  assert.ok(m.queries.A! > 5 && m.queries.SRV! >= 3 && m.queries.PTR! >= 2);
  assert.ok(m.tableNames > 300 && m.tableRecords > m.tableNames);
  assert.deepEqual(m.syncIndex, { instances: 1, hosts: 1 });
  assert.ok(server.table()?.names.size === m.tableNames);
});
