/**
 * The connection cap under churn: clients that close a connection and open the next at once hold
 * at most one slot each, so as many clients as the cap are never refused — not when they run on the
 * server's own loop, and not from another thread, where a client's FIN and its next connection can
 * both arrive while the server is busy with a batch of events (it must see the FIN before it refuses
 * the connection).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { TYPE } from '../../src/dns/wire.js';
import { connect, frame, readFrames } from './tcp-client.js';
import { bothPaths, nativeTcpOrSkip, tcpTestServer } from './tcp-server.js';
import { buildQuery, decode } from './wire-helpers.js';

const redis = (id: number) => frame(buildQuery('redis.service.cluster', TYPE.A, { id }));

/** `clients` loops in a worker thread, `each` connections apiece: connect, ask, read the answer, close. */
const CHURN = `
const { connect } = require('node:net');
const { workerData: { port, clients, each, query }, parentPort } = require('node:worker_threads');
const q = Buffer.from(query);
let ok = 0, failed = 0;
const one = () => new Promise((resolve) => {
  const c = connect(port, '127.0.0.1');
  let got = Buffer.alloc(0), done = false;
  const end = (good) => { if (done) return; done = true; good ? ok++ : failed++; c.destroy(); resolve(); };
  c.on('connect', () => c.write(q));
  c.on('data', (d) => { got = Buffer.concat([got, d]); if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) end(true); });
  c.on('error', () => end(false));
  c.on('close', () => end(false));
});
Promise.all(Array.from({ length: clients }, async () => { for (let i = 0; i < each; i++) await one(); }))
  .then(() => parentPort.postMessage({ ok, failed }));
`;

bothPaths('clients that close one connection and open the next at once are never refused at the cap for their own old ones', { timeout: 30_000 }, async (t, server) => {
  const cap = 20;
  const s = await server(t, { maxConnections: cap });
  const port = s.address().port;
  let answered = 0;
  // `cap` clients, each 20 times: connect, ask, read the answer, close, connect again at once.
  await Promise.all(
    Array.from({ length: cap }, async (_, k) => {
      for (let i = 0; i < 20; i++) {
        const c = await connect(port);
        const got = readFrames(c, 1);
        c.write(redis(k * 100 + i));
        const [a] = await got;
        assert.equal(decode(a!).id, k * 100 + i);
        answered++;
        c.destroy();
      }
    }),
  );
  assert.equal(answered, cap * 20);
  assert.equal(s.metrics().tcpRejected, 0);
});

// The native listener only: net's maxConnections decides at accept on what the loop has seen, and
// refuses a few of these (3-5 of 3,000 here); the addon reads the set again before it refuses.
test('[native] as many churning clients as the cap, in another thread: every one answered, none refused', { timeout: 60_000 }, async (t) => {
  if (!nativeTcpOrSkip(t)) return;
  const cap = 20;
  const s = await tcpTestServer(t, { maxConnections: cap }, 'native');
  const workerData = { port: s.address().port, clients: cap, each: 150, query: redis(9) };
  const w = new Worker(CHURN, { eval: true, workerData });
  t.after(() => w.terminate());
  const res = await new Promise<{ ok: number; failed: number }>((resolve, reject) => (w.once('message', resolve), w.once('error', reject)));
  assert.deepEqual(res, { ok: cap * 150, failed: 0 });
  assert.equal(s.metrics().tcpRejected, 0);
});
