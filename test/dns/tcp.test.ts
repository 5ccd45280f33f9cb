/**
 * DNS over TCP against what an outsider can hold: a client that pipelines and never reads, more
 * connections than the cap, idle connections, trickled queries — on both listeners (the dns-tcp addon
 * and net). Real sockets on loopback; the server's own counters say what it did, since a client that
 * does not read cannot tell.
 */
import assert from 'node:assert/strict';
import { DEFAULT_TCP_LIMITS, type DnsServer } from '../../src/dns/index.js';
import { TYPE } from '../../src/dns/wire.js';
import { eventually } from '../support/wait.js';
import { closed, connect, frame, readFrames } from './tcp-client.js';
import { bothPaths } from './tcp-server.js';
import { buildQuery, decode } from './wire-helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const answered = (s: DnsServer) => s.metrics().responses.NOERROR ?? 0;

/** Waits until `read()` has stopped changing for half a second (the server has done what it will do). */
async function steady(read: () => number): Promise<number> {
  let last = -1;
  for (let same = 0; same < 10; await sleep(50)) {
    const v = read();
    same = v === last ? same + 1 : 0;
    last = v;
  }
  return last;
}

bothPaths('a client that pipelines and never reads gets only what the socket bound holds; reading again, it gets every answer', { timeout: 30_000 }, async (t, server) => {
  const s = await server(t);
  const c = await connect(s.address().port);
  c.pause();
  const before = answered(s);
  const n = 2_000;
  // 2,000 queries of 40 bytes ask for ~64 KiB each: 128 MB if all were answered at once.
  c.write(Buffer.concat(Array.from({ length: n }, (_, i) => frame(buildQuery('huge.service.cluster', TYPE.SRV, { id: i })))));
  const held = (await steady(() => answered(s))) - before;
  t.diagnostic(`${held} of ${n} answered while the client read nothing`);
  // Kernel buffers on loopback take a few MB of answers; the server itself stops at 64 KiB queued.
  assert.ok(held > 0 && held < 200, `${held} of ${n} answered while the client read nothing`);

  const frames = await readFrames(c, n);
  c.destroy();
  assert.deepEqual(frames.map((f) => f.readUInt16BE(0)), Array.from({ length: n }, (_, i) => i), 'every answer, in order');
  const last = decode(frames[n - 1]!);
  assert.ok(last.answer.length > 500 && frames[n - 1]!.length > 60_000, `${frames[n - 1]!.length} bytes`);
});

bothPaths('at most 100 connections by default (NSD tcp-count); the one over is closed at once, and a slot frees on close', { timeout: 20_000 }, async (t, server) => {
  const s = await server(t);
  const port = s.address().port;
  const conns = await Promise.all(Array.from({ length: 100 }, () => connect(port)));
  t.after(() => conns.forEach((c) => c.destroy()));
  // Each one answers: all 100 were accepted and are open.
  const ids = await Promise.all(
    conns.map((c, i) => {
      const one = readFrames(c, 1);
      c.write(frame(buildQuery('redis.service.cluster', TYPE.A, { id: i })));
      return one.then((f) => decode(f[0]!).id);
    }),
  );
  assert.deepEqual(ids, Array.from({ length: 100 }, (_, i) => i));
  const over = await connect(port);
  over.write(frame(buildQuery('redis.service.cluster', TYPE.A)));
  let got = 0;
  over.on('data', (d) => (got += d.length));
  over.on('error', () => {});
  await closed(over);
  assert.equal(got, 0, 'no answer past the cap');
  assert.equal(s.metrics().tcpRejected, 1);
  assert.equal(s.metrics().tcpConnections, 100);
  conns[0]!.destroy();
  await eventually(() => s.metrics().tcpConnections === 99, 5_000, 'a slot freed');
  const next = await connect(port);
  const answer = readFrames(next, 1);
  next.write(frame(buildQuery('redis.service.cluster', TYPE.A, { id: 10 })));
  assert.equal(decode((await answer)[0]!).id, 10);
  next.destroy();
  assert.equal(DEFAULT_TCP_LIMITS.maxConnections, 100);
});

bothPaths('a connection with nothing in flight closes after the idle timeout, whether it asked or not', { timeout: 5_000 }, async (t, server) => {
  const s = await server(t, { idleMs: 300 });
  const silent = await connect(s.address().port);
  const asker = await connect(s.address().port);
  const answer = readFrames(asker, 1);
  asker.write(frame(buildQuery('redis.service.cluster', TYPE.A, { id: 5 })));
  assert.equal(decode((await answer)[0]!).id, 5);
  await Promise.all([closed(silent), closed(asker)]);
  await eventually(() => s.metrics().tcpConnections === 0, 2_000, 'no connection left');
});

bothPaths('a query trickled byte by byte is cut at the io deadline, however steadily the bytes come', { timeout: 5_000 }, async (t, server) => {
  const s = await server(t, { idleMs: 60_000, ioMs: 300 });
  const c = await connect(s.address().port);
  c.on('error', () => {});
  const query = frame(buildQuery('redis.service.cluster', TYPE.A));
  let i = 0;
  // One byte every 20 ms: the whole query would take ~1 s, each byte well inside any idle timeout.
  const trickle = setInterval(() => i < query.length && !c.destroyed && c.write(query.subarray(i, ++i)), 20);
  t.after(() => clearInterval(trickle));
  await closed(c);
  assert.ok(i < query.length, `closed after ${i} of ${query.length} bytes`);
});

bothPaths('a client that stops reading is closed at the io deadline, not held until idle', { timeout: 5_000 }, async (t, server) => {
  const s = await server(t, { idleMs: 60_000, ioMs: 300 });
  const c = await connect(s.address().port);
  c.pause();
  c.on('error', () => {});
  c.write(Buffer.concat(Array.from({ length: 500 }, (_, i) => frame(buildQuery('huge.service.cluster', TYPE.SRV, { id: i })))));
  await eventually(() => answered(s) > 0, 2_000, 'first answers');
  await eventually(() => s.metrics().tcpConnections === 0, 3_000, 'the stalled connection closed');
  c.destroy();
});

bothPaths('a client that half-closes after its queries gets every answer, then the server closes', { timeout: 5_000 }, async (t, server) => {
  const s = await server(t);
  const c = await connect(s.address().port);
  const frames = readFrames(c, 3);
  c.end(Buffer.concat([1, 2, 3].map((id) => frame(buildQuery('redis.service.cluster', TYPE.A, { id })))));
  assert.deepEqual((await frames).map((f) => decode(f).id), [1, 2, 3]);
  await closed(c);
});
