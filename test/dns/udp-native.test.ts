/**
 * The native UDP path (udp-batch addon: recvmmsg → one JS call per batch → sendmmsg) with real
 * clients on loopback: load with full batches, forwarded (deferred) answers, close under load,
 * oversize datagrams, throwing handlers, IPv6. Under MAESTRO_REQUIRE_NATIVE=1 (CI) a missing addon
 * fails these tests instead of skipping them.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { pino } from 'pino';
import { startDnsServer, type DnsServer } from '../../src/dns/index.js';
import { listen } from '../../src/dns/transport.js';
import { TYPE } from '../../src/dns/wire.js';
import { silentLogger } from '../../src/log/index.js';
import { loadNative } from '../../src/native/index.js';
import { inst, sampleCluster, staticCatalog } from './fixtures.js';
import { askMany } from './udp-load.js';
import { buildQuery, decode, udpAsk } from './wire-helpers.js';
import { eventually } from '../support/wait.js';

/** Throws (a failure, not a skip) when the addon is missing under MAESTRO_REQUIRE_NATIVE=1. */
function nativeOrSkip(t: TestContext): boolean {
  if (loadNative('udp-batch') !== undefined) return true;
  t.skip('udp-batch addon not built (node scripts/build-native.mjs)');
  return false;
}

async function server(t: TestContext, extra: Partial<Parameters<typeof startDnsServer>[0]> = {}): Promise<DnsServer> {
  const { instances, hosts } = sampleCluster();
  const s = await startDnsServer({ catalog: staticCatalog(instances, hosts), addr: { host: '127.0.0.1', port: 0 }, ...extra });
  t.after(() => s.stop());
  await s.synced();
  return s;
}

const echo = (msg: Buffer): Buffer => {
  const res = Buffer.from(msg);
  res[2] = res[2]! | 0x80;
  return res;
};

test('the native path serves by default and answers', async (t) => {
  if (!nativeOrSkip(t)) return;
  const s = await server(t);
  assert.equal(s.udpIo, 'native');
  const a = decode(await udpAsk(s.address().port, buildQuery('redis.service.cluster', TYPE.A, { id: 4242 })));
  assert.equal(a.id, 4242);
  assert.deepEqual(a.answer.map((r) => r.data).sort(), ['10.0.0.1', '10.0.0.2']);
});

test('2,400 concurrent queries from 8 sockets: every one answered with its ID and its answer', async (t) => {
  if (!nativeOrSkip(t)) return;
  const s = await server(t);
  const kinds = [
    { name: 'redis.service.cluster', type: TYPE.A, rcode: 0, data: ['10.0.0.1', '10.0.0.2'] },
    { name: 'Node-1.node.CLUSTER', type: TYPE.A, rcode: 0, data: ['192.168.0.1'] },
    { name: 'nope.service.cluster', type: TYPE.A, rcode: 3, data: [] },
    { name: 'web.service.cluster', type: TYPE.AAAA, rcode: 0, data: ['fd00:0:0:0:0:0:0:10'] },
    { name: '_redis._tcp.service.cluster', type: TYPE.SRV, rcode: 0, data: ['1 1 6379 redis-0.redis.service.cluster', '1 1 6380 redis-1.redis.service.cluster'] },
  ];
  const queries = Array.from({ length: 2_400 }, (_, i) => buildQuery(kinds[i % 5]!.name, kinds[i % 5]!.type, { id: i + 1 }));
  const { responses, receivedOn, sentFrom } = await askMany(s.address().port, queries, { sockets: 8, window: 40 });
  for (let i = 0; i < queries.length; i++) {
    const k = kinds[i % 5]!;
    const d = decode(responses[i]!);
    assert.equal(d.id, i + 1);
    assert.equal(receivedOn[i], sentFrom[i], `reply ${i} went to the socket that asked`);
    assert.equal(d.question[0]!.name, k.name);
    assert.equal(d.rcode, k.rcode, k.name);
    assert.deepEqual(d.answer.map((r) => r.data).sort(), k.data, k.name);
  }
});

test('batches fill: a burst is read many datagrams per recvmmsg, replies reach the right sockets', async (t) => {
  if (!nativeOrSkip(t)) return;
  const l = await listen({ host: '127.0.0.1', port: 0 }, echo, silentLogger);
  t.after(() => l.close());
  assert.equal(l.udpIo, 'native');
  // Sent in one synchronous burst from 4 sockets: the server (same process) reads them together.
  const queries = Array.from({ length: 200 }, (_, i) => buildQuery('redis.service.cluster', TYPE.A, { id: 7_000 + i }));
  const { responses, receivedOn, sentFrom } = await askMany(l.address.port, queries, { sockets: 4, window: 50 });
  responses.forEach((r, i) => {
    assert.equal(r.readUInt16BE(0), 7_000 + i);
    assert.equal(receivedOn[i], sentFrom[i]);
  });
  const st = l.udpStats();
  assert.ok(st.datagrams >= 200, JSON.stringify(st));
  assert.ok(st.datagrams / st.batches >= 8, `${st.datagrams} datagrams in ${st.batches} reads`);
});

test('forwarded answers (deferred replies) arrive beside in-zone answers of the same batch', async (t) => {
  if (!nativeOrSkip(t)) return;
  const upstream = await startDnsServer({
    catalog: staticCatalog([inst({ service: 'web', name: 'web-0', address: '10.7.0.1' })], []),
    zone: 'upstream.test',
    addr: { host: '127.0.0.1', port: 0 },
  });
  t.after(() => upstream.stop());
  await upstream.synced();
  const s = await server(t, { forward: [upstream.address()], forwardTimeoutMs: 2_000 });
  const queries = Array.from({ length: 120 }, (_, i) =>
    buildQuery(i % 2 ? 'web.service.upstream.test' : 'redis.service.cluster', TYPE.A, { id: 100 + i }),
  );
  const { responses, receivedOn, sentFrom } = await askMany(s.address().port, queries, { sockets: 3, window: 40 });
  responses.forEach((r, i) => {
    const d = decode(r);
    assert.equal(d.id, 100 + i);
    assert.equal(receivedOn[i], sentFrom[i]);
    assert.deepEqual(d.answer.map((x) => x.data).sort(), i % 2 ? ['10.7.0.1'] : ['10.0.0.1', '10.0.0.2']);
  });
  assert.ok(s.metrics().forwarded >= 60);
});

test('stop() while queries and forwards are in flight: no crash, no hang, the port is free', async (t) => {
  if (!nativeOrSkip(t)) return;
  const silent = createSocket('udp4'); // an upstream that never answers
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
  t.after(() => silent.close());
  const { instances, hosts } = sampleCluster();
  const s = await startDnsServer({
    catalog: staticCatalog(instances, hosts),
    addr: { host: '127.0.0.1', port: 0 },
    forward: [{ host: '127.0.0.1', port: silent.address().port }],
    forwardTimeoutMs: 150,
  });
  await s.synced();
  const port = s.address().port;
  const client = createSocket('udp4');
  let answers = 0;
  client.on('message', () => answers++);
  await new Promise<void>((r) => client.bind(0, '127.0.0.1', r));
  let flooding = true;
  let id = 0;
  const flood = () => {
    if (!flooding) return;
    for (let i = 0; i < 50; i++) client.send(buildQuery(i % 5 ? 'redis.service.cluster' : 'example.com', TYPE.A, { id: id++ & 0xffff }), port, '127.0.0.1');
    setImmediate(flood);
  };
  flood();
  // Stop while serving: once the server has demonstrably answered, with forwards in flight.
  await eventually(() => answers > 100, 10_000, 'answers before stop');
  await Promise.race([s.stop(), new Promise((_, reject) => setTimeout(() => reject(new Error('stop() hung')), 3_000))]);
  // Let the client read the replies sent before stop() (the flood goes on meanwhile): until the
  // count holds still for a while.
  let seen = -1;
  await eventually(async () => {
    const before = answers;
    await new Promise((r) => setTimeout(r, 100));
    const still = answers === before && before === seen;
    seen = answers;
    return still;
  }, 10_000, 'the answers sent before stop() to be read');
  const afterStop = answers;
  // The forwards pending at stop() time out now and answer SERVFAIL into a closed socket.
  await new Promise((r) => setTimeout(r, 400));
  flooding = false;
  client.close();
  assert.ok(afterStop > 100, `${afterStop} answers before stop`);
  assert.equal(answers, afterStop, 'nothing is answered after stop()');
  // Both sockets released: the same port binds again for UDP and TCP.
  const udp = createSocket('udp4');
  await new Promise<void>((resolve, reject) => (udp.once('error', reject), udp.bind(port, '127.0.0.1', resolve)));
  udp.close();
  const tcp = createServer();
  await new Promise<void>((resolve, reject) => (tcp.once('error', reject), tcp.listen(port, '127.0.0.1', resolve)));
  await new Promise((r) => tcp.close(r));
});

test('oversize and truncated datagrams are dropped unread; the next query is answered', async (t) => {
  if (!nativeOrSkip(t)) return;
  const s = await server(t);
  const port = s.address().port;
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const q = buildQuery('redis.service.cluster', TYPE.A, { id: 99 });
  const big = Buffer.concat([q, Buffer.alloc(60_000, 0x41)]);
  const justOver = Buffer.concat([q, Buffer.alloc(4_097 - q.length, 0)]);
  for (const pkt of [big, justOver, q.subarray(0, 5), q.subarray(0, 20)]) sock.send(pkt, port, '127.0.0.1');
  await eventually(() => s.metrics().dropped >= 3, 10_000, 'the bad datagrams to be dropped');
  sock.close();
  const a = decode(await udpAsk(port, buildQuery('redis.service.cluster', TYPE.A, { id: 100 })));
  assert.equal(a.id, 100);
  assert.equal(a.answer.length, 2);
  const m = s.metrics();
  assert.ok(m.dropped >= 3, `dropped ${m.dropped}`); // two oversize, one shorter than a header
  assert.equal(m.sendDropped, 0);
});

test('a throwing handler costs only its own message; close() inside a batch is safe', async (t) => {
  if (!nativeOrSkip(t)) return;
  const errors: unknown[] = [];
  const log = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line)) });
  let calls = 0;
  const l = await listen({ host: '127.0.0.1', port: 0 }, (msg) => {
    calls++;
    if (msg.readUInt16BE(0) % 3 === 0) throw new Error('handler bug');
    return echo(msg);
  }, log);
  const queries = Array.from({ length: 90 }, (_, i) => buildQuery('x.cluster', TYPE.A, { id: 1 + i }));
  const answerable = queries.filter((q) => q.readUInt16BE(0) % 3 !== 0);
  const { responses } = await askMany(l.address.port, answerable, { sockets: 3, window: 30 });
  assert.equal(responses.length, answerable.length);
  assert.ok(errors.length === 0, 'answerable queries never hit the throwing branch');
  const bad = await askMany(l.address.port, [buildQuery('x.cluster', TYPE.A, { id: 3 })], { timeoutMs: 300 }).catch((e: Error) => e);
  assert.ok(bad instanceof Error, 'a throwing message gets no reply');
  assert.ok(errors.length >= 1);
  await l.close();
  await l.close();

  // close() from inside the batch callback: the rest of the batch goes unanswered, nothing crashes,
  // and no callback fires afterwards.
  const before = calls;
  const l2 = await listen({ host: '127.0.0.1', port: 0 }, (msg) => {
    calls++;
    void l2Close();
    return echo(msg);
  }, silentLogger);
  const l2Close = () => l2.close();
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  for (let i = 0; i < 20; i++) sock.send(buildQuery('x.cluster', TYPE.A, { id: i }), l2.address.port, '127.0.0.1');
  await eventually(() => calls > before, 10_000, 'the first batch');
  await new Promise((r) => setTimeout(r, 100)); // a window in which a second batch would show
  const after = calls;
  for (let i = 0; i < 20; i++) sock.send(buildQuery('x.cluster', TYPE.A, { id: i }), l2.address.port, '127.0.0.1');
  await new Promise((r) => setTimeout(r, 100));
  sock.close();
  assert.equal(calls, after, 'no batch after close()');
});

test('IPv6: bound on ::1, answers a udp6 client', async (t) => {
  if (!nativeOrSkip(t)) return;
  const l = await listen({ host: '::1', port: 0 }, echo, silentLogger);
  t.after(() => l.close());
  assert.equal(l.udpIo, 'native');
  const queries = Array.from({ length: 100 }, (_, i) => buildQuery('x.cluster', TYPE.A, { id: 500 + i }));
  const { responses } = await askMany(l.address.port, queries, { host: '::1', sockets: 2, window: 20 });
  responses.forEach((r, i) => assert.equal(r.readUInt16BE(0), 500 + i));
});
