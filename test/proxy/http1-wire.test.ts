/** The HTTP/1 engine on the wire: raw sockets on both sides, so framing corner cases are exact. */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, request } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { test } from 'node:test';
import { eventually } from '../support/wait.js';
import { answering, closeServer, inst, proxyFor, rawBackend, rawExchange, send, startBackend } from './helpers.js';

const HOST = 'web.service.cluster';

test('smuggling attempts and malformed heads get 400 and a closed connection; the instance sees nothing', async (t) => {
  let seen = 0;
  const port = await rawBackend(t, answering(() => (seen++, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const proxy = await proxyFor(t, port);
  const p = proxy.httpAddress().port;
  const attacks = [
    `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n`,
    `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
    `POST / HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: +2\r\n\r\nab`,
    `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX: 1\nTransfer-Encoding: chunked\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX: 1\r\n Transfer-Encoding: chunked\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding : chunked\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: ${HOST}\r\nHost: other.service.cluster\r\n\r\n`,
  ];
  for (const attack of attacks) {
    const got = await rawExchange(p, attack);
    assert.match(got, /^HTTP\/1\.1 400 Bad Request\r\n/, JSON.stringify(attack));
    assert.match(got, /connection: close/);
  }
  const huge = await rawExchange(p, `GET / HTTP/1.1\r\nHost: ${HOST}\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.match(huge, /^HTTP\/1\.1 431 /);
  assert.equal(seen, 0);
});

test('pipelined requests are answered in order, one at a time, bodies included', async (t) => {
  let active = 0;
  let overlap = false;
  const server = createHttpServer((req, res) => {
    if (++active > 1) overlap = true;
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      // The first answer is the slowest: an engine that overlapped would reorder.
      setTimeout(() => {
        active--;
        res.end(`${req.method} ${req.url} ${body}`);
      }, req.url === '/1' ? 60 : 1);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => closeServer(server));
  const proxy = await proxyFor(t, (server.address() as AddressInfo).port);
  const reqs =
    `GET /1 HTTP/1.1\r\nHost: ${HOST}\r\n\r\n` +
    `POST /2 HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 5\r\n\r\nhello` +
    `PUT /3 HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` +
    `GET /4 HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`;
  // Split at odd places so heads and bodies straddle reads.
  const got = await rawExchange(proxy.httpAddress().port, [reqs.slice(0, 7), reqs.slice(7, 60), reqs.slice(60)]);
  const bodies = [...got.matchAll(/\r\n\r\n([A-Z]+ \/\d [a-z]*)/g)].map((m) => m[1]);
  assert.deepEqual(bodies, ['GET /1 ', 'POST /2 hello', 'PUT /3 abc', 'GET /4 ']);
  assert.equal(overlap, false);
});

test('HEAD, 204 and 304 carry Content-Length but no body; the connection stays in sync', async (t) => {
  const port = await rawBackend(
    t,
    answering((head) => {
      const path = head.split(' ')[1];
      if (path === '/204') return 'HTTP/1.1 204 No Content\r\ncontent-length: 10\r\n\r\n';
      if (path === '/304') return 'HTTP/1.1 304 Not Modified\r\ncontent-length: 10\r\n\r\n';
      if (head.startsWith('HEAD')) return 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n';
      return 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n0123456789';
    }),
  );
  const proxy = await proxyFor(t, port);
  const reqs = ['HEAD /h', 'GET /204', 'GET /304', 'GET /body'].map((r) => `${r} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  const got = await rawExchange(proxy.httpAddress().port, reqs.join(''), /0123456789$/);
  const statuses = [...got.matchAll(/HTTP\/1\.1 (\d+)/g)].map((m) => m[1]);
  assert.deepEqual(statuses, ['200', '204', '304', '200']);
  assert.equal((got.match(/content-length: 10/g) ?? []).length, 4);
  assert.ok(got.endsWith('\r\n\r\n0123456789'), JSON.stringify(got));
});

test('a response delimited by close reaches the client whole, then the client connection closes', async (t) => {
  const body = 'x'.repeat(100_000);
  const closer = await rawBackend(t, (s) => s.once('data', () => s.end(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n${body}`)));
  const proxy = await proxyFor(t, closer);
  const got = await rawExchange(proxy.httpAddress().port, `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  assert.match(got, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(got, /connection: close/);
  assert.ok(got.endsWith(`\r\n\r\n${body}`));
  // A chunked answer to an HTTP/1.0 client is de-chunked and delimited by close.
  const chunky = await rawBackend(t, answering(() => 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n'));
  await proxy.update([inst('web', 'c', chunky)]);
  const old = await rawExchange(proxy.httpAddress().port, `GET / HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`);
  assert.doesNotMatch(old, /transfer-encoding/i);
  assert.ok(old.endsWith('\r\n\r\nabcde'), JSON.stringify(old));
});

test('Expect: 100-continue: the instance’s 100 reaches the client before the body is sent', async (t) => {
  const b = await startBackend('a');
  t.after(() => b.kill());
  const proxy = await proxyFor(t, b.port);
  const result = await new Promise<{ continued: boolean; status: number; body: string }>((resolve, reject) => {
    let continued = false;
    const req = request(
      { host: '127.0.0.1', port: proxy.httpAddress().port, method: 'PUT', path: '/echo', headers: { host: HOST, expect: '100-continue', 'content-length': 5 } },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ continued, status: res.statusCode ?? 0, body }));
      },
    );
    req.on('continue', () => {
      continued = true;
      req.end('hello');
    });
    req.on('error', reject);
  });
  assert.deepEqual(result, { continued: true, status: 200, body: 'hello' });
});

test('a pooled connection the instance closed is not a failure: idle close and the close-on-reuse race', async (t) => {
  const conns: Socket[] = [];
  let refused = 0;
  // Answers the first request of a connection, then either closes it when idle (50 ms) or, when
  // a second request arrives on it, drops it without answering (the race a keep-alive pool meets).
  const port = await rawBackend(t, (s) => {
    conns.push(s);
    answering((_head, n) => {
      if (n > 0) return (refused++, null);
      return 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
    })(s);
  });
  const proxy = await proxyFor(t, port, { ejection: { consecutiveFailures: 1 } });
  const p = proxy.httpAddress().port;
  assert.equal((await send(p, HOST)).body, 'ok');
  assert.equal((await send(p, HOST)).body, 'ok', 'reused connection dropped → retried on a fresh one');
  assert.ok(refused >= 1);
  for (const s of conns) s.destroy(); // the instance closes its idle connections
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await send(p, HOST)).body, 'ok');
  const m = proxy.metrics().services[0];
  assert.equal(m.requests['5xx'], 0);
  assert.equal(m.instances[0].ejections, 0, 'a closed keep-alive connection does not count against the instance');
});

test('a client that leaves mid-response frees the instance connection', async (t) => {
  let upstreamClosed = false;
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    const timer = setInterval(() => res.write('x'.repeat(1024)), 10);
    res.on('close', () => {
      clearInterval(timer);
      upstreamClosed = true;
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => closeServer(server));
  const proxy = await proxyFor(t, (server.address() as AddressInfo).port);
  await new Promise<void>((resolve) => {
    const c = connect({ host: '127.0.0.1', port: proxy.httpAddress().port });
    c.write(`GET /stream HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
    c.once('data', () => {
      c.destroy();
      resolve();
    });
  });
  await eventually(() => upstreamClosed, 2_000, 'the instance connection to close');
  await eventually(() => proxy.metrics().services[0].instances[0].inFlight === 0, 1_000, 'in-flight back to 0');
  assert.equal(proxy.metrics().services[0].requests['4xx'], 1, 'counted as 499');
});

test('response heads: passed as received when nothing is hop-by-hop, else without the hop-by-hop lines', async (t) => {
  const heads: string[] = [];
  const port = await rawBackend(
    t,
    answering((head) => {
      heads.push(head);
      if (head.includes('/ka')) return 'HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nContent-Length: 2\r\n\r\nka';
      return 'HTTP/1.1 200 OK\r\nX-Odd:   spaced \r\nContent-Length: 2\r\n\r\nok';
    }),
  );
  const proxy = await proxyFor(t, port);
  const p = proxy.httpAddress().port;
  const asIs = await rawExchange(p, `GET /plain HTTP/1.1\r\nHost: ${HOST}\r\nX-Mine:  kept \r\n\r\n`, /ok$/);
  assert.equal(asIs, 'HTTP/1.1 200 OK\r\nX-Odd:   spaced \r\nContent-Length: 2\r\n\r\nok');
  assert.match(heads[0], /^GET \/plain HTTP\/1\.1\r\nHost: web\.service\.cluster\r\nX-Mine: {2}kept \r\nx-forwarded-for: 127\.0\.0\.1\r\n/);
  const rewritten = await rawExchange(p, `GET /ka HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, /ka$/);
  assert.equal(rewritten, 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nka');
  const http10 = await rawExchange(p, `GET /plain HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`);
  assert.equal(http10, 'HTTP/1.1 200 OK\r\nX-Odd:   spaced \r\nContent-Length: 2\r\nconnection: close\r\n\r\nok');
});
