/**
 * When the native relay cannot take a connection it says so: relay() throws an Error with a code
 * and leaves no duplicated descriptor open (it used to return undefined, holding both dups, for
 * arguments Node-API rejected, and to poll whatever fd it got); the proxy then closes that
 * connection, logs the code and counts it, and serves the next one.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { loadTcpRelay, type TcpRelay } from '../../src/proxy/l4-native.js';
import { eventually } from '../support/wait.js';
import { echo, harness, open, readAll, service, settled } from './l4-cases.js';

process.noDeprecation = true; // dgram's _handle, read once for a datagram socket's fd
const addon = loadTcpRelay();
const openFds = () => readdirSync('/proc/self/fd').length;
const fdOf = (s: unknown) => (s as { _handle: { fd: number } })._handle.fd;

/** A connected loopback pair (both ends in this process), closed after the test. */
async function pair(t: TestContext): Promise<[Socket, Socket]> {
  const server = createServer({ allowHalfOpen: true });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const accepted = new Promise<Socket>((r) => server.once('connection', r));
  const a = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  await new Promise((r) => a.once('connect', r));
  const b = await accepted;
  t.after(() => {
    a.destroy();
    b.destroy();
    server.close();
  });
  return [a, b];
}

/** Calls relay() synchronously; returns the thrown error and how many fds it left open. */
function refused(relay: TcpRelay, args: unknown[]): { err: NodeJS.ErrnoException; leaked: number } {
  const before = openFds();
  let err: NodeJS.ErrnoException | undefined;
  try {
    const got = (relay.relay as (...a: unknown[]) => unknown)(...args);
    assert.fail(`relay() returned ${String(got)} instead of throwing`);
  } catch (e) {
    err = e as NodeJS.ErrnoException;
  }
  return { err: err!, leaked: openFds() - before };
}

if (addon === undefined) {
  test('L4 native relay refusals', (t) => t.skip('tcp-relay addon not built (node scripts/build-native.mjs)'));
} else {
  test('relay() rejects bad arguments with ERR_INVALID_ARG_TYPE and holds no descriptor', async (t) => {
    const [a, b] = await pair(t);
    for (const args of [
      [fdOf(a), fdOf(b), 1_000, 1_000, 'not a function'],
      [fdOf(a), fdOf(b), 1_000, () => undefined],
      ['3', fdOf(b), 1_000, 1_000, () => undefined],
    ]) {
      const { err, leaked } = refused(addon, args);
      assert.equal(err.code, 'ERR_INVALID_ARG_TYPE', String(args));
      assert.ok(err instanceof TypeError);
      assert.equal(leaked, 0);
    }
    assert.equal(addon.active(), 0);
  });

  test('relay() that cannot take the sockets throws the errno name and leaves no dup open', async (t) => {
    const [a, b] = await pair(t);
    const file = openSync('/proc/self/status', 'r');
    const udp = createSocket('udp4');
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    t.after(() => {
      closeSync(file);
      udp.close();
    });
    const cases: [number, number, string][] = [
      [-1, fdOf(b), 'EBADF'],
      [fdOf(a), 987_654, 'EBADF'], // the first fd was already dup'ed: that dup must go too
      [file, fdOf(b), 'ENOTSOCK'],
      [fdOf(a), fdOf(udp), 'EPROTOTYPE'], // a socket, but not a stream
    ];
    for (const [x, y, code] of cases) {
      const { err, leaked } = refused(addon, [x, y, 1_000, 1_000, () => undefined]);
      assert.equal(err.code, code, `relay(${x}, ${y})`);
      assert.match(err.message, /relay: cannot take/);
      assert.equal(leaked, 0, `relay(${x}, ${y}) left ${leaked} fd(s) open`);
    }
    assert.equal(addon.active(), 0);
    // the caller's sockets are untouched and still carry bytes
    const got = new Promise((r) => b.once('data', r));
    a.write('still here');
    assert.equal(String(await got), 'still here');
  });

  test('a connection the addon refuses is closed, logged with its code, counted; the next is relayed', async (t) => {
    const h = await harness(t, echo);
    const real = addon.relay;
    let refusals = 0;
    // The real addon, handed a closed fd for the instance side once: it throws EBADF as it would
    // for any descriptor it cannot take.
    addon.relay = (a, b, idle, stall, onClose) => (refusals++ === 0 ? real(a, -1, idle, stall, onClose) : real(a, b, idle, stall, onClose));
    t.after(() => void (addon.relay = real));
    const first = await open(h.port);
    first.on('error', () => undefined);
    assert.equal((await readAll(first)).length, 0, 'closed without a byte');
    await settled(h, () => addon.active());
    const warn = h.lines.find((l) => l.msg === 'L4 native relay refused a connection; closed');
    assert.equal(warn?.code, 'EBADF');
    // Access lines leave in batches: the refused pair's line follows on the next flush.
    await eventually(() => h.closed.length === 1, 2_000, 'the refused pair in the access log');
    assert.equal(h.closed[0]?.reason, 'EBADF');
    assert.equal(service(h).failedConnections, 1);
    const second = await open(h.port);
    const reply = readAll(second);
    second.end('relayed');
    assert.equal(String(await reply), 'relayed');
    await eventually(() => h.closed.length === 2, 2_000, 'second pair closed');
    assert.equal(h.closed[1]?.reason, 'eof');
    assert.equal(refusals, 2);
  });
}
