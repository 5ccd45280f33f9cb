/**
 * DNS over TCP as clients without pooling use it — one query per connection, then a half-close — and
 * what an outsider can do to the paths that make that cheap (the dns-tcp addon, and tcp.ts on net: the
 * server closes at once when all its answers are in the kernel; deadlines are ticks of one sweep timer
 * per listener), on both listeners. Real sockets on loopback; the server's counters say what it did when the client cannot tell.
 */
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { TYPE } from '../../src/dns/wire.js';
import { eventually } from '../support/wait.js';
import { bothPaths } from './tcp-server.js';
import { buildQuery, decode } from './wire-helpers.js';

const frame = (q: Buffer) => Buffer.concat([Buffer.from([q.length >> 8, q.length & 255]), q]);

interface Exchange {
  /** Every byte the server sent, in order. */
  bytes: Buffer;
  /** How the server ended the connection: 'fin' (graceful) or the error's code (a reset). */
  ending: string;
}

/** Connects, writes `send`, half-closes when `halfClose`, and collects until the server ends it. */
function exchange(port: number, send: Buffer, halfClose = true, readAfterMs = 0): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const c = new Socket();
    const chunks: Buffer[] = [];
    let ending = 'close';
    c.on('data', (d) => chunks.push(d));
    c.on('end', () => (ending = 'fin'));
    c.on('error', (err: NodeJS.ErrnoException) => (ending = err.code ?? 'error'));
    c.on('close', () => resolve({ bytes: Buffer.concat(chunks), ending }));
    c.connect(port, '127.0.0.1', () => {
      if (readAfterMs > 0) {
        c.pause();
        setTimeout(() => c.resume(), readAfterMs);
      }
      if (halfClose) c.end(send);
      else c.write(send);
    });
    c.setTimeout(10_000, () => {
      c.destroy();
      reject(new Error('nothing from the server for 10 s, and no end'));
    });
  });
}

function frames(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at + 2 <= bytes.length; ) {
    const len = bytes.readUInt16BE(at);
    assert.ok(at + 2 + len <= bytes.length, `a frame of ${len} bytes cut at ${bytes.length - at - 2}`);
    out.push(bytes.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return out;
}

bothPaths('one query per connection, then a half-close: each client gets its answer, then a FIN (not a reset)', { timeout: 30_000 }, async (t, server) => {
  const s = await server(t);
  const port = s.address().port;
  const ends: string[] = [];
  // 20 in flight at a time, 300 in all: connections churn through the accept and close path.
  for (let batch = 0; batch < 15; batch++) {
    const got = await Promise.all(
      Array.from({ length: 20 }, (_, i) => exchange(port, frame(buildQuery('redis.service.cluster', TYPE.A, { id: batch * 20 + i })))),
    );
    got.forEach((g, i) => {
      const [answer, ...more] = frames(g.bytes);
      assert.equal(more.length, 0);
      const d = decode(answer!);
      assert.equal(d.id, batch * 20 + i);
      assert.equal(d.answer.length, 2);
      ends.push(g.ending);
    });
  }
  assert.equal(ends.length, 300);
  assert.deepEqual([...new Set(ends)], ['fin']);
  await eventually(() => s.metrics().tcpConnections === 0, 5_000, 'every connection closed on the server');
});

bothPaths('a half-closed client that reads late still gets every answer, also those still queued when its FIN is read', { timeout: 30_000 }, async (t, server) => {
  // A queue bound above what 200 answers take: the server answers them all while the client reads
  // nothing, so ~13 MB wait, most beyond the kernel's buffers, when it reads the FIN. Closing then
  // instead of ending would lose them.
  const s = await server(t, { maxQueuedBytes: 64 * 1024 * 1024 });
  const n = 200;
  const queries = Buffer.concat(Array.from({ length: n }, (_, id) => frame(buildQuery('huge.service.cluster', TYPE.SRV, { id }))));
  const got = await exchange(s.address().port, queries, true, 500);
  const answers = frames(got.bytes);
  assert.deepEqual(answers.map((a) => a.readUInt16BE(0)), Array.from({ length: n }, (_, id) => id));
  assert.ok(answers[n - 1]!.length > 60_000, `${answers[n - 1]!.length} bytes`);
  assert.ok(decode(answers[n - 1]!).answer.length > 500);
  assert.equal(got.ending, 'fin');
});

bothPaths('a client that half-closes in the middle of a frame is closed (by the io deadline at the latest), without an answer', { timeout: 10_000 }, async (t, server) => {
  const s = await server(t, { idleMs: 60_000, ioMs: 300 });
  const q = frame(buildQuery('redis.service.cluster', TYPE.A));
  const got = await exchange(s.address().port, q.subarray(0, q.length - 3));
  assert.equal(got.bytes.length, 0);
  await eventually(() => s.metrics().tcpConnections === 0, 5_000, 'closed on the server');
});

bothPaths('a frame announcing 65,535 bytes that never come is closed at the io deadline; one that comes whole does not desync the stream', { timeout: 20_000 }, async (t, server) => {
  const s = await server(t, { idleMs: 60_000, ioMs: 300 });
  const port = s.address().port;
  const short = await exchange(port, Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(100)]), false);
  assert.equal(short.bytes.length, 0);
  // 65,535 zero bytes: a header with no question (FORMERR, or dropped), then a real query.
  const garbage = Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(65_535)]);
  const whole = await exchange(port, Buffer.concat([garbage, frame(buildQuery('redis.service.cluster', TYPE.A, { id: 77 }))]));
  const answers = frames(whole.bytes).map(decode);
  assert.ok(answers.length >= 1, 'an answer');
  assert.equal(answers.at(-1)!.id, 77);
  assert.equal(answers.at(-1)!.answer.length, 2);
  assert.equal(whole.ending, 'fin');
});

bothPaths('50 clients trickling queries at once are all closed by the sweep before their queries complete', { timeout: 20_000 }, async (t, server) => {
  const s = await server(t, { idleMs: 60_000, ioMs: 300 });
  const port = s.address().port;
  const query = frame(buildQuery('redis.service.cluster', TYPE.A));
  const clients = Array.from({ length: 50 }, () => {
    const c = new Socket();
    const state = { sent: 0, closed: false };
    // One byte every 25 ms: the whole query would take over a second.
    const trickle = setInterval(() => state.sent < query.length && !c.destroyed && c.write(query.subarray(state.sent, ++state.sent)), 25);
    c.on('error', () => {});
    c.on('close', () => {
      clearInterval(trickle);
      state.closed = true;
    });
    c.connect(port, '127.0.0.1');
    return { c, state, trickle };
  });
  t.after(() => clients.forEach(({ c, trickle }) => (clearInterval(trickle), c.destroy())));
  await eventually(() => clients.every((x) => x.state.closed), 5_000, 'the server closed all 50');
  for (const { state } of clients) assert.ok(state.sent < query.length, `closed after ${state.sent} of ${query.length} bytes`);
  await eventually(() => s.metrics().tcpConnections === 0, 5_000, 'closed on the server');
  assert.equal(s.metrics().responses.NOERROR ?? 0, 0, 'no trickled query was answered');
});

bothPaths('a client that half-closes after its queries and never reads is closed at the io deadline', { timeout: 20_000 }, async (t, server) => {
  const s = await server(t, { idleMs: 60_000, ioMs: 300 });
  const c = new Socket();
  t.after(() => c.destroy());
  c.on('error', () => {});
  await new Promise<void>((resolve) => c.connect(s.address().port, '127.0.0.1', resolve));
  c.pause();
  // 200 answers of ~64 KiB: more than the server queues plus what the kernel buffers hold.
  c.end(Buffer.concat(Array.from({ length: 200 }, (_, id) => frame(buildQuery('huge.service.cluster', TYPE.SRV, { id })))));
  await eventually(() => (s.metrics().responses.NOERROR ?? 0) > 0, 5_000, 'first answers');
  await eventually(() => s.metrics().tcpConnections === 0, 5_000, 'the unread, half-closed connection closed');
});
