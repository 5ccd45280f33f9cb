/**
 * Nothing a client or an instance sends (or leaves unsent, or leaves unread) holds a resource
 * without a deadline: an unread response, a full connection pool, a chunked answer to an HTTP/1.0
 * client that does not read, endless 1xx answers, connections the proxy ended, malformed or
 * trickled heads, and the number of connections itself.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { eventually } from '../support/wait.js';
import { answering, proxyFor, rawBackend, send } from './helpers.js';

const HOST = 'web.service.cluster';

/** A client socket that collects what it reads (when it reads at all); cut after the test. */
function client(t: TestContext, port: number, opts: { read?: boolean } = {}) {
  const c = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const state = { socket: c, got: '', ended: false, closed: false, error: '' };
  if (opts.read !== false) c.on('data', (d) => (state.got += d.toString('latin1')));
  else c.pause();
  c.on('end', () => (state.ended = true));
  c.on('close', () => (state.closed = true));
  c.on('error', (err: NodeJS.ErrnoException) => (state.error = err.code ?? err.message));
  t.after(() => c.destroy());
  return state;
}

/** A backend that streams `total` bytes of body (framed by `head`/`piece`) with back-pressure; counts what it got out. */
function streaming(total: number, chunked: boolean, track: { sent: number; closed: boolean; sockets: Socket[] }) {
  return (s: Socket) => {
    track.sockets.push(s);
    s.on('close', () => (track.closed = true));
    s.once('data', () => {
      s.write(chunked ? 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n' : `HTTP/1.1 200 OK\r\ncontent-length: ${total}\r\n\r\n`);
      const piece = Buffer.alloc(64 * 1024, 120);
      const framed = chunked ? Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece;
      const pump = () => {
        while (track.sent < total) {
          track.sent += piece.length;
          if (!s.write(framed)) return void s.once('drain', pump);
        }
        if (chunked) s.write('0\r\n\r\n');
      };
      pump();
    });
  };
}

test('a client that does not read its response does not pin the instance connection', async (t) => {
  const track = { sent: 0, closed: false, sockets: [] as Socket[] };
  const port = await rawBackend(t, streaming(256 << 20, false, track));
  const proxy = await proxyFor(t, port, { idleTimeoutMs: 400 });
  const c = client(t, proxy.httpAddress().port, { read: false });
  c.socket.write(`GET /big HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  await eventually(() => track.closed, 10_000, 'the instance connection to be closed');
  assert.ok(track.sent < 128 << 20, `the proxy stopped reading the instance (${track.sent} bytes sent)`);
  await eventually(() => proxy.metrics().services[0]!.instances[0]!.inFlight === 0, 2_000, 'in-flight back to 0');
});

test('HTTP/1.0 client of a chunked response: de-chunking follows back-pressure', async (t) => {
  const track = { sent: 0, closed: false, sockets: [] as Socket[] };
  const total = 96 << 20;
  const port = await rawBackend(t, streaming(total, true, track));
  const proxy = await proxyFor(t, port, { idleTimeoutMs: 60_000 });
  const c = client(t, proxy.httpAddress().port, { read: false });
  c.socket.write(`GET /big HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`);
  // The instance gets stuck once the proxy stops reading it: its writes stop draining (for ten
  // polls in a row), or it got everything out because the proxy buffered it all.
  let last = -1;
  let still = 0;
  await eventually(
    () => {
      still = track.sent === last && track.sockets[0]?.writableNeedDrain === true ? still + 1 : 0;
      last = track.sent;
      return still >= 10 || track.sent >= total;
    },
    20_000,
    'the instance to be stuck or done',
  );
  assert.ok(track.sent < total / 2, `the proxy buffered the whole body (${track.sent >> 20} MiB read from the instance)`);
});

test('requests waiting for a connection slot get 503 once the queue timeout passes', async (t) => {
  const port = await rawBackend(t, () => undefined); // accepts, never answers
  const proxy = await proxyFor(t, port, { connectionsPerInstance: 1, connectTimeoutMs: 300, headersTimeoutMs: 30_000 });
  const p = proxy.httpAddress().port;
  const holder = client(t, p);
  holder.socket.write(`GET /hold HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  await eventually(() => proxy.metrics().services[0]!.instances[0]!.inFlight === 1, 2_000, 'the slot to be taken');
  const r = await send(p, HOST, { path: '/queued' });
  assert.equal(r.status, 503);
  assert.match(r.body, /no connection to an instance of service "web" freed up within \d+ ms/);
});

test('endless 1xx answers: refused after a few (502), the instance connection closes, the header timeout is not reset', async (t) => {
  let interim = 0;
  let closed = false;
  const port = await rawBackend(t, (s) => {
    s.on('close', () => (closed = true));
    s.once('data', () => {
      const more = () => {
        while (!s.destroyed && interim < 100_000) {
          interim++;
          if (!s.write(`HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n`)) return void s.once('drain', more);
        }
      };
      more();
    });
  });
  const proxy = await proxyFor(t, port, { headersTimeoutMs: 60_000 });
  const c = client(t, proxy.httpAddress().port, { read: false });
  c.socket.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  await eventually(() => closed, 5_000, 'the instance connection to close');
  c.socket.resume();
  c.socket.on('data', (d) => (c.got += d.toString('latin1')));
  await eventually(() => /HTTP\/1\.1 502 /.test(c.got), 5_000, 'a 502');
  assert.ok((c.got.match(/ 103 /g) ?? []).length <= 10, 'at most 10 interim answers relayed');
});

test('connections the proxy ended expire when the client never closes its side', async (t) => {
  const port = await rawBackend(t, answering(() => 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  const proxy = await proxyFor(t, port);
  const p = proxy.httpAddress().port;
  for (const request of [`GET / HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`, `GET / HTTP/1.1\r\n\r\n`, `CONNECT a:1 HTTP/1.1\r\nHost: a\r\n\r\n`]) {
    const c = client(t, p);
    c.socket.write(request);
    await eventually(() => c.ended, 5_000, 'the proxy to end its side');
    // The client keeps its side open; once the proxy let go, a write is answered with a reset.
    await eventually(
      () => {
        if (!c.error && !c.closed) c.socket.write('x');
        return c.error !== '' || c.closed;
      },
      10_000,
      `the proxy to let go of ${JSON.stringify(request.slice(0, 20))}`,
    );
  }
});

test('malformed heads (bare LF, HTTP/0.9, over-long target) get their answer at once, without waiting for the blank line', { timeout: 20_000 }, async (t) => {
  const port = await rawBackend(t, answering(() => 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  const proxy = await proxyFor(t, port);
  for (const [head, status] of [
    [`GET / HTTP/1.1\nHost: ${HOST}\n`, 400],
    [`GET /\r\n`, 400],
    [`GET / HTTP/1.1\r\nHost: ${HOST}\r\nX: 1\n`, 400],
    [`GET /${'a'.repeat(9000)}`, 414],
  ] as const) {
    const c = client(t, proxy.httpAddress().port);
    c.socket.write(head);
    await eventually(() => c.got.startsWith(`HTTP/1.1 ${status} `), 5_000, `${status} for ${JSON.stringify(head.slice(0, 30))}`);
  }
});

test('a trickled head gets 408 at the head timeout, not the keep-alive idle one', { timeout: 20_000 }, async (t) => {
  const port = await rawBackend(t, answering(() => 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  const proxy = await proxyFor(t, port, { l7HeadTimeoutMs: 300 });
  const c = client(t, proxy.httpAddress().port);
  const head = `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: ${'a'.repeat(200)}\r\n\r\n`;
  let i = 0;
  const drip = setInterval(() => i < head.length - 1 && !c.closed && c.socket.write(head[i++]!), 20);
  t.after(() => clearInterval(drip));
  await eventually(() => c.got.startsWith('HTTP/1.1 408 '), 10_000, 'a 408');
  assert.ok(i < head.length - 1, 'answered before the head was complete');
});

test('each listener holds at most l7MaxConnections client connections', async (t) => {
  const port = await rawBackend(t, answering(() => 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
  const proxy = await proxyFor(t, port, { l7MaxConnections: 3 });
  const p = proxy.httpAddress().port;
  const held = [client(t, p), client(t, p), client(t, p)];
  for (const c of held) {
    c.socket.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    await eventually(() => c.got.endsWith('ok'), 5_000, 'an answer');
  }
  const fourth = client(t, p);
  fourth.socket.write(`GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  await eventually(() => fourth.ended || fourth.closed, 5_000, 'the fourth connection to be closed');
  assert.equal(fourth.got, '');
  held[0]!.socket.destroy();
  await eventually(async () => (await send(p, HOST).catch(() => ({ status: 0 }))).status === 200, 5_000, 'a free slot to serve again');
});
