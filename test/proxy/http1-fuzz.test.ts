/**
 * Bad input on the L7 port never crashes the engine nor leaks work: seeded random and mutated
 * requests (bytes flipped, inserted, cut; garbage; split at random points), each on its own
 * connection, then the proxy still serves normal requests and no exchange is left in flight.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { createProxy } from '../../src/proxy/index.js';
import { seededRng, type Rng } from '../../src/scheduler/placement/rng.js';
import { eventually } from '../support/wait.js';
import { closeServer, inst, send, startBackend } from './helpers.js';

const HOST = 'web.service.cluster';
const CASES = 3_000;
const PARALLEL = 40;

const TEMPLATES = [
  `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
  `GET /a?b=c HTTP/1.1\r\nHost: ${HOST}\r\nConnection: keep-alive\r\nAccept: */*\r\n\r\n`,
  `POST /echo HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\n\r\nhello`,
  `POST /echo HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  `GET / HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`,
  `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\nGET /2 HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`,
  `GET / HTTP/1.1\r\nHost: ${HOST}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
];

function mutate(rng: Rng): Buffer {
  const pick = (n: number) => Math.floor(rng() * n);
  if (rng() < 0.1) return Buffer.from(Array.from({ length: pick(600) }, () => pick(256)));
  const bytes = [...Buffer.from(TEMPLATES[pick(TEMPLATES.length)]!, 'latin1')];
  for (let edits = 1 + pick(4); edits > 0; edits--) {
    const at = pick(bytes.length + 1);
    const kind = pick(4);
    if (kind === 0) bytes[at] = pick(256); // flip
    else if (kind === 1) bytes.splice(at, 0, ...Array.from({ length: 1 + pick(8) }, () => [13, 10, 58, 32, 48, pick(256)][pick(6)]!));
    else if (kind === 2) bytes.splice(at, 1 + pick(12)); // cut
    else bytes.length = Math.min(bytes.length, at); // truncate
  }
  return Buffer.from(bytes);
}

/** Sends `payload` in 1–3 pieces, half-closes, and returns what came back within `ms`. */
function shoot(port: number, payload: Buffer, rng: Rng, ms: number): Promise<string> {
  return new Promise((resolve) => {
    const c = connect({ host: '127.0.0.1', port });
    let got = '';
    const done = () => {
      clearTimeout(timer);
      c.destroy();
      resolve(got);
    };
    const timer = setTimeout(done, ms);
    c.on('data', (d) => (got += d.toString('latin1')));
    c.on('error', done);
    c.on('close', done);
    c.on('connect', () => {
      const cut1 = Math.floor(rng() * payload.length);
      const cut2 = cut1 + Math.floor(rng() * (payload.length - cut1));
      for (const part of [payload.subarray(0, cut1), payload.subarray(cut1, cut2), payload.subarray(cut2)]) if (part.length) c.write(part);
      c.end();
    });
  });
}

test(`${CASES} malformed or mutated requests: only well-formed HTTP answers, no crash, nothing left in flight`, async (t) => {
  const backend = await startBackend('a');
  t.after(() => closeServer(backend.server));
  const proxy = await createProxy({ httpAddr: '127.0.0.1:0' });
  t.after(() => proxy.stop());
  await proxy.update([inst('web', 'a', backend.port)]);
  const { port } = proxy.httpAddress();

  const rng = seededRng(0x5eed);
  const statuses = new Map<string, number>();
  for (let base = 0; base < CASES; base += PARALLEL) {
    const batch = Array.from({ length: Math.min(PARALLEL, CASES - base) }, () => mutate(rng));
    const replies = await Promise.all(batch.map((p) => shoot(port, p, rng, 400)));
    replies.forEach((reply, i) => {
      if (reply === '') return; // dropped or closed without an answer: allowed for garbage
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(reply)?.[1];
      assert.ok(status, `case ${base + i}: not an HTTP answer: ${JSON.stringify(reply.slice(0, 80))} for ${JSON.stringify(batch[i]!.toString('latin1'))}`);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
    });
  }
  // The fuzz reached both the parser's refusals and the instance.
  assert.ok((statuses.get('400') ?? 0) > 50, `400s: ${JSON.stringify([...statuses])}`);
  assert.ok((statuses.get('200') ?? 0) > 50, `200s: ${JSON.stringify([...statuses])}`);

  for (let i = 0; i < 20; i++) {
    const r = await send(port, HOST, { path: `/after-${i}` });
    assert.equal(r.status, 200);
    assert.equal(r.body, `a GET /after-${i}`);
  }
  await eventually(() => {
    const instance = proxy.metrics().services.find((s) => s.service === 'web')!.instances[0]!;
    assert.equal(instance.inFlight, 0, JSON.stringify(instance));
    return true;
  }, 5_000, 'every exchange to finish');
});
