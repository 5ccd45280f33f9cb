/**
 * Pairs whose one side stopped reading, and whose other side then leaves: they must not live until
 * the 300 s idle timeout (each holds two fds and megabytes of kernel buffers). Run once per relay
 * by l4-native.test.ts and l4-js.test.ts; the reset cases only on the native relay, the one that
 * watches a side it does not read.
 */
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { test } from 'node:test';
import { eventually } from '../support/wait.js';
import { harness, open, settled } from './l4-cases.js';

const ignore = () => undefined;

/**
 * Writes 1 MiB chunks until the kernel refuses more, again at each 'drain', until no drain came for
 * ~300 ms: the path to the peer is full and the relay has stopped reading `s` (its destination
 * pushed back). A write the kernel takes whole returns true and never drains: keep writing then.
 */
export async function backUp(s: Socket): Promise<void> {
  const chunk = Buffer.alloc(1 << 20, 0x61);
  let drains = 0;
  const push = () => {
    drains++;
    while (s.write(chunk));
  };
  s.on('drain', push);
  push();
  let last = -1;
  let still = 0;
  await eventually(() => {
    still = drains === last ? still + 1 : 0;
    last = drains;
    return still >= 6;
  }, 30_000, 'back-pressure on the writer');
}

/** An instance that accepts and never reads; its sockets, for the test to act on. */
function deafInstance(): { handler: (c: Socket) => void; sockets: Socket[] } {
  const sockets: Socket[] = [];
  return { sockets, handler: (c) => sockets.push(c.on('error', ignore).pause()) };
}

export function l4DepartedCases(label: string, nativeActive?: () => number): void {
  test(`${label}: clients that leave while the instance reads nothing: the pairs close at the stall deadline, not the idle timeout`, async (t) => {
    const deaf = deafInstance();
    // idle stays at its 300 s default: only the stall deadline can end these pairs in time
    const h = await harness(t, deaf.handler, { l4StallTimeoutMs: 1_500 });
    const clients = await Promise.all(Array.from({ length: 4 }, () => open(h.port)));
    for (const c of clients) c.on('error', ignore);
    await Promise.all(clients.map(backUp));
    for (const c of clients) c.destroy();
    await eventually(() => h.closed.length === 4, 15_000, '4 pairs closed');
    await settled(h, nativeActive);
    assert.deepEqual([...new Set(h.closed.map((l) => l.reason))], ['stalled']);
    assert.ok(h.closed.every((l) => l.bytesIn > 0 && l.bytesOut === 0));
  });

  test(`${label}: a client that stops reading is cut at the stall deadline while the instance keeps sending`, async (t) => {
    const h = await harness(t, (c) => void backUp(c.on('error', ignore)), { l4StallTimeoutMs: 1_000 });
    const c = await open(h.port);
    c.on('error', ignore).pause();
    await eventually(() => h.closed.length === 1, 15_000, 'the pair closed');
    await settled(h, nativeActive);
    assert.equal(h.closed[0].reason, 'stalled');
    assert.ok(h.closed[0].bytesOut > 0);
  });

  if (!nativeActive) return;

  test(`${label}: a client resetting while its bytes wait on a deaf instance closes the pair at once`, async (t) => {
    const deaf = deafInstance();
    const h = await harness(t, deaf.handler); // default stall (30 s) and idle (300 s)
    const c = await open(h.port);
    c.on('error', ignore);
    await backUp(c);
    assert.equal(nativeActive(), 1);
    c.resetAndDestroy();
    await eventually(() => h.closed.length === 1, 5_000, 'the pair closed');
    await settled(h, nativeActive);
    assert.equal(h.closed[0].reason, 'ECONNRESET');
  });

  test(`${label}: an instance resetting while its bytes wait on a client that reads nothing closes the pair at once`, async (t) => {
    const sockets: Socket[] = [];
    const h = await harness(t, (c) => sockets.push(c.on('error', ignore)));
    const c = await open(h.port);
    c.on('error', ignore).pause();
    const ended = new Promise((r) => c.once('end', r).once('close', r));
    await eventually(() => sockets.length === 1, 5_000, 'instance connected');
    await backUp(sockets[0]!);
    sockets[0]!.resetAndDestroy();
    await eventually(() => h.closed.length === 1, 5_000, 'the pair closed');
    await settled(h, nativeActive);
    assert.equal(h.closed[0].reason, 'ECONNRESET');
    c.resume();
    await ended; // the client's side was closed too (its FIN after the bytes already sent), not left open
  });
}
