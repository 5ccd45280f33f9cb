/** The pure core: table building and the hot-path answerer, with hand-built packets and no sockets. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answer, type AnswerContext } from '../../src/dns/answer.js';
import { DnsMetrics } from '../../src/dns/metrics.js';
import { buildTable, describeTable } from '../../src/dns/table.js';
import { TYPE, wireKey } from '../../src/dns/wire.js';
import { manyInstances, sampleCluster } from './fixtures.js';
import { buildQuery, decode, type Query } from './wire-helpers.js';

const A = TYPE.A;
const { instances, hosts } = sampleCluster();
const table = buildTable({ zone: 'cluster', ttl: 7, serial: 42, instances, hosts, nsAddress: '127.0.0.1' });

function ctx(over: Partial<AnswerContext> = {}): AnswerContext {
  return { table, zoneKey: wireKey('cluster'), forwarding: false, metrics: new DnsMetrics(), ...over };
}
function ask(name: string, type: number, q: Query = {}, c = ctx(), udp = true) {
  const res = answer(c, buildQuery(name, type, q), udp);
  assert.ok(res && res.length > 0, `no answer for ${name}`);
  return decode(res);
}
const datas = (rrs: { data: string }[]) => rrs.map((r) => r.data).sort();

test('service name: A of passing instances only, AAAA separately, authoritative, TTL as configured', () => {
  const r = ask('redis.service.cluster', A);
  assert.equal(r.rcode, 0);
  assert.ok(r.aa && r.qr && !r.tc);
  assert.deepEqual(datas(r.answer), ['10.0.0.1', '10.0.0.2']);
  assert.ok(r.answer.every((a) => a.ttl === 7 && a.name === 'redis.service.cluster'));
  assert.deepEqual(datas(ask('web.service.cluster', TYPE.AAAA).answer), ['fd00:0:0:0:0:0:0:10']);
  assert.deepEqual(datas(ask('web.service.cluster', A).answer), ['10.0.1.1']);
});

test('SRV on the service, RFC 2782 and tag forms, targets with addresses in additional', () => {
  for (const name of ['redis.service.cluster', '_redis._tcp.service.cluster']) {
    const r = ask(name, TYPE.SRV);
    assert.deepEqual(datas(r.answer), ['1 1 6379 redis-0.redis.service.cluster', '1 1 6380 redis-1.redis.service.cluster']);
    assert.deepEqual(
      r.additional.map((a) => `${a.name} ${a.data}`).sort(),
      ['redis-0.redis.service.cluster 10.0.0.1', 'redis-1.redis.service.cluster 10.0.0.2'],
    );
  }
  assert.deepEqual(datas(ask('_redis._primary.service.cluster', TYPE.SRV).answer), ['1 1 6379 redis-0.redis.service.cluster']);
  assert.deepEqual(datas(ask('primary.redis.service.cluster', TYPE.SRV).answer), ['1 1 6379 redis-0.redis.service.cluster']);
  const web = ask('web.service.cluster', TYPE.SRV);
  assert.deepEqual(web.additional.map((a) => a.type).sort(), [1, 28]);
});

test('tag, instance (first) and duplicate instance names', () => {
  assert.deepEqual(datas(ask('cache.redis.service.cluster', A).answer), ['10.0.0.1', '10.0.0.2']);
  assert.deepEqual(datas(ask('redis-1.redis.service.cluster', A).answer), ['10.0.0.2']);
  assert.deepEqual(datas(ask('kafka-0.kafka.service.cluster', A).answer), ['10.0.2.1', '10.0.2.2']);
  // "fast" is both an instance name and a tag of kafka-9: the instance wins.
  assert.deepEqual(datas(ask('fast.kafka.service.cluster', A).answer), ['10.0.2.3']);
  assert.equal(ask('_kafka._fast.service.cluster', TYPE.SRV).answer[0]!.data, '1 1 9099 kafka-9.kafka.service.cluster');
});

test('node names, apex SOA and NS with glue, PTR', () => {
  assert.deepEqual(datas(ask('node-1.node.cluster', A).answer), ['192.168.0.1']);
  assert.deepEqual(datas(ask('node-2.node.cluster', A).answer), ['192.168.0.2']);
  const soa = ask('cluster', TYPE.SOA).answer;
  assert.deepEqual(datas(soa), ['ns.cluster hostmaster.cluster 42 3600 600 86400 7']);
  const ns = ask('cluster', TYPE.NS);
  assert.deepEqual(datas(ns.answer), ['ns.cluster']);
  assert.deepEqual(ns.additional.map((a) => `${a.name} ${a.data}`), ['ns.cluster 127.0.0.1']);
  assert.deepEqual(datas(ask('ns.cluster', A).answer), ['127.0.0.1']);
  assert.deepEqual(datas(ask('1.0.0.10.in-addr.arpa', TYPE.PTR).answer), ['redis-0.redis.service.cluster']);
  assert.deepEqual(datas(ask('1.0.168.192.in-addr.arpa', TYPE.PTR).answer), ['node-1.node.cluster']);
});

test('NXDOMAIN only for names that do not exist; NODATA with SOA for the rest', () => {
  const soaOf = (r: ReturnType<typeof ask>) => r.authority.map((a) => `${a.name} ${a.type}`);
  for (const name of ['nope.service.cluster', 'x.redis-0.redis.service.cluster', 'other.cluster', 'nope.node.cluster']) {
    const r = ask(name, A);
    assert.equal(r.rcode, 3, name);
    assert.ok(r.aa);
    assert.deepEqual(soaOf(r), ['cluster 6'], name);
  }
  const nodata = [
    ['down.service.cluster', A], // exists, no healthy instance
    ['redis-2.redis.service.cluster', A], // critical instance
    ['redis.service.cluster', TYPE.AAAA], // no records of that type
    ['_redis._tcp.service.cluster', A],
    ['service.cluster', A], // empty non-terminals
    ['_tcp.service.cluster', A],
    ['node.cluster', A],
    ['cluster', A],
  ] as const;
  for (const [name, type] of nodata) {
    const r = ask(name, type);
    assert.equal(r.rcode, 0, name);
    assert.equal(r.answer.length, 0, name);
    assert.deepEqual(soaOf(r), ['cluster 6'], name);
  }
  assert.equal(ask('nope.service.cluster', A).authority[0]!.data.split(' ').at(-1), '7');
});

test('case-insensitive, the question echoed as asked', () => {
  const r = ask('ReDiS.SERVICE.Cluster', A);
  assert.equal(r.question[0]!.name, 'ReDiS.SERVICE.Cluster');
  assert.equal(r.answer.length, 2);
  assert.equal(r.answer[0]!.name, 'ReDiS.SERVICE.Cluster');
  assert.equal(ask('Nope.Service.Cluster', A).question[0]!.name, 'Nope.Service.Cluster');
});

test('answers are shuffled per response', () => {
  const big = buildTable({ zone: 'cluster', ttl: 5, serial: 1, instances: manyInstances('big', 8), hosts: [], nsAddress: '127.0.0.1' });
  const firsts = new Set<string>();
  for (let i = 0; i < 200; i++) firsts.add(ask('big.service.cluster', A, {}, ctx({ table: big })).answer[0]!.data);
  assert.ok(firsts.size >= 6, `only ${firsts.size} distinct first records`);
});

test('300 instances: 512 bytes without EDNS → TC and what fits; EDNS more, never past 1232 bytes; TCP all', () => {
  const big = buildTable({ zone: 'cluster', ttl: 5, serial: 1, instances: manyInstances('big', 300), hosts: [], nsAddress: '127.0.0.1' });
  const c = ctx({ table: big });
  const raw = answer(c, buildQuery('big.service.cluster', A), true)!;
  const plain = decode(raw);
  assert.ok(plain.tc && raw.length <= 512 && plain.answer.length >= 25, `${plain.answer.length} records`);
  assert.equal(new Set(datas(plain.answer)).size, plain.answer.length);
  // The client's EDNS size counts up to the 1232 bytes we advertise (DNS Flag Day 2020), not beyond.
  for (const size of [4096, 65_535]) {
    const edns = answer(c, buildQuery('big.service.cluster', A, { edns: size }), true)!;
    const d = decode(edns);
    assert.ok(d.tc && edns.length <= 1232 && edns.length > 1232 - 16, `EDNS ${size}: ${edns.length} bytes`);
    assert.ok(d.answer.length > plain.answer.length, `EDNS ${size}: ${d.answer.length} records`);
  }
  const small = answer(c, buildQuery('big.service.cluster', A, { edns: 700 }), true)!;
  assert.ok(decode(small).tc && small.length <= 700 && small.length > 700 - 16, `EDNS 700: ${small.length} bytes`);
  const tcp = decode(answer(c, buildQuery('big.service.cluster', A), false)!);
  assert.ok(!tcp.tc);
  assert.equal(new Set(datas(tcp.answer)).size, 300);
  const srv = decode(answer(c, buildQuery('big.service.cluster', TYPE.SRV), true)!);
  assert.ok(srv.tc && srv.answer.length === srv.additional.length && srv.answer.length > 0);
  assert.equal(decode(answer(c, buildQuery('big.service.cluster', TYPE.SRV), false)!).answer.length, 300);
  assert.ok(c.metrics.snapshot().truncated >= 3);
});

test('protocol edges: REFUSED outside the zone, SERVFAIL before sync, FORMERR, NOTIMP, BADVERS, drops', () => {
  const r = ask('example.com', A);
  assert.equal(r.rcode, 5);
  assert.equal(r.question[0]!.name, 'example.com');
  assert.equal(ask('redis.service.cluster', A, {}, ctx({ table: undefined })).rcode, 2);
  const c = ctx();
  assert.equal(answer(c, Buffer.from([1, 2, 3]), true), null); // no header: dropped
  const response = buildQuery('redis.service.cluster', A);
  response[2]! |= 0x80;
  assert.equal(answer(c, response, true), null); // a response: dropped (no reflection loops)
  const truncated = buildQuery('redis.service.cluster', A).subarray(0, 20);
  assert.equal(decode(answer(c, truncated, true)!).rcode, 1);
  const pointer = Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
  assert.equal(decode(answer(c, pointer, true)!).rcode, 1);
  const notify = buildQuery('cluster', TYPE.SOA);
  notify[2] = 4 << 3;
  assert.equal(decode(answer(c, notify, true)!).rcode, 4);
  const v1 = buildQuery('redis.service.cluster', A, { edns: 1232 });
  v1[v1.length - 5] = 1; // EDNS version 1
  const bad = answer(c, v1, true)!;
  assert.equal(bad.readUInt32BE(bad.length - 6) >>> 24, 1); // extended rcode 16 = BADVERS
  const m = c.metrics.snapshot();
  assert.equal(m.dropped, 2);
  assert.equal(m.responses.FORMERR, 2);
  assert.equal(m.responses.NOTIMP, 1);
  assert.equal(m.responses.BADVERS, 1);
});

test('ANY: every record of the name; NODATA with SOA where there is none', () => {
  const any = ask('redis.service.cluster', TYPE.ANY);
  assert.deepEqual(any.answer.map((r) => r.type).sort(), [1, 1, 33, 33]);
  assert.equal(any.additional.length, 0);
  const ent = ask('service.cluster', TYPE.ANY);
  assert.equal(ent.answer.length, 0);
  assert.equal(ent.authority[0]!.type, TYPE.SOA);
});

test('an incremental rebuild answers exactly like a cold build of the same snapshot', () => {
  const cluster = sampleCluster();
  const first = buildTable({ zone: 'cluster', ttl: 7, serial: 1, ...cluster, nsAddress: '127.0.0.1' });
  cluster.instances[0] = { ...cluster.instances[0]!, health: 'critical' };
  cluster.instances[3] = { ...cluster.instances[3]!, address: '10.0.1.99' };
  const warm = buildTable({ zone: 'cluster', ttl: 7, serial: 2, ...cluster, nsAddress: '127.0.0.1', previous: first });
  const cold = buildTable({ zone: 'cluster', ttl: 7, serial: 2, ...cluster, nsAddress: '127.0.0.1' });
  assert.deepEqual(describeTable(warm), describeTable(cold));
  for (const [key, entry] of cold.names) {
    const other = warm.names.get(key)!;
    for (const [type, p] of entry.types) assert.deepEqual(other.types.get(type)!.answers, p.answers, `${key} ${type}`);
    assert.deepEqual(other.nodata.authority, entry.nodata.authority);
  }
  // Unchanged names share their encoded answers with the previous table.
  const key = wireKey('web-1.web.service.cluster');
  assert.equal(warm.names.get(key)!.types.get(A), first.names.get(key)!.types.get(A));
  assert.deepEqual(datas(ask('redis.service.cluster', A, {}, ctx({ table: warm })).answer), ['10.0.0.2']);
  assert.deepEqual(datas(ask('web.service.cluster', A, {}, ctx({ table: warm })).answer), ['10.0.1.1', '10.0.1.99']);
});

test('describeTable lists names with their types', () => {
  const d = describeTable(table);
  assert.deepEqual(d['redis.service.cluster'], [1, 33]);
  assert.deepEqual(d['cluster'], [2, 6]);
  assert.deepEqual(d['service.cluster'], []);
  assert.equal(d['redis-2.redis.service.cluster']!.length, 0);
});

test('an update is proportional and copy-on-write: one change re-encodes a few names, the previous table still answers as before', () => {
  const many = manyInstances('big', 300).map((i, n) => ({ ...i, service: `svc${n % 100}`, name: `i${n}`, address: `10.9.${n >> 8}.${(n & 255) + 1}` }));
  const first = buildTable({ zone: 'cluster', ttl: 7, serial: 1, instances: many, hosts, nsAddress: '127.0.0.1' });
  const next = many.map((i) => ({ ...i }));
  next[5] = { ...next[5]!, health: 'critical' };
  const warm = buildTable({ zone: 'cluster', ttl: 7, serial: 2, instances: next, hosts, nsAddress: '127.0.0.1', previous: first }) as ReturnType<typeof buildTable> & { changedNames: number };
  assert.ok(warm.changedNames > 0 && warm.changedNames <= 6, `changed names: ${warm.changedNames}`);
  const name = 'svc5.service.cluster';
  assert.equal(ask(name, A, {}, ctx({ table: first })).answer.length, 3, 'the previous table is never mutated');
  assert.equal(ask(name, A, {}, ctx({ table: warm })).answer.length, 2);
  // The serial is the table's, in SOA answers and in negative answers alike.
  assert.match(ask('cluster', TYPE.SOA, {}, ctx({ table: warm })).answer[0]!.data, / 2 3600 /);
  assert.match(ask('cluster', TYPE.SOA, {}, ctx({ table: first })).answer[0]!.data, / 1 3600 /);
  assert.match(ask('nope.service.cluster', A, {}, ctx({ table: warm })).authority[0]!.data, / 2 3600 /);
  assert.match(ask(name, TYPE.AAAA, {}, ctx({ table: warm })).authority[0]!.data, / 2 3600 /);
  const cold = buildTable({ zone: 'cluster', ttl: 7, serial: 2, instances: next, hosts, nsAddress: '127.0.0.1' });
  assert.deepEqual(describeTable(warm), describeTable(cold));
  assert.equal(warm.records, cold.records);
  assert.equal(warm.names.size, cold.names.size);
});
