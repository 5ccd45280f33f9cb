/**
 * DNS over TCP framing as an outsider can bend it — a zero length prefix, a prefix of 65,535 with 3
 * bytes behind it, a frame split byte by byte, 100 pipelined queries, a flood past the connection
 * cap — on both listeners (the dns-tcp addon and net). Real
 * sockets on loopback; the server's counters say what it did when the client cannot tell.
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { TYPE } from '../../src/dns/wire.js';
import { eventually } from '../support/wait.js';
import { closed, connect, frame, readFrames } from './tcp-client.js';
import { bothPaths } from './tcp-server.js';
import { buildQuery, decode } from './wire-helpers.js';

const redis = (id: number) => frame(buildQuery('redis.service.cluster', TYPE.A, { id }));

bothPaths('a zero length prefix gets no answer and does not desync the stream: the query behind it is answered', { timeout: 10_000 }, async (t, server) => {
  const s = await server(t);
  const c = await connect(s.address().port);
  t.after(() => c.destroy());
  const got = readFrames(c, 2);
  c.write(Buffer.concat([Buffer.from([0, 0]), redis(11), Buffer.from([0, 0]), redis(12)]));
  const answers = (await got).map(decode);
  assert.deepEqual(answers.map((a) => a.id), [11, 12]);
  assert.ok(answers.every((a) => a.answer.length === 2));
});

bothPaths('a prefix of 65,535 with 3 bytes behind it is closed at the io deadline, unanswered', { timeout: 10_000 }, async (t, server) => {
  const s = await server(t, { idleMs: 60_000, ioMs: 300 });
  const c = await connect(s.address().port);
  let got = 0;
  c.on('data', (d) => (got += d.length));
  c.on('error', () => {});
  c.write(Buffer.from([0xff, 0xff, 1, 2, 3]));
  await eventually(() => s.metrics().tcpConnections === 1, 2_000, 'the connection open');
  await closed(c);
  assert.equal(got, 0);
  await eventually(() => s.metrics().tcpConnections === 0, 2_000, 'closed on the server');
});

bothPaths('a frame split byte by byte (each its own segment) is reassembled and answered', { timeout: 10_000 }, async (t, server) => {
  const s = await server(t);
  const c = await connect(s.address().port);
  t.after(() => c.destroy());
  c.setNoDelay(true);
  const bytes = Buffer.concat([redis(21), redis(22)]);
  const got = readFrames(c, 2);
  for (let i = 0; i < bytes.length; i++) {
    c.write(bytes.subarray(i, i + 1));
    await sleep(1); // a turn of the loop: the server reads each byte on its own
  }
  assert.deepEqual((await got).map((a) => decode(a).id), [21, 22]);
});

bothPaths('100 pipelined queries in one write: 100 answers, in order, each to its query', { timeout: 10_000 }, async (t, server) => {
  const s = await server(t);
  const c = await connect(s.address().port);
  t.after(() => c.destroy());
  const names = ['redis.service.cluster', 'huge.service.cluster', 'nope.service.cluster', 'node-1.node.cluster'];
  const got = readFrames(c, 100);
  c.write(Buffer.concat(Array.from({ length: 100 }, (_, id) => frame(buildQuery(names[id % 4]!, TYPE.A, { id })))));
  const answers = (await got).map(decode);
  assert.deepEqual(answers.map((a) => a.id), Array.from({ length: 100 }, (_, id) => id));
  assert.deepEqual(answers.slice(0, 4).map((a) => [a.question[0]!.name.toLowerCase(), a.rcode, a.answer.length]), [
    ['redis.service.cluster', 0, 2],
    ['huge.service.cluster', 0, 1_000],
    ['nope.service.cluster', 3, 0],
    ['node-1.node.cluster', 0, 1],
  ]);
});

bothPaths('a flood of 60 connections past a cap of 10: the rest are closed at once, none is held, and the listener serves after', { timeout: 20_000 }, async (t, server) => {
  const s = await server(t, { maxConnections: 10, idleMs: 60_000 });
  const port = s.address().port;
  const flood = await Promise.all(Array.from({ length: 60 }, () => connect(port).catch(() => undefined)));
  t.after(() => flood.forEach((c) => c?.destroy()));
  await eventually(() => s.metrics().tcpRejected + s.metrics().tcpConnections === 60, 5_000, 'every connection accepted or refused');
  assert.equal(s.metrics().tcpConnections, 10);
  assert.equal(s.metrics().tcpRejected, 50);
  flood.forEach((c) => c?.destroy());
  await eventually(() => s.metrics().tcpConnections === 0, 5_000, 'every slot freed');
  const c = await connect(port);
  const got = readFrames(c, 1);
  c.write(redis(31));
  assert.equal(decode((await got)[0]!).id, 31);
  c.destroy();
});
