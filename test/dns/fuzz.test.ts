/**
 * Fuzzing: seeded random and mutated packets (reproducible: the seed is printed on failure) through
 * the answerer directly and through the live server, which must keep answering and log no error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { Socket } from 'node:net';
import { pino } from 'pino';
import { answer, type AnswerContext } from '../../src/dns/answer.js';
import { startDnsServer, type DnsServer } from '../../src/dns/index.js';
import { DnsMetrics } from '../../src/dns/metrics.js';
import { buildTable } from '../../src/dns/table.js';
import { TYPE, wireKey } from '../../src/dns/wire.js';
import { manyInstances, sampleCluster, staticCatalog } from './fixtures.js';
import { buildQuery, decode, tcpAsk, udpAsk } from './wire-helpers.js';
import { auditPointers, viewOf } from './oracle.js';
import { seededRng } from '../../src/scheduler/placement/rng.js';
import { loadNative } from '../../src/native/index.js';

const SEED = Number(process.env.DNS_FUZZ_SEED ?? 0x5eed);
const COUNT = 100_000;

// The scheduler's seeded PRNG (mulberry32) makes fuzz runs reproducible too.
const rng = seededRng;

const SEEDS = [
  buildQuery('redis.service.cluster', TYPE.A),
  buildQuery('_redis._tcp.service.cluster', TYPE.SRV, { edns: 4096 }),
  buildQuery('big.service.cluster', TYPE.A, { edns: 1232 }),
  buildQuery('nope.service.cluster', TYPE.AAAA),
  buildQuery('example.com', TYPE.A),
  buildQuery('cluster', TYPE.ANY, { edns: 600 }),
];

function* packets(seed: number, count: number): Generator<Buffer> {
  const r = rng(seed);
  const int = (n: number) => Math.floor(r() * n);
  for (let i = 0; i < count; i++) {
    const kind = i % 4;
    if (kind === 0) {
      // Pure garbage of any length, oversize included.
      const buf = Buffer.alloc(int(r() < 0.01 ? 70_000 : 600));
      for (let j = 0; j < buf.length; j++) buf[j] = int(256);
      yield buf;
      continue;
    }
    const buf = Buffer.from(SEEDS[int(SEEDS.length)]!);
    if (kind === 1) {
      // Flip a few bytes anywhere (counts, flags, label lengths, OPT fields).
      for (let n = 1 + int(4); n > 0; n--) buf[int(buf.length)] = int(256);
      yield buf;
    } else if (kind === 2) {
      // Truncate, or append junk records and wrong counts.
      if (r() < 0.5) yield buf.subarray(0, int(buf.length));
      else {
        const junk = Buffer.alloc(int(64));
        for (let j = 0; j < junk.length; j++) junk[j] = int(256);
        const out = Buffer.concat([buf, junk]);
        out.writeUInt16BE(int(4), 10);
        yield out;
      }
    } else {
      // Label pointers: into the header, forward, self-loops, in the question and in the additional section.
      const out = Buffer.concat([buf, Buffer.from([0xc0 | int(64), int(256), 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0])]);
      out[12 + int(8)] = 0xc0 | int(4);
      out.writeUInt16BE(1 + int(2), 10);
      yield out;
    }
  }
}

let server: DnsServer;
const logged: { level: number; msg: string }[] = [];

before(async () => {
  const { instances, hosts } = sampleCluster();
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  server = await startDnsServer({ catalog: staticCatalog([...instances, ...manyInstances('big', 300)], hosts), addr: { host: '127.0.0.1', port: 0 }, logger });
  await server.synced();
});
after(() => server.stop());

test(`answerer: ${COUNT} fuzzed packets never throw; every response is well-formed (seed ${SEED})`, () => {
  const { instances, hosts } = sampleCluster();
  const table = buildTable({ zone: 'cluster', ttl: 5, serial: 1, instances: [...instances, ...manyInstances('big', 300)], hosts, nsAddress: '127.0.0.1' });
  const ctx: AnswerContext = { table, zoneKey: wireKey('cluster'), forwarding: false, metrics: new DnsMetrics() };
  let i = 0;
  let answered = 0;
  for (const pkt of packets(SEED, COUNT)) {
    const udp = i++ % 2 === 0;
    const res = answer(ctx, pkt, udp);
    if (res === null) continue;
    answered++;
    const d = decode(res);
    assert.equal(d.id, pkt.readUInt16BE(0), `packet ${i}`);
    assert.ok(d.qr);
    if (udp) assert.ok(res.length <= Math.min(1232, Math.max(512, ednsSizeOf(pkt))), `packet ${i}: ${res.length} bytes`);
    // Differential: dns2 (an independent decoder) reads the same bytes to the same header and records,
    // and every compression pointer points back at a label written before it.
    auditPointers(res);
    const v = viewOf(res);
    assert.deepEqual(
      [v.id, v.qr, v.aa, v.tc, v.rcode & 15, v.question.length, v.answer.length, v.authority.length],
      [d.id, d.qr, d.aa, d.tc, d.rcode, d.question.length, d.answer.length, d.authority.length],
      `packet ${i}`,
    );
    if (v.opt) assert.equal(v.opt.udp, 1232, `packet ${i}`);
  }
  assert.ok(answered > COUNT / 4, `${answered} answered`);
  const m = ctx.metrics.snapshot();
  assert.ok(m.responses.FORMERR! > 1000 && m.dropped > 1000);
});

test(`live server: ${COUNT} fuzzed UDP packets and garbage TCP frames, then normal queries still answer`, async () => {
  // The default UDP path: native whenever the addon is built (always under MAESTRO_REQUIRE_NATIVE=1).
  assert.equal(server.udpIo, loadNative('udp-batch') ? 'native' : 'node');
  const sock = createSocket('udp4');
  sock.on('message', () => {});
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = server.address().port;
  let n = 0;
  for (const pkt of packets(SEED + 1, COUNT)) {
    if (pkt.length > 65_000) continue; // cannot be sent as one datagram
    sock.send(pkt, port, '127.0.0.1');
    if (++n % 500 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  const conn = new Socket();
  await new Promise<void>((r) => conn.connect(port, '127.0.0.1', r));
  for (const pkt of packets(SEED + 2, 2_000)) {
    const frame = Buffer.alloc(2 + Math.min(pkt.length, 65_535));
    frame.writeUInt16BE(frame.length - 2);
    pkt.copy(frame, 2);
    conn.write(frame);
  }
  conn.write(Buffer.from([0xff, 0xff, 1, 2, 3])); // a frame that never completes
  await new Promise((r) => setTimeout(r, 200));
  sock.close();
  conn.destroy();

  const a = decode(await udpAsk(port, buildQuery('redis.service.cluster', TYPE.A, { id: 777 })));
  assert.equal(a.id, 777);
  assert.deepEqual(a.answer.map((x) => x.data).sort(), ['10.0.0.1', '10.0.0.2']);
  const t = decode(await tcpAsk(port, buildQuery('big.service.cluster', TYPE.A)));
  assert.equal(t.answer.length, 300);
  assert.deepEqual(logged.filter((l) => l.level >= 50), []);
  const m = server.metrics();
  assert.ok(m.responses.FORMERR! > 1000, JSON.stringify(m.responses));
});

function ednsSizeOf(pkt: Buffer): number {
  // Upper bound: any OPT size anywhere in the packet could have been honoured.
  let max = 0;
  for (let i = 0; i + 4 < pkt.length; i++) if (pkt[i] === 0 && pkt[i + 1] === 41) max = Math.max(max, pkt.readUInt16BE(i + 2));
  return max;
}
