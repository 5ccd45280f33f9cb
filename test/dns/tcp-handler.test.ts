/**
 * What the TCP listeners do with the handler's answers: deferred (forwarded) ones come back out of
 * order as their promises settle (RFC 7766 §6.2.1.1), at most maxInFlight per connection wait, a
 * throwing handler costs its connection only, and a handler may close the listeners mid-query.
 * Through transport.ts's listen() with handlers of the test's own, on both listeners.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listen, type Handler } from '../../src/dns/transport.js';
import { silentLogger } from '../../src/log/index.js';
import { eventually } from '../support/wait.js';
import { closed, connect, frame, readFrames } from './tcp-client.js';
import { nativeTcpOrSkip } from './tcp-server.js';
import { buildQuery, decode } from './wire-helpers.js';

/** An answer: the query with QR set (its ID and question are what the tests check). */
const reply = (q: Buffer) => Buffer.from([...q.subarray(0, 2), q[2]! | 0x80, ...q.subarray(3)]);
const query = (id: number) => frame(buildQuery('a.example', 1, { id }));

for (const io of ['native', 'node'] as const) {
  const open = async (t: import('node:test').TestContext, handle: Handler, tcp = {}) => {
    const l = await listen({ host: '127.0.0.1', port: 0 }, handle, silentLogger, { tcp: { ...tcp, io: io === 'node' ? 'node' : 'auto' } });
    t.after(() => l.close());
    assert.equal(l.tcpIo, io);
    return l;
  };

  test(`[${io}] deferred answers go out as they settle, sync ones at once: out of order on one connection`, async (t) => {
    if (io === 'native' && !nativeTcpOrSkip(t)) return;
    // ID 1 waits 300 ms, ID 2 is answered at once, ID 3 waits 100 ms.
    const delay: Record<number, number> = { 1: 300, 3: 100 };
    const l = await open(t, (msg) => {
      const id = msg.readUInt16BE(0);
      const own = Buffer.from(msg); // the view is valid during the call only
      return delay[id] ? new Promise((r) => setTimeout(() => r(reply(own)), delay[id])) : reply(msg);
    });
    const c = await connect(l.address.port);
    t.after(() => c.destroy());
    const got = readFrames(c, 3);
    c.write(Buffer.concat([query(1), query(2), query(3)]));
    assert.deepEqual((await got).map((a) => decode(a).id), [2, 3, 1]);
  });

  test(`[${io}] a deferred answer is awaited past the sweep and the idle deadline, whenever its query came`, async (t) => {
    if (io === 'native' && !nativeTcpOrSkip(t)) return;
    const l = await open(t, (msg) => {
      const own = Buffer.from(msg);
      return new Promise((r) => setTimeout(() => r(reply(own)), 500));
    }, { idleMs: 300, ioMs: 300 });
    // One asks at once (its query read with the accept), one after 200 ms of the idle deadline.
    const early = await connect(l.address.port);
    const late = await connect(l.address.port);
    t.after(() => (early.destroy(), late.destroy()));
    const got = [readFrames(early, 1), readFrames(late, 1)];
    early.write(query(41));
    await new Promise((r) => setTimeout(r, 200));
    late.write(query(42));
    assert.deepEqual((await Promise.all(got)).map(([a]) => decode(a!).id), [41, 42]);
  });

  test(`[${io}] at most maxInFlight deferred queries per connection; the rest wait unread, then all are answered`, async (t) => {
    if (io === 'native' && !nativeTcpOrSkip(t)) return;
    const waiting: (() => void)[] = [];
    let most = 0;
    const l = await open(
      t,
      (msg) => {
        const own = Buffer.from(msg);
        return new Promise<Buffer>((r) => {
          waiting.push(() => r(reply(own)));
          most = Math.max(most, waiting.length);
        });
      },
      { maxInFlight: 2 },
    );
    const c = await connect(l.address.port);
    t.after(() => c.destroy());
    const got = readFrames(c, 6);
    c.write(Buffer.concat([1, 2, 3, 4, 5, 6].map(query)));
    await eventually(() => waiting.length === 2, 2_000, 'two queries in flight');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(waiting.length, 2, 'no third query while two wait');
    // Settle them one at a time, newest first: each frees a slot for the next query.
    const release = setInterval(() => waiting.pop()?.(), 20);
    t.after(() => clearInterval(release));
    const ids = (await got).map((a) => decode(a).id);
    assert.deepEqual([...ids].sort(), [1, 2, 3, 4, 5, 6]);
    assert.equal(most, 2);
  });

  test(`[${io}] a handler that throws closes its connection only; a deferred null answers nothing and frees the slot`, async (t) => {
    if (io === 'native' && !nativeTcpOrSkip(t)) return;
    const l = await open(
      t,
      (msg) => {
        const id = msg.readUInt16BE(0);
        if (id === 66) throw new Error('boom');
        if (id === 0) return Promise.resolve(null);
        return reply(msg);
      },
      { maxInFlight: 1 },
    );
    const bad = await connect(l.address.port);
    bad.on('error', () => {});
    bad.write(query(66));
    await closed(bad);
    const c = await connect(l.address.port);
    t.after(() => c.destroy());
    const got = readFrames(c, 1);
    // Two null answers in turn (in-flight cap 1): the query after them is still answered.
    c.write(Buffer.concat([query(0), query(0), query(7)]));
    assert.deepEqual((await got).map((a) => decode(a).id), [7]);
  });

  test(`[${io}] a handler may close the listeners while queries of many connections are being read`, async (t) => {
    if (io === 'native' && !nativeTcpOrSkip(t)) return;
    let calls = 0;
    const l = await open(t, (msg) => {
      if (++calls === 5) void l.close();
      return reply(msg);
    });
    const clients = await Promise.all(Array.from({ length: 20 }, () => connect(l.address.port)));
    // Flowing, so each sees the server's FIN (or reset) and closes.
    clients.forEach((c) => (c.on('error', () => {}), c.resume(), c.write(Buffer.concat([query(1), query(2)]))));
    await Promise.all(clients.map(closed));
    assert.ok(calls >= 5);
    assert.equal(l.tcpStats().connections, 0);
  });
}
