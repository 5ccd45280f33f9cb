/**
 * RFC 9110/9112 points on the wire: what the client gets for a response with both framings, a
 * broken chunked body, a request without Host or with a target of the wrong form, a newer minor
 * version, an over-long URI, a Trailer field — and timeouts that never fire before their time.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answering, inst, proxyFor, rawBackend, rawExchange, send } from './helpers.js';

const HOST = 'web.service.cluster';

test('a response with Content-Length and Transfer-Encoding reaches the client without Content-Length (RFC 9112 §6.3)', async (t) => {
  const port = await rawBackend(t, answering(() => 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n'));
  const proxy = await proxyFor(t, port);
  const got = await rawExchange(proxy.httpAddress().port, `GET / HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`, /\r\n0\r\nX-Sum: 1\r\n\r\n$/);
  const head = got.slice(0, got.indexOf('\r\n\r\n'));
  assert.doesNotMatch(head, /content-length/i);
  assert.match(head, /\r\ntransfer-encoding: chunked/i);
  assert.match(head, /\r\nTrailer: X-Sum/, 'Trailer is end to end');
  const old = await rawExchange(proxy.httpAddress().port, `GET / HTTP/1.0\r\nHost: ${HOST}\r\n\r\n`);
  assert.doesNotMatch(old, /content-length|transfer-encoding/i);
  assert.ok(old.endsWith('\r\n\r\nhello'), JSON.stringify(old));
});

test('a broken chunked response is a 502 when nothing was sent yet, a cut connection after', async (t) => {
  const port = await rawBackend(
    t,
    answering((head) => {
      if (head.includes('/early')) return 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nbroken\r\n';
      return null;
    }),
  );
  const late = await rawBackend(t, (s) =>
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
      setTimeout(() => s.write('ZZ\r\n'), 50);
    }),
  );
  const proxy = await proxyFor(t, port);
  const early = await rawExchange(proxy.httpAddress().port, `GET /early HTTP/1.1\r\nHost: ${HOST}\r\nConnection: close\r\n\r\n`);
  assert.match(early, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.match(early, /UND_ERR_INVALID_RESPONSE/);
  await proxy.update([inst('web', 'b', late)]);
  const cut = await rawExchange(proxy.httpAddress().port, `GET /late HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`);
  assert.match(cut, /^HTTP\/1\.1 200 OK\r\n/);
  assert.ok(cut.endsWith('5\r\nhello\r\n'), 'the client connection is cut where the framing broke');
});

test('requests: HTTP/1.1 without Host, authority-form outside CONNECT → 400; HTTP/1.2 served as 1.1; long URI → 414', async (t) => {
  const heads: string[] = [];
  const port = await rawBackend(t, answering((head) => (heads.push(head), 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok')));
  const proxy = await proxyFor(t, port);
  const p = proxy.httpAddress().port;
  assert.match(await rawExchange(p, 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n'), /^HTTP\/1\.1 400 [^]*without Host/);
  assert.match(await rawExchange(p, `GET ${HOST}:80 HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`), /^HTTP\/1\.1 400 [^]*authority-form/);
  assert.match(await rawExchange(p, `GET /${'u'.repeat(9000)} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`), /^HTTP\/1\.1 414 URI Too Long\r\n/);
  assert.equal(heads.length, 0, 'none of them reached the instance');
  const newer = await rawExchange(p, `GET /v HTTP/1.2\r\nHost: ${HOST}\r\n\r\n`, /ok$/);
  assert.match(newer, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(heads[0]!, /^GET \/v HTTP\/1\.1\r\n/);
});

test('a timeout never fires before its time (the coarse clock rounds deadlines up)', async (t) => {
  const port = await rawBackend(t, () => undefined); // never answers
  const proxy = await proxyFor(t, port, { headersTimeoutMs: 400, connectTimeoutMs: 2_000 });
  const p = proxy.httpAddress().port;
  // Started at different phases of the sweeper's tick (100 ms here): a rounding-down clock is early for some.
  const elapsed = await Promise.all(
    Array.from({ length: 12 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 9));
      const t0 = performance.now();
      const r = await send(p, HOST, { path: `/slow-${i}` });
      assert.equal(r.status, 504);
      return performance.now() - t0;
    }),
  );
  assert.equal(elapsed.length, 12);
  const early = elapsed.filter((ms) => ms < 400);
  assert.deepEqual(early, [], `504s before 400 ms: ${early.map((ms) => ms.toFixed(0)).join(', ')}`);
});

test('a listed Content-Length reaches the instance as one value', async (t) => {
  const heads: string[] = [];
  const port = await rawBackend(t, (s) => {
    let buf = '';
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.endsWith('hello')) {
        heads.push(buf);
        s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok');
      }
    });
  });
  const proxy = await proxyFor(t, port);
  const r = await send(proxy.httpAddress().port, HOST, { method: 'POST', body: 'hello', headers: { 'content-length': '5, 5' } });
  assert.equal(r.status, 200);
  assert.match(heads[0]!, /\r\ncontent-length: 5\r\n/i);
  assert.doesNotMatch(heads[0]!, /5, 5/);
});
